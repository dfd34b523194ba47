"""The source of truth: tickets, swarms, participants and the audit timeline.

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
    requester_invited: Mapped[bool] = mapped_column(default=False)
    topic_set: Mapped[bool] = mapped_column(default=False)
    purpose_set: Mapped[bool] = mapped_column(default=False)
    brief_ts: Mapped[str | None] = mapped_column(String(32))
    brief_pinned: Mapped[bool] = mapped_column(default=False)

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
