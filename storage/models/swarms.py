"""Tickets and their swarms: the people in them, roles, tasks, invitations, updates, the audit timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base


class Ticket(Base):
    """A support ticket as the ticket system knows it; swarms hang off it."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer: Mapped[str | None] = mapped_column(String(200))
    customer_key: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime]

    swarms: Mapped[list[Swarm]] = relationship(back_populates="ticket", order_by="Swarm.id")


class Swarm(Base):
    """One escalation of a ticket, worked in one Slack channel.

    The Slack side is built in steps; each step's result is recorded here as soon as Slack answers, so a
    retry after a failure or a crash picks up where the last attempt stopped.
    """

    __tablename__ = "swarms"
    __table_args__ = (
        # At most one unresolved swarm per ticket, whatever the coordinator did.
        Index(
            "uq_swarms_one_active_per_ticket",
            "ticket_pk",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_pk: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))  # opening | open | resolved
    severity: Mapped[str] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(64))
    playbook: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list[str]] = mapped_column(default=list)
    requested_by: Mapped[str] = mapped_column(String(32))
    commander: Mapped[str] = mapped_column(String(32))
    request_channel_id: Mapped[str | None] = mapped_column(String(32))
    is_private: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime]
    ready_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]

    # Slack-side progress, recorded step by step.
    channel_name: Mapped[str | None] = mapped_column(String(80))
    channel_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    people_invited: Mapped[bool] = mapped_column(default=False)  # requester, commander, experts, role holders
    topic_set: Mapped[bool] = mapped_column(default=False)
    purpose_set: Mapped[bool] = mapped_column(default=False)
    brief_ts: Mapped[str | None] = mapped_column(String(32))
    brief_pinned: Mapped[bool] = mapped_column(default=False)
    experts_posted: Mapped[bool] = mapped_column(default=False)
    checklist_ts: Mapped[str | None] = mapped_column(String(32))
    checklist_pinned: Mapped[bool] = mapped_column(default=False)
    open_broadcast_sent: Mapped[bool] = mapped_column(default=False)

    # While it runs: the escalation matrix level reached and reminders the commander let pass.
    escalation_level: Mapped[int] = mapped_column(default=0)
    missed_reminders: Mapped[int] = mapped_column(default=0)

    # Resolving: what was done, then the archive steps (transcript stored before the channel is archived).
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolution: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    follow_ups: Mapped[str | None] = mapped_column(Text)
    resolution_ts: Mapped[str | None] = mapped_column(String(32))
    channel_archived: Mapped[bool] = mapped_column(default=False)
    csat_score: Mapped[int | None]
    csat_comment: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="swarms")
    participants: Mapped[list[Participant]] = relationship(
        back_populates="swarm", order_by="Participant.id", cascade="all, delete-orphan"
    )


class Participant(Base):
    """Someone in a swarm and why they are there."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("swarm_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swarm_id: Mapped[int] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))  # commander | expert | member
    joined_at: Mapped[datetime]

    swarm: Mapped[Swarm] = relationship(back_populates="participants")


class TimelineEntry(Base):
    """The audit timeline: what happened to a ticket's swarms, when, and who did it."""

    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_pk: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    swarm_id: Mapped[int | None] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Invitation(Base):
    """An expert asked to join a swarm for a skill, and their answer."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("swarm_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swarm_id: Mapped[int] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32), index=True)
    skill: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # chosen | invited | accepted | declined | expired
    invited_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))

    swarm: Mapped[Swarm] = relationship()


class RoleAssignment(Base):
    """Who holds a playbook role in a swarm (nobody yet, for roles filled by claim)."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("swarm_id", "role_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swarm_id: Mapped[int] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    role_key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    fill: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[str | None] = mapped_column(String(32))
    assigned_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))  # the claim message, for roles filled by claim

    swarm: Mapped[Swarm] = relationship()


class Task(Base):
    """A task in a swarm, posted as its own message and claimed by reaction."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swarm_id: Mapped[int] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    role_key: Mapped[str | None] = mapped_column(String(40))
    due_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    message_ts: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None]
    done: Mapped[bool] = mapped_column(default=False)
    done_by: Mapped[str | None] = mapped_column(String(32))
    done_at: Mapped[datetime | None]

    swarm: Mapped[Swarm] = relationship()


class StatusUpdate(Base):
    """A status update the commander (or scribe) posted."""

    __tablename__ = "status_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swarm_id: Mapped[int] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)  # status, impact, next steps, next update at
    posted_at: Mapped[datetime]
    message_ts: Mapped[str | None] = mapped_column(String(32))
