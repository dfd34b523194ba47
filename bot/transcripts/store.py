"""Transcript storage: rows upserted by (swarm, ts), progress, totals, and the transcript read back in order.

Conversation order is top-level messages by ts, each thread's replies right after their parent, by ts: the
sort key (coalesce(thread_ts, ts), ts). Slack's ts is "seconds.micros" with ten-digit seconds until 2286, so
text order is time order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.transcripts.messages import decode_file
from storage.models import Swarm, Ticket, Transcript, TranscriptMessage, TranscriptRendering

MESSAGES = cast(Table, TranscriptMessage.__table__)
TRANSCRIPTS = cast(Table, Transcript.__table__)

COLLECTING, RENDERING, STORED = "collecting", "rendering", "stored"
# history_cursor when every history page is stored (Slack's cursors are base64: never this).
HISTORY_DONE = "#done"

Format = Literal["markdown", "html"]
FORMATS: tuple[Format, ...] = ("markdown", "html")

# On a repeated upsert these keep what was stored when Slack leaves them out: a broadcast reply's subtype
# comes with the channel's copy, not the thread's.
_KEEP_IF_MISSING = ("subtype",)
_UPDATED = (
    "thread_ts",
    "user",
    "user_name",
    "is_bot",
    "subtype",
    "text",
    "edited",
    "files",
    "links",
    "redactions",
)


def conversation_order() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """ORDER BY terms of conversation order."""
    thread: ColumnElement[Any] = func.coalesce(TranscriptMessage.thread_ts, TranscriptMessage.ts)
    return thread, TranscriptMessage.ts.expression


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def start(session: AsyncSession, *, swarm_id: int, now: datetime) -> Transcript:
    """The swarm's transcript row, created in state `collecting` if there is none yet."""
    statement = (
        _insert(session)(TRANSCRIPTS)
        .values(
            swarm_id=swarm_id,
            state=COLLECTING,
            threads_done=[],
            message_count=0,
            redactions=0,
            started_at=now,
        )
        .on_conflict_do_nothing(index_elements=["swarm_id"])
    )
    await session.execute(statement)
    transcript = await session.scalar(
        select(Transcript).where(Transcript.swarm_id == swarm_id).execution_options(populate_existing=True)
    )
    assert transcript is not None
    return transcript


async def transcript_of(session: AsyncSession, *, swarm_id: int) -> Transcript | None:
    """The swarm's transcript row, if collecting ever started."""
    found: Transcript | None = await session.scalar(
        select(Transcript).where(Transcript.swarm_id == swarm_id).execution_options(populate_existing=True)
    )
    return found


async def upsert_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, or update the stored row with the same (swarm_id, ts): a retry never duplicates."""
    unique = list({row["ts"]: row for row in rows}.values())  # one statement may touch a row only once
    if not unique:
        return
    # One statement for every page (executemany: SQLAlchemy batches the rows into multi-row VALUES), so it
    # is compiled once and cached, not once per page size.
    statement = _insert(session)(MESSAGES)
    changes = {
        name: (
            func.coalesce(statement.excluded[name], MESSAGES.c[name])
            if name in _KEEP_IF_MISSING
            else statement.excluded[name]
        )
        for name in _UPDATED
    }
    await session.execute(
        statement.on_conflict_do_update(index_elements=["swarm_id", "ts"], set_=changes), unique
    )


async def record_progress(
    session: AsyncSession, *, swarm_id: int, history_cursor: str | None, threads_done: Sequence[str]
) -> None:
    """Store where collecting got to: the next history page, and the threads of this page already stored."""
    await session.execute(
        update(Transcript)
        .where(Transcript.swarm_id == swarm_id)
        .values(history_cursor=history_cursor, threads_done=list(threads_done))
    )


async def finish_collecting(session: AsyncSession, *, swarm_id: int) -> tuple[int, int]:
    """Count the stored messages and redactions onto the transcript and move it to `rendering`."""
    count, redactions = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(TranscriptMessage.redactions), 0)).where(
                TranscriptMessage.swarm_id == swarm_id
            )
        )
    ).one()
    await session.execute(
        update(Transcript)
        .where(Transcript.swarm_id == swarm_id)
        .values(state=RENDERING, message_count=count, redactions=redactions)
    )
    return int(count), int(redactions)


async def mark_stored(session: AsyncSession, *, swarm_id: int, now: datetime) -> None:
    """The renderings are complete: the transcript is stored."""
    await session.execute(
        update(Transcript).where(Transcript.swarm_id == swarm_id).values(state=STORED, stored_at=now)
    )


async def known_names(session: AsyncSession, *, swarm_id: int) -> dict[str, str | None]:
    """The names already stored with this transcript's rows, so a resumed run asks Slack for no one twice."""
    rows = await session.execute(
        select(TranscriptMessage.user, TranscriptMessage.user_name)
        .where(TranscriptMessage.swarm_id == swarm_id, TranscriptMessage.user.is_not(None))
        .distinct()
    )
    names: dict[str, str | None] = {}
    for user, name in rows:
        if user is not None:
            names[user] = name or names.get(user)
    return names


async def last_reply(session: AsyncSession, *, swarm_id: int, thread_ts: str) -> str | None:
    """The newest reply of a thread stored from its replies pages, where a resumed thread picks up.

    Replies pages are stored oldest first, so those rows are a prefix of the thread. Replies also sent to
    the channel are left out: the history pages store them too, out of that order.
    """
    found: str | None = await session.scalar(
        select(func.max(TranscriptMessage.ts)).where(
            TranscriptMessage.swarm_id == swarm_id,
            TranscriptMessage.thread_ts == thread_ts,
            TranscriptMessage.ts != thread_ts,
            func.coalesce(TranscriptMessage.subtype, "") != "thread_broadcast",
        )
    )
    return found


async def clear_renderings(session: AsyncSession, *, swarm_id: int) -> None:
    """Drop the parts of an interrupted rendering: rendering starts over."""
    await session.execute(delete(TranscriptRendering).where(TranscriptRendering.swarm_id == swarm_id))


async def part_counts(session: AsyncSession, *, swarm_id: int) -> dict[str, int]:
    """How many parts each format has."""
    rows = await session.execute(
        select(TranscriptRendering.format, func.count())
        .where(TranscriptRendering.swarm_id == swarm_id)
        .group_by(TranscriptRendering.format)
    )
    return {str(fmt): int(count) for fmt, count in rows}


async def swarm_labels(session: AsyncSession, *, swarm_id: int) -> tuple[str | None, str | None]:
    """(channel name, ticket id) of a swarm, for a transcript's heading."""
    row = (
        await session.execute(
            select(Swarm.channel_name, Ticket.ticket_id)
            .join(Ticket, Ticket.id == Swarm.ticket_pk)
            .where(Swarm.id == swarm_id)
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)


def message_dict(message: TranscriptMessage) -> dict[str, Any]:
    """A stored message as the ticket record shows it."""
    return {
        "ts": message.ts,
        "user": message.user,
        "user_name": message.user_name,
        "text": message.text,
        "thread_ts": message.thread_ts,
        "is_bot": message.is_bot,
        "subtype": message.subtype,
        "edited": message.edited,
        "files": [
            {"name": name, "permalink": permalink}
            for name, permalink in (decode_file(entry) for entry in message.files)
        ],
        "links": list(message.links),
    }


async def transcript_record(session: AsyncSession, swarm_id: int) -> dict[str, Any] | None:
    """The transcript for the ticket record: counts, all messages in conversation order; None until stored."""
    transcript = await session.scalar(select(Transcript).where(Transcript.swarm_id == swarm_id))
    if transcript is None or transcript.state != STORED:
        return None
    messages = await session.scalars(
        select(TranscriptMessage)
        .where(TranscriptMessage.swarm_id == swarm_id)
        .order_by(*conversation_order())
    )
    return {
        "message_count": transcript.message_count,
        "redactions": transcript.redactions,
        "stored_at": transcript.stored_at.isoformat() if transcript.stored_at else None,
        "messages": [message_dict(message) for message in messages],
    }


async def transcript_text(session: AsyncSession, swarm_id: int, fmt: Format) -> AsyncIterator[str]:
    """The stored rendering in `fmt` ("markdown" or "html"), part by part; nothing until it is stored."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown transcript format {fmt!r}: use one of {', '.join(FORMATS)}")
    state = await session.scalar(select(Transcript.state).where(Transcript.swarm_id == swarm_id))
    if state != STORED:
        return
    ids = (
        await session.scalars(
            select(TranscriptRendering.id)
            .where(TranscriptRendering.swarm_id == swarm_id, TranscriptRendering.format == fmt)
            .order_by(TranscriptRendering.part)
        )
    ).all()
    for part_id in ids:  # one part in memory at a time
        content = await session.scalar(
            select(TranscriptRendering.content).where(TranscriptRendering.id == part_id)
        )
        yield content or ""
