"""Status-update reminders: at the playbook's cadence for the severity, the commander is reminded; after
the playbook's number of missed reminders, the escalation managers hear of it.

One job per swarm (key `swarm:ID:reminder`) that repeats itself; a status update moves it (reset), a snooze
moves it 15 minutes on. Each reminder is posted exactly once through the scheduler's post_once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from bot.clock import Clock
from bot.errors import UserError
from bot.fallbacks import Fallbacks
from bot.invitations import describe
from bot.playbooks import PlaybookLibrary
from bot.poster import Poster
from bot.records import affected
from bot.rendering import render
from bot.scheduler import JobContext, JobQueue, JobView
from bot.swarm_context import SwarmState, for_severity, swarm_state
from bot.timeline import record_for_swarm
from bot.working_calendar import WorkingCalendar
from storage.db import SessionFactory
from storage.models import Swarm

KIND = "status_reminder"
SNOOZE = timedelta(minutes=15)


def reminder_key(swarm_id: int) -> str:
    """The one reminder job of a swarm."""
    return f"swarm:{swarm_id}:reminder"


class Reminders:
    """Plans, moves and runs the status-update reminders."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        jobs: JobQueue,
        playbooks: PlaybookLibrary,
        calendar: WorkingCalendar,
        fallbacks: Fallbacks,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._jobs = jobs
        self._playbooks = playbooks
        self._calendar = calendar
        self._fallbacks = fallbacks

    def next_due(self, state: SwarmState, since: datetime) -> datetime | None:
        """When the next update is due, counting from `since`; None when the playbook sets no cadence."""
        updates = state.playbook.status_updates
        cadence = for_severity(updates.every if updates else None, state.view.severity)
        return self._calendar.add(since, cadence) if cadence else None

    async def plan(self, swarm_id: int, *, since: datetime | None = None) -> datetime | None:
        """(Re)schedule the reminder from `since` (default: the last update, else the opening)."""
        state = await swarm_state(self._sessions, self._playbooks, swarm_id)
        if state is None or not state.open:
            return None
        due = self.next_due(state, since or state.clock_started)
        if due is None:
            await self._jobs.cancel(reminder_key(swarm_id))
            return None
        await self._jobs.schedule(KIND, due_at=due, swarm_id=swarm_id, key=reminder_key(swarm_id))
        return due

    async def reset(self, swarm_id: int, *, next_at: datetime | None = None) -> datetime | None:
        """A status update arrived: missed reminders go back to zero and the clock starts again."""
        async with self._sessions() as session:
            await session.execute(update(Swarm).where(Swarm.id == swarm_id).values(missed_reminders=0))
            await session.commit()
        if next_at is not None:
            await self._jobs.schedule(KIND, due_at=next_at, swarm_id=swarm_id, key=reminder_key(swarm_id))
            return next_at
        return await self.plan(swarm_id, since=self._clock.now())

    async def snooze(self, swarm_id: int, *, by: str, reminded_at: datetime) -> datetime:
        """Move the next reminder 15 minutes on; harmless (explained) when an update came in meanwhile."""
        state = await swarm_state(self._sessions, self._playbooks, swarm_id)
        if state is None or not state.open:
            raise UserError("That swarm is resolved: no more reminders to snooze.")
        if state.last_update_at is not None and state.last_update_at >= reminded_at:
            raise UserError(
                f"An update was already posted at {state.last_update_at:%H:%M} UTC, after this reminder: "
                "nothing to snooze."
            )
        due = self._clock.now() + SNOOZE
        await self._jobs.schedule(KIND, due_at=due, swarm_id=swarm_id, key=reminder_key(swarm_id))
        async with self._sessions() as session:
            await record_for_swarm(
                session, swarm_id, "reminder_snoozed", at=self._clock.now(), actor=by, until=due.isoformat()
            )
            await session.commit()
        return due

    async def run(self, job: JobView, context: JobContext, poster: Poster) -> None:
        """The reminder job: remind, count the miss, tell the managers after too many, come back later."""
        assert job.swarm_id is not None
        state = await swarm_state(self._sessions, self._playbooks, job.swarm_id)
        if state is None or not state.open or state.view.channel_id is None:
            return
        now = self._clock.now()
        due = self.next_due(state, state.clock_started)
        if due is None:
            return
        if due > now:  # an update moved the clock after this job was planned
            context.repeat_at(due)
            return
        missed = context.result.get("missed")
        if not isinstance(missed, int):
            async with self._sessions() as session:
                changed = await session.execute(
                    update(Swarm)
                    .where(Swarm.id == job.swarm_id)
                    .values(missed_reminders=Swarm.missed_reminders + 1)
                )
                missed = state.missed_reminders + 1 if affected(changed) else state.missed_reminders
                await record_for_swarm(session, job.swarm_id, "reminder_sent", at=now, missed=missed)
                await session.commit()
            await context.record({"missed": missed})
        since = describe(now - state.clock_started)
        message = render(
            "messages/status_reminder", swarm=state.view, since=since, missed=missed, reminded_at=job.due_at
        )
        await poster(state.view.channel_id, message, slot="reminder")
        limit = state.playbook.status_updates.missed_before_escalating if state.playbook.status_updates else 0
        if limit and missed == limit:
            managers = await self._fallbacks.managers_mention()
            line = f"<@{state.view.commander}> has missed {missed} status updates in a row" + (
                f"; notifying {managers}." if managers else "; no escalation managers are configured."
            )
            await poster(state.view.channel_id, render("messages/notice", line=line), slot="missed")
        next_due = self.next_due(state, now)
        if next_due is not None:
            context.repeat_at(next_due)
