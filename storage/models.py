"""The source of truth: tickets, swarms, participants, the audit timeline, jobs, experts, roles and tasks.

Every model change ships an Alembic revision in storage/migrations/versions/.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

# Stable constraint names, so migrations can refer to them on both SQLite and Postgres.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


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


class Expert(Base):
    """A person in the expert directory."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slack_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[str] = mapped_column(String(16))
    max_active_swarms: Mapped[int]
    out_of_office_until: Mapped[datetime | None]
    last_engaged_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    skills: Mapped[list[ExpertSkill]] = relationship(
        back_populates="expert", order_by="ExpertSkill.tag", cascade="all, delete-orphan"
    )


class ExpertSkill(Base):
    """A skill tag someone has, how well, and where swarmbot learned it (the file or a user group)."""

    __tablename__ = "expert_skills"
    __table_args__ = (
        UniqueConstraint("expert_id", "tag"),
        Index("ix_expert_skills_tag_proficiency", "tag", "proficiency"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40))
    proficiency: Mapped[int] = mapped_column(default=2)
    source: Mapped[str] = mapped_column(String(120), default="file")  # file | usergroup:<handle>

    expert: Mapped[Expert] = relationship(back_populates="skills")


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


class Transcript(Base):
    """A swarm's archived conversation: where collecting got to, and what was found."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swarm_id: Mapped[int] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="collecting")  # collecting | rendering | stored
    history_cursor: Mapped[str | None] = mapped_column(Text)  # the next conversations.history page
    threads_done: Mapped[list[str]] = mapped_column(default=list)  # parents whose replies are stored
    message_count: Mapped[int] = mapped_column(default=0)
    redactions: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    stored_at: Mapped[datetime | None]


class TranscriptMessage(Base):
    """One message (or thread reply) of an archived conversation, already redacted."""

    __tablename__ = "transcript_messages"
    __table_args__ = (UniqueConstraint("swarm_id", "ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swarm_id: Mapped[int] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    user: Mapped[str | None] = mapped_column(String(32))
    user_name: Mapped[str | None] = mapped_column(String(200))
    is_bot: Mapped[bool] = mapped_column(default=False)
    subtype: Mapped[str | None] = mapped_column(String(48))
    text: Mapped[str] = mapped_column(Text, default="")
    edited: Mapped[bool] = mapped_column(default=False)
    files: Mapped[list[str]] = mapped_column(default=list)
    links: Mapped[list[str]] = mapped_column(default=list)
    redactions: Mapped[int] = mapped_column(default=0)


class TranscriptRendering(Base):
    """A rendering of a transcript (markdown or html), stored in parts so no part holds the whole channel."""

    __tablename__ = "transcript_renderings"
    __table_args__ = (UniqueConstraint("swarm_id", "format", "part"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swarm_id: Mapped[int] = mapped_column(ForeignKey("swarms.id", ondelete="CASCADE"), index=True)
    format: Mapped[str] = mapped_column(String(16))
    part: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
