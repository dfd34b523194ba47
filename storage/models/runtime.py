"""Work in flight: scheduled jobs and the Slack events written down before their ack."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Job(Base):
    """A scheduled piece of work (a reminder, an escalation level, an SLA alert, an invitation timeout).

    Workers claim due rows atomically with a lease; a dead worker's lease lapses and another takes over.
    `result` records what a job already did in Slack (e.g. the ts it posted), so a retry never repeats it.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_due_at", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    swarm_id: Mapped[int | None] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    key: Mapped[str | None] = mapped_column(String(160), unique=True)  # one live job per logical key
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|done|cancelled|failed
    attempts: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class SlackEvent(Base):
    """An event Slack delivered, written down before its ack and marked done when its work is.

    Slack never sends an acknowledged event again, so a process that dies between the ack and the end of
    the work would lose it; the reconciler replays the ones left undone (bot/inbox.py). The unique
    event_id is also how Slack's retries of one event are told apart from new ones.
    """

    __tablename__ = "slack_events"
    __table_args__ = (Index("ix_slack_events_done_at_received_at", "done_at", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=1)
    done_at: Mapped[datetime | None]
