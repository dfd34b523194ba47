"""The escalation matrix: when a level's window passes unresolved, its contacts are notified (and invited),
the channel is told, the level is recorded and the stakeholders hear; `/escalate up` does it on demand.

One job per level (key `swarm:ID:level:N`), planned from the opening time on the working calendar. Raising a
level is a compare-and-set on the swarm's level, so a timed level and an `up` never both raise it.
"""

from __future__ import annotations

from sqlalchemy import update

from bot.broadcasts import Broadcasts
from bot.clock import Clock
from bot.errors import SlackCallFailed, UserError
from bot.fallbacks import Fallbacks
from bot.invitations import describe
from bot.playbooks import PlaybookLibrary, render_author_template
from bot.playbooks.fields import NotifyTarget
from bot.poster import Poster
from bot.records import affected
from bot.rendering import render
from bot.scheduler import JobContext, JobQueue, JobView
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import escape
from bot.swarm_context import SwarmState, swarm_state
from bot.swarm_views import RoleView, SwarmView
from bot.timeline import record_for_swarm
from bot.working_calendar import WorkingCalendar
from storage.db import SessionFactory
from storage.models import Swarm

KIND = "escalation_level"


def level_key(swarm_id: int, level: int) -> str:
    """The timed job of one level of one swarm."""
    return f"swarm:{swarm_id}:level:{level}"


class EscalationLevels:
    """Plans and raises escalation levels."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        jobs: JobQueue,
        playbooks: PlaybookLibrary,
        calendar: WorkingCalendar,
        fallbacks: Fallbacks,
        broadcasts: Broadcasts,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._jobs = jobs
        self._playbooks = playbooks
        self._calendar = calendar
        self._fallbacks = fallbacks
        self._broadcasts = broadcasts

    async def plan(self, swarm_id: int) -> None:
        """Schedule every level not yet reached, each `after` its window from the opening."""
        state = await swarm_state(self._sessions, self._playbooks, swarm_id)
        if state is None or not state.open:
            return
        for number, level in enumerate(state.playbook.escalation, start=1):
            if number > state.escalation_level:
                due = self._calendar.add(state.opened_at, level.after)
                await self._jobs.schedule(
                    KIND,
                    due_at=due,
                    swarm_id=swarm_id,
                    key=level_key(swarm_id, number),
                    payload={"level": number},
                )

    async def run(self, job: JobView, context: JobContext, poster: Poster) -> None:
        """A level's window passed: raise to it unless the swarm is resolved or already there."""
        assert job.swarm_id is not None
        number = int(job.payload["level"])
        state = await swarm_state(self._sessions, self._playbooks, job.swarm_id)
        if state is None or not state.open or number > len(state.playbook.escalation):
            return
        if not context.result.get("raised"):
            if not await self._claim_level(job.swarm_id, number):
                return  # `/escalate up` (or another level) got there first
            await context.record({"raised": True})
        after = state.playbook.escalation[number - 1].after
        why = f"unresolved after {after}"
        await self._announce(
            state, number, why, poster, by=None, announced=bool(context.result.get("announced"))
        )
        await context.record({"announced": True})

    async def up(self, swarm_id: int, *, by: str, poster: Poster) -> int:
        """`/escalate up`: raise to the next level now (permission checked by the caller)."""
        state = await swarm_state(self._sessions, self._playbooks, swarm_id)
        if state is None or not state.open:
            raise UserError("That swarm is resolved: there is nothing to escalate.")
        levels = len(state.playbook.escalation)
        number = state.escalation_level + 1
        if number > levels:
            raise UserError(f"{state.view.ticket_id} is already at the top level of its matrix ({levels}).")
        if not await self._claim_level(swarm_id, number):
            raise UserError(
                "Someone raised the level at the same moment; run `/escalate up` again to go higher."
            )
        await self._jobs.cancel(level_key(swarm_id, number))
        await self._announce(state, number, f"raised by <@{by}>", poster, by=by, announced=False)
        return number

    async def _claim_level(self, swarm_id: int, number: int) -> bool:
        async with self._sessions() as session:
            claimed = await session.execute(
                update(Swarm)
                .where(Swarm.id == swarm_id, Swarm.escalation_level < number)
                .values(escalation_level=number)
            )
            await session.commit()
        return affected(claimed) == 1

    async def _announce(
        self, state: SwarmState, number: int, why: str, poster: Poster, *, by: str | None, announced: bool
    ) -> None:
        view = state.view
        assert view.channel_id is not None
        level = state.playbook.escalation[number - 1]
        mentions: list[str] = []
        invitees: list[str] = []
        for target in level.notify:
            mention, people = await self._resolve(view.roles, target)
            mentions.append(mention)
            invitees.extend(people)
            if target.kind == "channel" and not announced:
                await self._tell_channel(target.name, view, number)
        if invitees:
            await self._gateway.invite(view.channel_id, invitees)
        elapsed = describe(self._clock.now() - state.opened_at)
        author_message = ""
        if level.message is not None:
            author_message = render_author_template(
                level.message,
                {
                    "ticket_id": view.ticket_id,
                    "severity": view.severity.upper(),
                    "category": view.category or "",
                    "summary": view.summary,
                    "customer": view.customer or "",
                    "channel": view.channel_name or "",
                    "level": number,
                    "elapsed": elapsed,
                    "playbook": state.playbook.name,
                },
            )
        message = render(
            "messages/level_raised",
            swarm=view,
            level=number,
            of=len(state.playbook.escalation),
            notified=", ".join(mentions),
            message=author_message,
            why=why,
        )
        await poster(view.channel_id, message, slot="level")
        if not announced:
            async with self._sessions() as session:
                await record_for_swarm(
                    session, view.id, "level_raised", at=self._clock.now(), actor=by, level=number, why=why
                )
                await session.commit()
            await self._broadcasts.send(view, state.playbook, "level", f"Escalation level {number}: {why}.")

    async def _tell_channel(self, name: str, view: SwarmView, number: int) -> None:
        # Posted by name (chat:write.public): a missing or private channel is noted, never a failure.
        line = (
            f"*{escape(view.ticket_id)}* ({view.severity.upper()}) reached escalation level {number}: "
            f"<#{view.channel_id}>"
        )
        try:
            await self._gateway.post_message(f"#{name}", **render("messages/notice", line=line))
        except SlackCallFailed as failure:
            async with self._sessions() as session:
                await record_for_swarm(
                    session,
                    view.id,
                    "notify_failed",
                    at=self._clock.now(),
                    target=f"channel:{name}",
                    error=failure.error,
                )
                await session.commit()

    async def _resolve(self, roles: tuple[RoleView, ...], target: NotifyTarget) -> tuple[str, list[str]]:
        """A target's mention and the people to invite into the channel."""
        if target.kind == "user":
            return f"<@{target.name}>", [target.name]
        if target.kind == "usergroup":
            groups = await self._gateway.usergroups_by_handle()
            group_id = groups.get(target.name)
            if group_id is None:
                return f"@{target.name} (no such user group)", []
            return f"<!subteam^{group_id}|@{target.name}>", await self._gateway.usergroup_members(group_id)
        if target.kind == "role":
            holder = next((role.holder for role in roles if role.key == target.name), None)
            return (f"<@{holder}>", [holder]) if holder else (f"the {target.name} (unassigned)", [])
        return f"#{target.name}", []
