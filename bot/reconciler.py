"""The reconciler: finds swarms a crash or a Slack outage left half-done, and finishes them.

It runs as a periodic job (every few minutes, on any worker) and on demand as `swarmbot doctor`. Every
repair goes through the same idempotent code a first attempt uses, so running it twice changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select

from bot.clock import Clock
from bot.errors import SlackCallFailed, SwarmIncomplete
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
# A swarm still opening after this long has lost the process that was building it.
STALE_OPENING = timedelta(minutes=2)


@dataclass
class Repairs:
    """What one pass found and did."""

    finished: list[str] = field(default_factory=list)
    still_broken: list[str] = field(default_factory=list)
    clocks_started: list[str] = field(default_factory=list)
    archives_scheduled: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What `swarmbot doctor` prints."""
        lines = [f"finished   {item}" for item in self.finished]
        lines += [
            f"clocks     {item}: reminders, levels and SLA alerts planned again"
            for item in self.clocks_started
        ]
        lines += [f"archive    {item}: archive scheduled" for item in self.archives_scheduled]
        lines += [f"BROKEN     {item}" for item in self.still_broken]
        total = len(self.finished) + len(self.clocks_started) + len(self.archives_scheduled)
        lines.append(
            f"{total} repaired, {len(self.still_broken)} still broken"
            if total or self.still_broken
            else "all swarms are whole"
        )
        return lines


class Reconciler:
    """Finds and finishes half-built swarms, lost clocks and forgotten archives."""

    def __init__(
        self, *, sessions: SessionFactory, clock: Clock, jobs: JobQueue, swarms: Swarms, clocks: SwarmClocks
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._jobs = jobs
        self._swarms = swarms
        self._clocks = clocks

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
            except (SwarmIncomplete, SlackCallFailed) as failure:
                repairs.still_broken.append(f"{label}: {failure}")
        for swarm in running:
            if not await self._jobs.pending(swarm_id=swarm.id):
                await self._clocks.start(swarm.id)
                repairs.clocks_started.append(f"swarm {swarm.id} (#{swarm.channel_name})")
        for swarm in unarchived:
            if not await self._jobs.pending(swarm_id=swarm.id, kind=ARCHIVE):
                await self._jobs.schedule(ARCHIVE, due_at=now, swarm_id=swarm.id, key=archive_key(swarm.id))
                repairs.archives_scheduled.append(f"swarm {swarm.id} (#{swarm.channel_name})")
        if repairs.finished or repairs.still_broken or repairs.clocks_started or repairs.archives_scheduled:
            log.info("reconciler: %s", "; ".join(repairs.lines()))
        return repairs

    async def keep_running(self) -> None:
        """Make sure the periodic pass is scheduled (idempotent: one live job holds the key)."""
        await self._jobs.schedule(KIND, due_at=self._clock.now() + EVERY, key=KEY)
