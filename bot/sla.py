"""SLA clocks: first response (the first status update) and resolution, per severity from the playbook.

For each target a warning job at 75% of the window and a breach job at 100%; a target met by then makes
them no-ops. A breach is told in the channel and the stakeholder channel and recorded on the timeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from bot.broadcasts import Broadcasts
from bot.clock import Clock
from bot.playbooks import PlaybookLibrary
from bot.poster import Poster
from bot.rendering import render
from bot.scheduler import JobContext, JobQueue, JobView
from bot.swarm_context import SwarmState, for_severity, swarm_state
from bot.timeline import record_for_swarm
from bot.working_calendar import WorkingCalendar
from storage.db import SessionFactory

KIND = "sla_alert"
WARN_AT = 0.75
Target = Literal["respond", "resolve"]
Stage = Literal["warning", "breach"]
TARGETS: tuple[Target, ...] = ("respond", "resolve")
STAGES: tuple[Stage, ...] = ("warning", "breach")


def sla_key(swarm_id: int, which: Target, stage: Stage) -> str:
    """The job of one alert of one target of one swarm."""
    return f"swarm:{swarm_id}:sla:{which}:{stage}"


def met(state: SwarmState, which: Target) -> bool:
    """Whether the target is met: a first status update for respond, the resolution for resolve."""
    return state.last_update_at is not None if which == "respond" else not state.open


class SlaClock:
    """Plans and sounds the SLA alerts."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        jobs: JobQueue,
        playbooks: PlaybookLibrary,
        calendar: WorkingCalendar,
        broadcasts: Broadcasts,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._jobs = jobs
        self._playbooks = playbooks
        self._calendar = calendar
        self._broadcasts = broadcasts

    def deadlines(self, state: SwarmState, which: Target) -> tuple[datetime, datetime] | None:
        """(warning, deadline) of a target for the swarm's severity; None when the playbook sets none."""
        sla = state.playbook.sla
        target = for_severity(
            (sla.respond if which == "respond" else sla.resolve) if sla else None, state.view.severity
        )
        if target is None:
            return None
        deadline = self._calendar.add(state.opened_at, target)
        return state.opened_at + (deadline - state.opened_at) * WARN_AT, deadline

    async def plan(self, swarm_id: int) -> None:
        """(Re)schedule the alerts of both targets for the swarm's current severity."""
        state = await swarm_state(self._sessions, self._playbooks, swarm_id)
        if state is None or not state.open:
            return
        for which in TARGETS:
            times: tuple[datetime | None, ...] = self.deadlines(state, which) or (None, None)
            for stage, due in zip(STAGES, times, strict=True):
                key = sla_key(swarm_id, which, stage)
                if due is None or met(state, which):
                    await self._jobs.cancel(key)
                else:
                    payload = {"which": which, "stage": stage}
                    await self._jobs.schedule(KIND, due_at=due, swarm_id=swarm_id, key=key, payload=payload)

    async def responded(self, swarm_id: int) -> None:
        """The first response is in: its alerts are moot."""
        for stage in STAGES:
            await self._jobs.cancel(sla_key(swarm_id, "respond", stage))

    async def run(self, job: JobView, context: JobContext, poster: Poster) -> None:
        """Sound one alert, unless its target is met or the swarm is resolved."""
        assert job.swarm_id is not None
        which: Target = "resolve" if job.payload.get("which") == "resolve" else "respond"
        stage: Stage = "breach" if job.payload.get("stage") == "breach" else "warning"
        state = await swarm_state(self._sessions, self._playbooks, job.swarm_id)
        if state is None or not state.open or met(state, which) or state.view.channel_id is None:
            return
        times = self.deadlines(state, which)
        if times is None:
            return
        sla = state.playbook.sla
        target = for_severity(
            (sla.respond if which == "respond" else sla.resolve) if sla else None, state.view.severity
        )
        message = render(
            "messages/sla_alert", swarm=state.view, which=which, stage=stage, target=str(target), at=times[1]
        )
        await poster(state.view.channel_id, message, slot="channel")
        if stage == "breach" and not context.result.get("recorded"):
            async with self._sessions() as session:
                await record_for_swarm(
                    session,
                    job.swarm_id,
                    "sla_breached",
                    at=self._clock.now(),
                    target=which,
                    due=times[1].isoformat(),
                )
                await session.commit()
            goal = "first response" if which == "respond" else "resolution"
            await self._broadcasts.send(
                state.view, state.playbook, "sla", f"{goal.capitalize()} target {target}."
            )
            await context.record({"recorded": True})
