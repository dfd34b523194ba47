"""Choosing experts in the database: the same choice as `choose_experts`, without loading everyone.

`choose_experts` ranks every person with a skill, which is what `/escalate experts #skill` shows. To open
a swarm only the best *available* people are needed, and the database finds them on its indexes:

1. for each skill, one query in `bot.expert_ranking`'s order for available people (proficiency, tier fit
   for the severity, never or least recently engaged, slack id), filtered to people in office, under
   their max active swarms and not excluded, a page at a time (LIMIT); whether a row is on shift now is
   decided in Python, once per (timezone, hours) pair;
2. when no one is the best for two skills, those are the choices, whatever order the skills choose in;
3. otherwise the skills choose one after another as `choose_experts` does (fewest spare people first,
   from one count per skill, timezone and hours), each excluding the people chosen before.

When some skill finds fewer people than wanted, the caller falls back to the full ranking, which explains
the gap (who covers it, or why nobody fits). A test checks that both give the same choice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.expert_directory import TIERS, ExpertRecord, Skill
from bot.expert_ranking import (
    DEFAULT_COUNT_PER_SKILL,
    TIER_PREFERENCE,
    Availability,
    Candidate,
    ExpertSelection,
    RankedExpert,
    SkillPick,
    SkillRanking,
    available_reason,
)
from bot.shifts import WorkingHours, on_shift
from storage.models import Expert, ExpertSkill, Invitation, Swarm

# What a choice needs of a person, read as plain columns (no ORM objects to build).
PERSON = (
    Expert.id,
    Expert.slack_id,
    Expert.name,
    Expert.tier,
    Expert.timezone,
    Expert.hours,
    Expert.max_active_swarms,
    Expert.out_of_office_until,
    Expert.last_engaged_at,
)
PersonRow = Any  # a Row of PERSON, the skill's proficiency and `active` (their unresolved swarms)
# Invitations that still hold a person's attention (and count against their max active swarms).
ENGAGED = ("chosen", "invited", "accepted")


async def choose_available(
    session: AsyncSession,
    skills: Sequence[str],
    *,
    severity: str,
    now: datetime,
    counts: Mapping[str, int] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> ExpertSelection | None:
    """The choice `choose_experts` makes, or None when some skill is short (the full ranking explains it).

    Each pick's ranking holds only the people chosen: nothing else is loaded.
    """
    if severity not in TIER_PREFERENCE:
        raise ValueError(f"unknown severity {severity!r}; expected one of {', '.join(TIER_PREFERENCE)}")
    wanted = {skill: (counts or {}).get(skill, DEFAULT_COUNT_PER_SKILL) for skill in dict.fromkeys(skills)}
    finder = _BestAvailable(session, severity=severity, now=now)
    found = {skill: await finder.top(skill, count, exclude) for skill, count in wanted.items()}
    if any(len(found[skill]) < count for skill, count in wanted.items()):
        return None
    chosen_ids = [row.slack_id for rows in found.values() for row in rows]
    if len(set(chosen_ids)) < len(chosen_ids):
        # Someone is the best for two skills: choose skill by skill, as the full ranking does.
        spare = await finder.spare(list(wanted), exclude)
        excluded = set(exclude)
        for skill in sorted(wanted, key=lambda skill: spare[skill] - wanted[skill]):
            found[skill] = await finder.top(skill, wanted[skill], excluded)
            if len(found[skill]) < wanted[skill]:
                return None
            excluded.update(row.slack_id for row in found[skill])
    skills_of = await _skills_of(session, [row.id for rows in found.values() for row in rows])
    picks = []
    for skill, count in wanted.items():
        chosen = tuple(_available(row, skills_of[row.id], skill) for row in found[skill])
        ranking = SkillRanking(skill=skill, severity=severity, experts=chosen)
        picks.append(SkillPick(skill=skill, wanted=count, chosen=chosen, ranking=ranking))
    return ExpertSelection(picks=tuple(picks))


class _BestAvailable:
    """Finds the best available people for a skill, page by page in ranking order; shifts in Python."""

    PAGE = 8  # rows beyond those wanted, for people off shift now

    def __init__(self, session: AsyncSession, *, severity: str, now: datetime) -> None:
        self._session = session
        self._now = now
        self._shifts: dict[tuple[str, str], bool] = {}
        preference = TIER_PREFERENCE[severity]
        self._tier_fit = case(
            {tier: position for position, tier in enumerate(preference)},
            value=Expert.tier,
            else_=len(preference),
        )
        self._by_id: Any = Expert.slack_id
        if session.get_bind().dialect.name == "postgresql":
            self._by_id = Expert.slack_id.collate("C")  # Python orders ids by code point, Postgres by locale

    def on_shift(self, timezone: str, hours: str) -> bool:
        """Whether people with these hours in this timezone are on shift now (asked once per pair)."""
        pair = (timezone, hours)
        if pair not in self._shifts:
            self._shifts[pair] = on_shift(WorkingHours.parse(hours), timezone, self._now)
        return self._shifts[pair]

    async def top(self, skill: str, count: int, excluded: Iterable[str]) -> list[PersonRow]:
        """The `count` best available people for `skill` (fewer when fewer are available)."""
        if count <= 0:
            return []
        query = (
            select(*PERSON, ExpertSkill.proficiency, _active_swarms().label("active"))
            .join(ExpertSkill, ExpertSkill.expert_id == Expert.id)
            .where(ExpertSkill.tag == skill, *_could_be_available(self._now, set(excluded)))
            .order_by(
                ExpertSkill.proficiency.desc(),
                self._tier_fit,
                Expert.last_engaged_at.is_not(None),  # never engaged comes before anyone who was
                Expert.last_engaged_at,
                self._by_id,
            )
        )
        found: list[PersonRow] = []
        page, offset = count + self.PAGE, 0
        while len(found) < count:
            rows = (await self._session.execute(query.limit(page).offset(offset))).all()
            found += [row for row in rows if self.on_shift(row.timezone, row.hours)]
            if len(rows) < page:
                break
            offset += page
        return found[:count]

    async def spare(self, tags: list[str], exclude: frozenset[str]) -> dict[str, int]:
        """How many people are available per skill now (one count per skill, timezone and hours)."""
        rows = await self._session.execute(
            select(ExpertSkill.tag, Expert.timezone, Expert.hours, func.count())
            .join(Expert, Expert.id == ExpertSkill.expert_id)
            .where(ExpertSkill.tag.in_(tags), *_could_be_available(self._now, set(exclude)))
            .group_by(ExpertSkill.tag, Expert.timezone, Expert.hours)
        )
        spare: dict[str, int] = defaultdict(int)
        for tag, timezone, hours, people in rows:
            if self.on_shift(timezone, hours):
                spare[tag] += people
        return spare


def engaged_in_unresolved_swarm() -> tuple[ColumnElement[bool], ...]:
    """An invitation (joined to its swarm) that counts against its person's max active swarms.

    The one definition of "active swarms": the full ranking counts them for a batch of people
    (bot/experts.py), the shortlist for the row at hand (`_active_swarms`).
    """
    return (Invitation.status.in_(ENGAGED), Swarm.status != "resolved")


def _active_swarms() -> ScalarSelect[int]:
    """For the expert of the row at hand: how many unresolved swarms they are engaged in (by index)."""
    return (
        select(func.count(func.distinct(Invitation.swarm_id)))
        .join(Swarm, Swarm.id == Invitation.swarm_id)
        .where(Invitation.user_id == Expert.slack_id, *engaged_in_unresolved_swarm())
        .correlate(Expert)
        .scalar_subquery()
    )


def _could_be_available(now: datetime, excluded: set[str]) -> list[ColumnElement[bool]]:
    """Everything about availability but the shift: in office, under their limit, not excluded."""
    conditions = [
        or_(Expert.out_of_office_until.is_(None), Expert.out_of_office_until <= now),
        _active_swarms() < Expert.max_active_swarms,
    ]
    if excluded:
        conditions.append(Expert.slack_id.not_in(sorted(excluded)))
    return conditions


async def _skills_of(session: AsyncSession, expert_ids: list[int]) -> dict[int, tuple[Skill, ...]]:
    rows = await session.execute(
        select(ExpertSkill.expert_id, ExpertSkill.tag, ExpertSkill.proficiency).where(
            ExpertSkill.expert_id.in_(expert_ids)
        )
    )
    skills: dict[int, list[Skill]] = defaultdict(list)
    for expert_id, tag, proficiency in rows:
        skills[expert_id].append(Skill(tag=tag, proficiency=proficiency))
    return {expert_id: tuple(sorted(found)) for expert_id, found in skills.items()}


def _available(row: PersonRow, skills: tuple[Skill, ...], skill: str) -> RankedExpert:
    record = ExpertRecord(
        slack_id=row.slack_id,
        name=row.name,
        skills=skills,
        tier=TIERS[row.tier],
        timezone=row.timezone,
        hours=WorkingHours.parse(row.hours),
        max_active_swarms=row.max_active_swarms,
        out_of_office_until=row.out_of_office_until,
    )
    candidate = Candidate(expert=record, active_swarms=row.active, last_engaged_at=row.last_engaged_at)
    return RankedExpert(
        candidate=candidate,
        proficiency=row.proficiency,
        availability=Availability.AVAILABLE,
        reason=available_reason(skill, row.active),
    )
