"""Markdown and HTML renderings of a stored transcript, streamed from storage into parts.

Rows are read in conversation order through one streaming query, rendered a batch at a time with the Jinja2
templates in bot/templates/transcript/ (a sandboxed environment; HTML autoescaped), and written as
TranscriptRendering parts of about PART_CHARS characters, each committed on its own: memory holds one batch
and one part per format, whatever the size of the channel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import PackageLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select

from bot.transcripts.messages import decode_file
from bot.transcripts.store import FORMATS, Format, conversation_order
from storage.db import SessionFactory
from storage.models import TranscriptMessage, TranscriptRendering

_TAG_OPENING = re.compile(r"<(?=[A-Za-z/!?])")
RENDER_BATCH = 200  # rows per template call
PART_CHARS = 256 * 1024  # a part is written once it reaches this many characters
_EXTENSIONS: dict[Format, str] = {"markdown": "md", "html": "html"}
_SUBTYPE_MARKS = {
    "tombstone": "deleted",
    "thread_broadcast": "also sent to the channel",
    "bot_message": None,  # already marked "bot"
}


@dataclass(frozen=True)
class FileView:
    """A shared file: its name, and a link when Slack gave a web permalink."""

    name: str
    href: str | None


@dataclass(frozen=True)
class MessageView:
    """One message as the templates see it."""

    anchor: str
    name: str
    user: str | None
    time: str
    iso: str
    is_reply: bool
    is_bot: bool
    marks: tuple[str, ...]
    text: str
    lines: tuple[str, ...]
    files: tuple[FileView, ...]
    links: tuple[str, ...]


@dataclass(frozen=True)
class TranscriptHeading:
    """What the first part says about the transcript."""

    channel_name: str | None
    channel_id: str
    ticket_id: str | None
    message_count: int
    redactions: int
    archived_at: str


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    """The transcript templates' environment: sandboxed, strict, HTML templates autoescaped."""
    env = SandboxedEnvironment(
        loader=PackageLoader("bot", "templates"),
        undefined=StrictUndefined,
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_text
    return env


def markdown_text(text: str) -> str:
    """Text that Markdown shows literally where it could do harm: no raw HTML or autolinks, no link syntax.

    Only a `<` that could open a tag, a comment or an autolink is escaped, so "a < b" and "<3" stay
    readable in the raw text (Zendesk shows a comment's body as written).
    """
    return _TAG_OPENING.sub("&lt;", str(text)).replace("](", "]\\(")


def slack_time(ts: str) -> datetime:
    """A Slack ts as a UTC time."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, UTC)


def message_view(row: Any) -> MessageView:
    """The view of one stored row (a TranscriptMessage or a row with its columns)."""
    moment = slack_time(row.ts)
    marks: list[str] = []
    if row.is_bot:
        marks.append("bot")
    if row.subtype:
        mark = _SUBTYPE_MARKS.get(row.subtype, row.subtype.replace("_", " "))
        if mark:
            marks.append(mark)
    if row.edited:
        marks.append("edited")
    files = []
    for entry in row.files or []:
        name, permalink = decode_file(entry)
        files.append(FileView(name, permalink if _is_web_link(permalink) else None))
    return MessageView(
        anchor=row.ts.replace(".", "-"),
        name=row.user_name or row.user or "unknown",
        user=row.user,
        time=moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
        iso=moment.isoformat(),
        is_reply=bool(row.thread_ts) and row.thread_ts != row.ts,
        is_bot=row.is_bot,
        marks=tuple(marks),
        text=row.text,
        lines=tuple(row.text.split("\n")) if row.text else (),
        files=tuple(files),
        links=tuple(link for link in row.links or [] if _is_web_link(link)),
    )


def _is_web_link(link: str | None) -> bool:
    return bool(link) and str(link).startswith(("https://", "http://"))


def render(name: str, fmt: Format, **view: Any) -> str:
    """Render templates/transcript/<name>.<md|html>.j2."""
    return environment().get_template(f"transcript/{name}.{_EXTENSIONS[fmt]}.j2").render(**view)


class _Parts:
    """Buffers one format's rendering and writes it out a part at a time."""

    def __init__(self, sessions: SessionFactory, swarm_id: int, fmt: Format) -> None:
        self._sessions = sessions
        self._swarm_id = swarm_id
        self._fmt = fmt
        self._buffer: list[str] = []
        self._size = 0
        self.written = 0

    async def add(self, text: str) -> None:
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= PART_CHARS:
            await self.flush()

    async def flush(self) -> None:
        if not self._buffer:
            return
        async with self._sessions() as session, session.begin():
            session.add(
                TranscriptRendering(
                    swarm_id=self._swarm_id,
                    format=self._fmt,
                    part=self.written,
                    content="".join(self._buffer),
                )
            )
        self.written += 1
        self._buffer, self._size = [], 0


async def render_parts(
    sessions: SessionFactory, *, swarm_id: int, heading: TranscriptHeading
) -> dict[str, int]:
    """Render the stored rows of `swarm_id` into parts of both formats; returns the parts per format."""
    writers = {fmt: _Parts(sessions, swarm_id, fmt) for fmt in FORMATS}
    for fmt, writer in writers.items():
        await writer.add(render("header", fmt, heading=heading))
    columns = [
        TranscriptMessage.ts,
        TranscriptMessage.thread_ts,
        TranscriptMessage.user,
        TranscriptMessage.user_name,
        TranscriptMessage.is_bot,
        TranscriptMessage.subtype,
        TranscriptMessage.text,
        TranscriptMessage.edited,
        TranscriptMessage.files,
        TranscriptMessage.links,
    ]
    statement = (
        select(*columns)
        .where(TranscriptMessage.swarm_id == swarm_id)
        .order_by(*conversation_order())
        .execution_options(yield_per=RENDER_BATCH)
    )
    # A reading session streams the rows while each part is written and committed through its own session.
    async with sessions() as reader:
        result = await reader.stream(statement)
        async for batch in result.partitions(RENDER_BATCH):
            views: Sequence[MessageView] = [message_view(row) for row in batch]
            for fmt, writer in writers.items():
                await writer.add(render("messages", fmt, messages=views))
        await result.close()
    for fmt, writer in writers.items():
        await writer.add(render("footer", fmt, heading=heading))
        await writer.flush()
    return {fmt: writer.written for fmt, writer in writers.items()}
