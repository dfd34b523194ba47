"""What a new swarm starts with: its playbook, roles, tasks and the experts to invite, recorded at once."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.expert_ranking import ExpertSelection
from bot.experts import ExpertDirectory
from bot.grammar import OpenSwarm
from bot.playbooks import Playbook, PlaybookLibrary
from bot.working_calendar import WorkingCalendar
from storage.models import Invitation, Participant, RoleAssignment, Swarm, Task


@dataclass(frozen=True)
class UnknownSkill:
    """A requested tag nobody in the directory has, with the known tags closest to it."""

    tag: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class SwarmPlan:
    """The decisions taken before anything is recorded."""

    playbook: Playbook
    skills: tuple[str, ...]
    unknown_skills: tuple[UnknownSkill, ...]
    selection: ExpertSelection
    known_tags: frozenset[str]


async def plan_swarm(
    request: OpenSwarm,
    *,
    requested_by: str,
    playbooks: PlaybookLibrary,
    directory: ExpertDirectory,
    experts_per_skill: int,
) -> SwarmPlan:
    """Pick the playbook and the experts for `request`; unknown tags are set aside with suggestions."""
    playbook = playbooks.select(request.category, request.severity)
    known = await directory.known_tags()
    requested = [tag for tag in request.skills if tag in known]
    unknown = tuple(
        UnknownSkill(tag, tuple(difflib.get_close_matches(tag, sorted(known), n=3, cutoff=0.7)))
        for tag in request.skills
        if tag not in known
    )
    counts: dict[str, int] = dict.fromkeys(requested, experts_per_skill)
    for expert in playbook.experts:
        counts[expert.skill] = max(counts.get(expert.skill, 0), expert.count)
    for role in playbook.roles:
        if role.fill.kind == "skill" and role.fill.name is not None:
            counts.setdefault(role.fill.name, 1)
    selection = await directory.choose(
        list(counts), severity=request.severity, counts=counts, exclude=[requested_by]
    )
    return SwarmPlan(playbook, tuple(requested), unknown, selection, known)


def record_plan(
    session: AsyncSession,
    swarm: Swarm,
    plan: SwarmPlan,
    *,
    now: datetime,
    calendar: WorkingCalendar,
) -> None:
    """Add the plan's roles, tasks, invitations and participants to `swarm` (in the caller's transaction)."""
    chosen_for = {pick.skill: [expert.slack_id for expert in pick.chosen] for pick in plan.selection.picks}
    for pick in plan.selection.picks:
        for expert in pick.chosen:
            session.add(
                Invitation(
                    swarm=swarm,
                    user_id=expert.slack_id,
                    skill=pick.skill,
                    reason=expert.reason,
                    status="chosen",
                    invited_at=now,
                )
            )
    for role in plan.playbook.roles:
        holder: str | None = None
        if role.fill.kind == "requester":
            holder = swarm.requested_by
        elif role.fill.kind == "skill" and chosen_for.get(role.fill.name or ""):
            holder = chosen_for[role.fill.name or ""][0]
        session.add(
            RoleAssignment(
                swarm=swarm,
                role_key=role.key,
                title=role.title,
                fill=str(role.fill),
                user_id=holder,
                assigned_at=now if holder else None,
            )
        )
        if role.key == "commander" and holder:
            swarm.commander = holder
    for position, task in enumerate(plan.playbook.tasks, start=1):
        session.add(
            Task(
                swarm=swarm,
                position=position,
                title=task.title,
                role_key=task.role,
                created_at=now,
                due_at=calendar.add(now, task.due) if task.due else None,
            )
        )
    people = {swarm.requested_by: "commander" if swarm.commander == swarm.requested_by else "member"}
    people.setdefault(swarm.commander, "commander")
    for user_id, part in people.items():
        session.add(Participant(swarm=swarm, user_id=user_id, role=part, joined_at=now))
