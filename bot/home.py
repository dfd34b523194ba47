"""What a person's Home tab shows: their open swarms with the clocks that matter, their claimed tasks, and
who is on shift for their skills. Plain views for the template; nothing here talks to Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.clock import Clock
from bot.expert_ranking import Availability
from bot.experts import ExpertDirectory
from bot.playbooks import PlaybookLibrary
from bot.reminders import Reminders
from bot.sla import SlaClock
from bot.swarm_context import SwarmState, swarm_state
from bot.swarm_membership import involving, severity_first
from bot.swarm_views import SwarmView
from storage.db import SessionFactory
from storage.models import Expert, ExpertSkill, Invitation, Swarm, Task, Ticket

SWARMS_SHOWN = 15
TASKS_SHOWN = 15
SKILLS_SHOWN = 8


@dataclass(frozen=True)
class HomeSwarm:
    """One of the person's open swarms and where its clocks stand."""

    swarm: SwarmView
    parts: tuple[str, ...]  # what the person is in it: role titles, "expert (#sre)", "member"
    sla_target: str | None  # "first response" or "resolution": the next target still to meet
    sla_due: datetime | None
    next_update_due: datetime | None


@dataclass(frozen=True)
class HomeTask:
    """A task the person claimed and has not finished."""

    ticket_id: str
    channel_id: str | None
    position: int
    title: str
    due_at: datetime | None


@dataclass(frozen=True)
class SkillShift:
    """Who has a skill and is at work now (busy ones are on shift but at their limit)."""

    skill: str
    available: tuple[str, ...]
    busy: tuple[str, ...]


@dataclass(frozen=True)
class HomeView:
    """Everything the Home tab shows one person."""

    user_id: str
    now: datetime
    swarms: tuple[HomeSwarm, ...]
    more_swarms: int
    tasks: tuple[HomeTask, ...]
    skills: tuple[SkillShift, ...]
    skills_are_own: bool  # False: the skills come from the person's swarms (they have none themselves)


class HomeReader:
    """Reads a person's Home from storage, the playbooks' clocks and the expert directory."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        playbooks: PlaybookLibrary,
        directory: ExpertDirectory,
        sla: SlaClock,
        reminders: Reminders,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._playbooks = playbooks
        self._directory = directory
        self._sla = sla
        self._reminders = reminders

    async def home(self, user_id: str) -> HomeView:
        """The Home of `user_id` as of now."""
        async with self._sessions() as session:
            mine = severity_first(
                list(
                    (
                        await session.scalars(select(Swarm).where(Swarm.status == "open", involving(user_id)))
                    ).all()
                )
            )
            own_skills = (
                await session.scalars(
                    select(ExpertSkill.tag)
                    .join(Expert, Expert.id == ExpertSkill.expert_id)
                    .where(Expert.slack_id == user_id)
                    .order_by(ExpertSkill.proficiency.desc(), ExpertSkill.tag)
                )
            ).all()
            task_rows = (
                await session.execute(
                    select(Task, Swarm.channel_id, Ticket.ticket_id)
                    .join(Swarm, Swarm.id == Task.swarm_id)
                    .join(Ticket, Ticket.id == Swarm.ticket_pk)
                    .where(Task.claimed_by == user_id, Task.done.is_(False), Swarm.status == "open")
                    .order_by(Task.due_at.is_(None), Task.due_at, Task.id)
                    .limit(TASKS_SHOWN)
                )
            ).all()
            invited = {
                swarm_id: skill
                for swarm_id, skill in (
                    await session.execute(
                        select(Invitation.swarm_id, Invitation.skill).where(
                            Invitation.user_id == user_id, Invitation.status.in_(("invited", "accepted"))
                        )
                    )
                ).all()
            }
        loaded = [
            await self._home_swarm(swarm.id, user_id, invited.get(swarm.id)) for swarm in mine[:SWARMS_SHOWN]
        ]
        swarms = [home for home in loaded if home is not None]
        tasks = tuple(
            HomeTask(ticket, channel, task.position, task.title, task.due_at)
            for task, channel, ticket in task_rows
        )
        skills = list(own_skills) or list(dict.fromkeys(tag for home in swarms for tag in home.swarm.skills))
        shifts = [await self._shift(tag, user_id) for tag in skills[:SKILLS_SHOWN]]
        return HomeView(
            user_id=user_id,
            now=self._clock.now(),
            swarms=tuple(swarms),
            more_swarms=max(0, len(mine) - SWARMS_SHOWN),
            tasks=tasks,
            skills=tuple(shifts),
            skills_are_own=bool(own_skills),
        )

    async def _home_swarm(self, swarm_id: int, user_id: str, expert_for: str | None) -> HomeSwarm | None:
        state = await swarm_state(self._sessions, self._playbooks, swarm_id)
        if state is None:  # deleted since the listing
            return None
        target, due = self._next_sla(state)
        return HomeSwarm(
            swarm=state.view,
            parts=_parts(state.view, user_id, expert_for),
            sla_target=target,
            sla_due=due,
            next_update_due=self._reminders.next_due(state, state.clock_started),
        )

    def _next_sla(self, state: SwarmState) -> tuple[str | None, datetime | None]:
        if state.last_update_at is None and (respond := self._sla.deadlines(state, "respond")):
            return "first response", respond[1]
        if resolve := self._sla.deadlines(state, "resolve"):
            return "resolution", resolve[1]
        return None, None

    async def _shift(self, skill: str, user_id: str) -> SkillShift:
        ranking = await self._directory.ranking(skill)
        others = [expert for expert in ranking.experts if expert.slack_id != user_id]
        return SkillShift(
            skill=skill,
            available=tuple(e.slack_id for e in others if e.availability is Availability.AVAILABLE),
            busy=tuple(e.slack_id for e in others if e.availability is Availability.BUSY),
        )


def _parts(view: SwarmView, user_id: str, expert_for: str | None) -> tuple[str, ...]:
    parts = [role.title for role in view.roles if role.holder == user_id]
    if view.commander == user_id and not any(role.key == "commander" for role in view.roles):
        parts.insert(0, "Commander")
    if expert_for:
        parts.append(f"expert (#{expert_for})")
    if not parts and view.requested_by == user_id:
        parts.append("requester")
    return tuple(parts) or ("member",)
