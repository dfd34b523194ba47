"""The reconciler: finds swarms a crash or a Slack outage left half-done, and finishes them.

It runs as a periodic job (every few minutes, on any worker) and on demand as `swarmbot doctor`. Every
repair goes through the same idempotent code a first attempt uses, so running it twice changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from bot.clock import Clock
from bot.coordination import LockTimeout
from bot.errors import SlackCallFailed, SwarmIncomplete
from bot.inbox import Inbox
from bot.resolution import ARCHIVE, archive_key
from bot.scheduler import JobQueue
from bot.swarm_clocks import SwarmClocks
from bot.swarms import Swarms
from storage.db import SessionFactory
from storage.models import Swarm

log = logging.getLogger(__name__)

KIND = "reconcile"
KEY = "reconcile"
EVERY = timedelta(minutes=5)
# Events a dead process acked but never worked are looked for much more often than the full pass runs:
# people go on working the swarm, and a claim replayed after the swarm was resolved comes too late.
REPLAY_EVERY = timedelta(seconds=5)
# A swarm still opening after this long has lost the process that was building it.
STALE_OPENING = timedelta(minutes=2)


@dataclass
class Repairs:
    """What one pass found and did."""

    finished: list[str] = field(default_factory=list)
    still_broken: list[str] = field(default_factory=list)
    clocks_started: list[str] = field(default_factory=list)
    archives_scheduled: list[str] = field(default_factory=list)
    events_replayed: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many repairs were made."""
        return (
            len(self.finished)
            + len(self.clocks_started)
            + len(self.archives_scheduled)
            + len(self.events_replayed)
        )

    def lines(self) -> list[str]:
        """What `swarmbot doctor` prints."""
        lines = [f"finished   {item}" for item in self.finished]
        lines += [
            f"clocks     {item}: reminders, levels and SLA alerts planned again"
            for item in self.clocks_started
        ]
        lines += [f"archive    {item}: archive scheduled" for item in self.archives_scheduled]
        lines += [
            f"replayed   {item}: acked, then its process died before the work was done"
            for item in self.events_replayed
        ]
        lines += [f"BROKEN     {item}" for item in self.still_broken]
        lines.append(
            f"{self.total} repaired, {len(self.still_broken)} still broken"
            if self.total or self.still_broken
            else "all swarms are whole"
        )
        return lines


class Reconciler:
    """Finds and finishes half-built swarms, lost clocks and forgotten archives."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        jobs: JobQueue,
        swarms: Swarms,
        clocks: SwarmClocks,
        inbox: Inbox,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._jobs = jobs
        self._swarms = swarms
        self._clocks = clocks
        self._inbox = inbox
        # Runs a stored event through the app's listeners (bot/handlers/replay.py); set by Services.
        self.replay: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    async def run(self) -> Repairs:
        """One pass over every swarm that is not whole."""
        repairs = Repairs()
        now = self._clock.now()
        async with self._sessions() as session:
            half_built = (
                await session.scalars(
                    select(Swarm).where(
                        or_(
                            (Swarm.status == "opening") & (Swarm.opened_at < now - STALE_OPENING),
                            (Swarm.status == "open")
                            & (
                                Swarm.channel_id.is_(None)
                                | ~Swarm.people_invited
                                | ~Swarm.topic_set
                                | ~Swarm.purpose_set
                                | ~Swarm.brief_pinned
                            ),
                        )
                    )
                )
            ).all()
            unarchived = (
                await session.scalars(
                    select(Swarm).where(Swarm.status == "resolved", ~Swarm.channel_archived)
                )
            ).all()
            running = (await session.scalars(select(Swarm).where(Swarm.status == "open"))).all()
        for swarm in half_built:
            label = f"swarm {swarm.id} ({swarm.channel_name or 'no channel yet'})"
            try:
                await self._swarms.finish(swarm.id)
                repairs.finished.append(label)
            except (SwarmIncomplete, SlackCallFailed, LockTimeout) as failure:
                repairs.still_broken.append(f"{label}: {failure}")
        for swarm in running:
            if not await self._jobs.pending(swarm_id=swarm.id):
                await self._clocks.start(swarm.id)
                repairs.clocks_started.append(f"swarm {swarm.id} (#{swarm.channel_name})")
        for swarm in unarchived:
            if not await self._jobs.pending(swarm_id=swarm.id, kind=ARCHIVE):
                await self._jobs.schedule(ARCHIVE, due_at=now, swarm_id=swarm.id, key=archive_key(swarm.id))
                repairs.archives_scheduled.append(f"swarm {swarm.id} (#{swarm.channel_name})")
        await self._replay_abandoned_events(repairs)
        if repairs.total or repairs.still_broken:
            log.info("reconciler: %s", "; ".join(repairs.lines()))
        return repairs

    async def _replay_abandoned_events(self, repairs: Repairs) -> None:
        """Events acked by a process that died before their work was done (bot/inbox.py)."""
        if self.replay is None:
            return
        for event in await self._inbox.abandoned():
            if not await self._inbox.retake(event):
                continue  # another process is replaying it
            label = f"{event.event_type or 'event'} {event.event_id}"
            try:
                await self.replay(event.body)
            except Exception as failure:  # one bad event must not stop the pass
                log.exception("replaying %s failed", label)
                repairs.still_broken.append(f"{label}: {failure}")
                continue
            repairs.events_replayed.append(label)
        await self._inbox.forget_done()

    async def replay_events(self) -> list[str]:
        """Only the replay of abandoned events (the frequent job); what was replayed."""
        repairs = Repairs()
        await self._replay_abandoned_events(repairs)
        if repairs.events_replayed or repairs.still_broken:
            log.info("reconciler: %s", "; ".join(repairs.lines()))
        return repairs.events_replayed

    async def replay_events_until(self, stop: asyncio.Event) -> None:
        """Every `REPLAY_EVERY` until `stop`: replay abandoned events (each worker; one takes each event).

        A loop of the worker rather than a scheduled job: a job every few seconds would leave a done row
        behind each time.
        """
        while True:
            # Wait first: no event is abandoned before REPLAY_AFTER, and a worker's start stays its own.
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=REPLAY_EVERY.total_seconds())
            if stop.is_set():
                return
            try:
                await self.replay_events()
            except Exception:  # the database may be away for a moment: try again next time
                log.warning("looking for abandoned events failed", exc_info=True)

    async def keep_running(self) -> None:
        """Make sure the periodic pass is scheduled (idempotent: one live job holds the key)."""
        await self._jobs.schedule(KIND, due_at=self._clock.now() + EVERY, key=KEY)
