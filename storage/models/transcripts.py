"""A resolved swarm's archived conversation: its rows and its renderings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


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
