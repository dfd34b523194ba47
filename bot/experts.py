"""The expert directory in storage: import, the live facts ranking needs, and user-group sync."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.clock import Clock
from bot.expert_directory import TIERS, ExpertRecord, ImportPlan, Skill, diff_directory
from bot.expert_file import parse_expert_file
from bot.expert_ranking import Candidate, ExpertSelection, SkillRanking, choose_experts, rank_for_skill
from bot.expert_shortlist import choose_available, engaged_in_unresolved_swarm
from bot.shifts import WorkingHours
from bot.slack.gateway import SlackGateway
from storage.db import SessionFactory
from storage.models import Expert, ExpertSkill, Invitation, Swarm

FILE_SOURCE = "file"
SYNC_KIND = "directory_sync"  # the periodic user-group sync job (one live job holds the key)
SYNC_EVERY = timedelta(hours=1)
# Defaults for people who join the directory through a user group rather than the experts file.
SYNCED_TIER = "L2"
SYNCED_HOURS = "09:00-17:00"
SYNCED_MAX_ACTIVE = 2


def _record(expert: Expert, *, sources: Iterable[str] | None = None) -> ExpertRecord:
    wanted = set(sources) if sources is not None else None
    return ExpertRecord(
        slack_id=expert.slack_id,
        name=expert.name,
        skills=tuple(
            sorted(
                Skill(tag=s.tag, proficiency=s.proficiency)
                for s in expert.skills
                if wanted is None or s.source in wanted
            )
        ),
        tier=TIERS[expert.tier],
        timezone=expert.timezone,
        hours=WorkingHours.parse(expert.hours),
        max_active_swarms=expert.max_active_swarms,
        out_of_office_until=expert.out_of_office_until,
    )


@dataclass(frozen=True)
class SyncReport:
    """What a user-group sync changed."""

    people_added: tuple[str, ...] = ()
    skills_granted: tuple[tuple[str, str], ...] = ()  # (slack id, tag)
    skills_removed: tuple[tuple[str, str], ...] = ()
    missing_groups: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """What `swarmbot experts sync` prints."""
        lines = [f"added      {who}  (from a user group)" for who in self.people_added]
        lines += [f"granted    {who}  #{tag}" for who, tag in self.skills_granted]
        lines += [f"removed    {who}  #{tag}" for who, tag in self.skills_removed]
        lines += [
            f"missing    @{handle}: no such user group in the workspace" for handle in self.missing_groups
        ]
        lines.append(
            f"{len(self.people_added)} people added, {len(self.skills_granted)} skills granted, "
            f"{len(self.skills_removed)} removed"
        )
        return lines


@dataclass
class _GroupMembers:
    handle: str
    tag: str
    members: set[str] = field(default_factory=set)


class ExpertDirectory:
    """Reads and writes the directory; ranks people for skills with their live load."""

    def __init__(self, *, sessions: SessionFactory, clock: Clock, skill_groups: Mapping[str, str]) -> None:
        self._sessions = sessions
        self._clock = clock
        self.skill_groups = dict(skill_groups)  # user-group handle → skill tag

    async def import_file(self, text: str) -> ImportPlan:
        """Validate the whole file, then upsert it in one transaction (InvalidExpertFile: nothing changes)."""
        incoming = parse_expert_file(text)
        async with self._sessions() as session:
            rows = {e.slack_id: e for e in await _all_experts(session)}
            plan = diff_directory(
                {slack_id: _record(row, sources=[FILE_SOURCE]) for slack_id, row in rows.items()}, incoming
            )
            now = self._clock.now()
            for record in plan.added:
                session.add(_new_expert(record, now))
            for change in plan.changed:
                _apply(rows[change.after.slack_id], change.after, now)
            await session.commit()
        return plan

    async def known_tags(self) -> frozenset[str]:
        """Every skill tag someone in the directory has, plus the tags user groups map to."""
        async with self._sessions() as session:
            tags = (await session.scalars(select(ExpertSkill.tag).distinct())).all()
        return frozenset(tags) | frozenset(self.skill_groups.values())

    async def candidates(self, tags: Sequence[str]) -> list[Candidate]:
        """Everyone with any of `tags`, with their current load and when they were last engaged."""
        if not tags:
            return []
        async with self._sessions() as session:
            experts = (
                await session.scalars(
                    select(Expert)
                    .where(Expert.id.in_(select(ExpertSkill.expert_id).where(ExpertSkill.tag.in_(tags))))
                    .options(selectinload(Expert.skills))
                )
            ).all()
            load = await _active_swarms(session, [e.slack_id for e in experts])
        return [
            Candidate(
                expert=_record(expert),
                active_swarms=load.get(expert.slack_id, 0),
                last_engaged_at=expert.last_engaged_at,
            )
            for expert in experts
        ]

    async def choose(
        self,
        skills: Sequence[str],
        *,
        severity: str,
        counts: Mapping[str, int] | None = None,
        exclude: Iterable[str] = (),
    ) -> ExpertSelection:
        """The best available people for each skill, never one person twice.

        The database finds them when every skill has its people; when one is short, everyone with the
        skills is ranked, so the selection can say who covers the skill or why nobody fits.
        """
        now, excluded = self._clock.now(), frozenset(exclude)
        async with self._sessions() as session:
            found = await choose_available(
                session, skills, severity=severity, now=now, counts=counts, exclude=excluded
            )
        if found is not None:
            return found
        candidates = await self.candidates(skills)
        return choose_experts(skills, candidates, severity=severity, now=now, counts=counts, exclude=excluded)

    async def ranking(
        self, skill: str, *, severity: str = "sev2", exclude: Iterable[str] = ()
    ) -> SkillRanking:
        """Everyone with `skill`, best first, each with why they are (not) available now."""
        return rank_for_skill(
            skill,
            await self.candidates([skill]),
            severity=severity,
            now=self._clock.now(),
            exclude=frozenset(exclude),
        )

    async def mark_engaged(self, session: AsyncSession, slack_ids: Iterable[str], at: datetime) -> None:
        """Move people to the back of the fair rotation (in the caller's unit of work)."""
        ids = list(slack_ids)
        if ids:
            for expert in (await session.scalars(select(Expert).where(Expert.slack_id.in_(ids)))).all():
                expert.last_engaged_at = at

    async def sync_usergroups(self, gateway: SlackGateway) -> SyncReport:
        """Grant each mapped group's tag to its members and take it from people who left the group."""
        groups = await gateway.usergroups_by_handle()
        wanted: list[_GroupMembers] = []
        missing: list[str] = []
        for handle, tag in sorted(self.skill_groups.items()):
            group_id = groups.get(handle)
            if group_id is None:
                missing.append(handle)
                continue
            wanted.append(_GroupMembers(handle, tag, set(await gateway.usergroup_members(group_id))))
        everyone = set().union(*(group.members for group in wanted)) if wanted else set()
        now = self._clock.now()
        added: list[str] = []
        granted: list[tuple[str, str]] = []
        removed: list[tuple[str, str]] = []
        async with self._sessions() as session:
            rows = {e.slack_id: e for e in await _all_experts(session)}
            for slack_id in sorted(everyone - rows.keys()):
                profile = await gateway.user_profile(slack_id)
                row = Expert(
                    slack_id=slack_id,
                    name=profile.name,
                    tier=SYNCED_TIER,
                    timezone=profile.timezone,
                    hours=SYNCED_HOURS,
                    max_active_swarms=SYNCED_MAX_ACTIVE,
                    updated_at=now,
                )
                session.add(row)
                rows[slack_id] = row
                added.append(slack_id)
            for group in wanted:
                source = f"usergroup:{group.handle}"
                for slack_id, row in rows.items():
                    has = next((s for s in row.skills if s.source == source), None)
                    if slack_id in group.members and has is None:
                        if not any(s.tag == group.tag for s in row.skills):
                            row.skills.append(ExpertSkill(tag=group.tag, proficiency=2, source=source))
                            granted.append((slack_id, group.tag))
                    elif slack_id not in group.members and has is not None:
                        row.skills.remove(has)
                        removed.append((slack_id, group.tag))
            await session.commit()
        return SyncReport(tuple(added), tuple(granted), tuple(removed), tuple(missing))


async def _all_experts(session: AsyncSession) -> list[Expert]:
    return list((await session.scalars(select(Expert).options(selectinload(Expert.skills)))).all())


async def _active_swarms(session: AsyncSession, slack_ids: Sequence[str]) -> dict[str, int]:
    """How many unresolved swarms each of `slack_ids` is engaged in (one grouped query for the batch)."""
    if not slack_ids:
        return {}
    rows = await session.execute(
        select(Invitation.user_id, func.count(func.distinct(Invitation.swarm_id)))
        .join(Swarm, Swarm.id == Invitation.swarm_id)
        .where(Invitation.user_id.in_(slack_ids), *engaged_in_unresolved_swarm())
        .group_by(Invitation.user_id)
    )
    return {user_id: count for user_id, count in rows}


def _new_expert(record: ExpertRecord, now: datetime) -> Expert:
    expert = Expert(slack_id=record.slack_id, updated_at=now)
    _apply(expert, record, now)
    return expert


def _apply(expert: Expert, record: ExpertRecord, now: datetime) -> None:
    expert.name = record.name
    expert.tier = record.tier
    expert.timezone = record.timezone
    expert.hours = str(record.hours)
    expert.max_active_swarms = record.max_active_swarms
    expert.out_of_office_until = record.out_of_office_until
    expert.updated_at = now
    # The file's word on a skill wins over a user group's (it carries a proficiency); group skills for
    # other tags stay until the next sync decides. Rows are updated in place: replacing them would insert
    # the new (expert, tag) before deleting the old one and trip the unique constraint.
    wanted = {skill.tag: skill.proficiency for skill in record.skills}
    for row in list(expert.skills or []):
        if row.tag in wanted:
            row.proficiency, row.source = wanted.pop(row.tag), FILE_SOURCE
        elif row.source == FILE_SOURCE:
            expert.skills.remove(row)
    for tag, proficiency in wanted.items():
        expert.skills.append(ExpertSkill(tag=tag, proficiency=proficiency, source=FILE_SOURCE))
