"""Everything timed about a swarm, together: reminders, escalation levels, SLA alerts, invitation timeouts.

Started when a swarm is ready, re-planned when its severity changes, stopped when it is resolved. The
start is guarded: before a swarm is marked ready, a `start_clocks` job is scheduled a minute ahead and
cancelled once the clocks are planned, so a process dying in between leaves the worker to start them.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.clock import Clock
from bot.errors import InvalidCommand, UserError
from bot.grammar import SEVERITIES
from bot.levels import EscalationLevels
from bot.permissions import Permissions
from bot.reminders import Reminders
from bot.rendering import render
from bot.scheduler import JobQueue
from bot.sla import SlaClock
from bot.slack.gateway import SlackGateway
from bot.swarm_builder import swarm_topic
from bot.swarm_views import SwarmView, load_swarm_view
from bot.timeline import record_for_swarm
from storage.db import SessionFactory
from storage.models import Invitation, Swarm

INVITATION_TIMEOUT = "invitation_timeout"
START = "start_clocks"
START_BACKSTOP = timedelta(minutes=1)  # long enough for the inline start to finish and cancel it


def start_key(swarm_id: int) -> str:
    """The backstop job that starts a swarm's clocks if the process that made it ready could not."""
    return f"swarm:{swarm_id}:start_clocks"


def invitation_key(invitation_id: int) -> str:
    """The timeout job of one invitation."""
    return f"invitation:{invitation_id}:timeout"


class SwarmClocks:
    """Starts, re-plans and stops a swarm's scheduled jobs."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        jobs: JobQueue,
        reminders: Reminders,
        levels: EscalationLevels,
        sla: SlaClock,
        permissions: Permissions,
        invitation_timeout: timedelta,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._jobs = jobs
        self._reminders = reminders
        self._levels = levels
        self._sla = sla
        self._permissions = permissions
        self._invitation_timeout = invitation_timeout

    async def guard(self, swarm_id: int) -> None:
        """Schedule the backstop of `start`; call it before the swarm is marked ready."""
        due = self._clock.now() + START_BACKSTOP
        await self._jobs.schedule(START, due_at=due, swarm_id=swarm_id, key=start_key(swarm_id))

    async def start(self, swarm_id: int) -> None:
        """Plan every clock of a swarm that just became ready (safe to repeat: keys make it idempotent)."""
        await self._plan(swarm_id)
        await self._jobs.cancel(start_key(swarm_id))

    async def start_late(self, swarm_id: int) -> None:
        """The backstop job: start the clocks of a swarm that became ready and did not get them."""
        async with self._sessions() as session:
            swarm = await session.get(Swarm, swarm_id)
        if swarm is not None and swarm.status == "open":
            await self._plan(swarm_id)  # the job itself is the guard: the worker marks it done

    async def _plan(self, swarm_id: int) -> None:
        await self._reminders.plan(swarm_id)
        await self._levels.plan(swarm_id)
        await self._sla.plan(swarm_id)
        await self.time_invitations(swarm_id)

    async def time_invitations(self, swarm_id: int) -> None:
        """A timeout for every invitation still waiting for its answer."""
        async with self._sessions() as session:
            waiting = (
                await session.scalars(
                    select(Invitation).where(Invitation.swarm_id == swarm_id, Invitation.status == "invited")
                )
            ).all()
        for invitation in waiting:
            await self._jobs.schedule(
                INVITATION_TIMEOUT,
                due_at=invitation.invited_at + self._invitation_timeout,
                swarm_id=swarm_id,
                key=invitation_key(invitation.id),
                payload={"invitation": invitation.id},
            )

    async def stop(self, swarm_id: int) -> int:
        """Cancel every pending job of a swarm (it was resolved)."""
        return await self._jobs.cancel_for_swarm(swarm_id)

    async def change_severity(self, swarm: SwarmView, severity: str, *, by: str) -> None:
        """`/escalate sev sevN`: record it, tell the channel, re-plan the cadence and the SLA."""
        if severity not in SEVERITIES:
            raise InvalidCommand(
                f"`{severity}` is not a severity: use sev1, sev2, sev3 or sev4.", hint="`/escalate sev sev1`"
            )
        if swarm.status == "resolved":
            raise UserError(f"{swarm.ticket_id} is resolved: its severity no longer matters.")
        await self._permissions.steer(swarm, by, "change the severity")
        if severity == swarm.severity:
            raise UserError(f"{swarm.ticket_id} is already {severity.upper()}.")
        now = self._clock.now()
        async with self._sessions() as session:
            await session.execute(update(Swarm).where(Swarm.id == swarm.id).values(severity=severity))
            await record_for_swarm(
                session, swarm.id, "severity_changed", at=now, actor=by, was=swarm.severity, to=severity
            )
            await session.commit()
            changed = await load_swarm_view(session, swarm.id)
        assert swarm.channel_id is not None
        line = f"<@{by}> changed the severity from {swarm.severity.upper()} to {severity.upper()}."
        await self._gateway.post_message(swarm.channel_id, **render("messages/notice", line=line))
        await self._gateway.set_topic(swarm.channel_id, swarm_topic(changed))
        await self._reminders.plan(swarm.id)
        await self._sla.plan(swarm.id)
