"""How a rehearsal is told: simulated timestamps, repeated messages shortened, and a closing summary.

A day-long rehearsal posts the same reminder dozens of times; after its first full quote, a message is
shown by its first line only (`--full` quotes every one). The summary is read back from storage (the
timeline and the scheduler's jobs), so it reports what the bot did, not what the playbook intended.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from storage.db import SessionFactory
from storage.models import Job, TimelineEntry

Echo = Callable[[str], None]
QUOTE = "      │ "
_NUMBERS = re.compile(r"\d+")


def elapsed(delta: timedelta) -> str:
    """+H:MM since the opening, with days when there are any: +0:15, +26:00 reads +1d 2:00."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    clock = f"{minutes // 60}:{minutes % 60:02d}"
    return f"+{days}d {clock}" if days else f"+{clock}"


def stamp(opened_at: datetime, now: datetime) -> str:
    """The line that starts each moment of the timeline."""
    return f"\n⏱ {elapsed(now - opened_at)}  ({now:%a %d %b %H:%M} UTC)"


class CondensedEcho:
    """Passes the narrator's lines on, shortening a quoted message that was already quoted in full."""

    def __init__(self, echo: Echo, *, full: bool = False) -> None:
        self._echo = echo
        self._full = full
        self._header: str | None = None
        self._quote: list[str] = []
        self._first: dict[str, list[str]] = {}  # each kind of message as first quoted in full

    def __call__(self, line: str) -> None:
        if line.startswith(QUOTE) and self._header is not None:
            self._quote.append(line)
            return
        self.flush()
        self._header = line

    def flush(self) -> None:
        """Print what is held back (call before printing anything else)."""
        if self._header is not None:
            self._echo(self._header)
        if self._quote:
            # Messages of one kind differ in their numbers (times, counts, levels): compare without them.
            key = _NUMBERS.sub("#", self._quote[0])
            first = self._first.setdefault(key, self._quote)
            changed = [line for line in self._quote if line not in first]
            if self._full or first is self._quote:
                shown = self._quote
            else:
                shown = [self._quote[0], *(line for line in changed if line != self._quote[0])]
                shown.append(f"{QUOTE}… (the rest as the first time)")
            for line in shown:
                self._echo(line)
        self._header, self._quote = None, []


def routine_key(moment: list[str]) -> str | None:
    """What a moment said, numbers aside, when it was one message only (else None): a repeated reminder."""
    headers = [line for line in moment if not line.startswith(QUOTE)]
    if len(headers) != 1 or len(moment) < 2 or moment[0] != headers[0]:
        return None
    return _NUMBERS.sub("#", moment[0] + moment[1])


async def summary_lines(sessions: SessionFactory, swarm_id: int, opened_at: datetime) -> list[str]:
    """What happened, by simulated time: levels, SLA alerts, reminders and missed updates."""
    async with sessions() as session:
        entries = (
            await session.scalars(
                select(TimelineEntry).where(TimelineEntry.swarm_id == swarm_id).order_by(TimelineEntry.id)
            )
        ).all()
        alerts = (
            await session.scalars(
                select(Job).where(Job.swarm_id == swarm_id, Job.kind == "sla_alert", Job.state == "done")
            )
        ).all()
    moments: list[tuple[datetime, str]] = []
    for entry in entries:
        if entry.kind == "level_raised":
            moments.append(
                (entry.at, f"escalation level {entry.detail.get('level')} ({entry.detail.get('why')})")
            )
    for job in alerts:
        which = "first response" if job.payload.get("which") == "respond" else "resolution"
        moments.append((job.due_at, f"SLA {job.payload.get('stage')}: {which}"))
    counts = Counter(entry.kind for entry in entries)
    reminders = [entry for entry in entries if entry.kind == "reminder_sent"]
    lines = [f"  {elapsed(at - opened_at):>10}  {what}" for at, what in sorted(moments, key=lambda m: m[0])]
    if reminders:
        first = elapsed(reminders[0].at - opened_at)
        most = max(int(entry.detail.get("missed") or 0) for entry in reminders)
        lines.append(
            f"  {counts['reminder_sent']} status-update reminders (the first at {first}); "
            f"{most} missed in a row"
        )
    else:
        lines.append("  no status-update reminders")
    if not moments:
        lines.insert(0, "  no escalation levels and no SLA alerts")
    return lines
