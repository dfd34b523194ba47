"""Who to pull into a swarm for a skill, in a deterministic order, with the reason for each person.

Everyone with the skill is ranked; the order is, first key first:
1. available before unavailable. Available means not already in the swarm, not out of office, on shift now
   in their own timezone (bot.shifts) and below their max active swarms;
2. proficiency in the skill, higher first (3 deep, 2 solid, 1 some);
3. tier fit for the severity, by this table (earlier is better):

       sev1  L3  L2  L1  L4     critical: the deepest in-house experts first
       sev2  L2  L3  L1  L4     high: second line first, sparing L3 for sev1
       sev3  L2  L1  L3  L4     moderate: second line, then front line
       sev4  L1  L2  L3  L4     low: front line first (it is how L1 grows)

   L4 is a vendor's support: always last, so they are pulled in only when nobody in-house fits;
4. least recently engaged first, never engaged before anyone (fair rotation);
5. slack_id, so equal people always come out in the same order.

The reasons read like "matched #postgres · on shift · 1 active swarm", or say why not: "off shift until
09:00 Europe/Berlin", "busy: 3 of 3 active swarms", "out of office until 2026-12-01".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from bot.expert_directory import ExpertRecord, Tier
from bot.shifts import load_timezone, next_shift_start, on_shift

TIER_PREFERENCE: dict[str, tuple[Tier, ...]] = {
    "sev1": ("L3", "L2", "L1", "L4"),
    "sev2": ("L2", "L3", "L1", "L4"),
    "sev3": ("L2", "L1", "L3", "L4"),
    "sev4": ("L1", "L2", "L3", "L4"),
}
DEFAULT_COUNT_PER_SKILL = 1
ALREADY_IN_SWARM = "already in the swarm"
_NEVER = datetime.min.replace(tzinfo=UTC)


class Availability(StrEnum):
    """Whether someone can be pulled in now, or the first thing that stops them, strongest first."""

    AVAILABLE = "available"
    IN_SWARM = "already in the swarm"
    OUT_OF_OFFICE = "out of office"
    OFF_SHIFT = "off shift"
    BUSY = "busy"


@dataclass(frozen=True)
class Candidate:
    """A person from the directory plus the live facts ranking needs."""

    expert: ExpertRecord
    active_swarms: int = 0
    last_engaged_at: datetime | None = None
    out_of_office_until: datetime | None = None

    @property
    def away_until(self) -> datetime | None:
        """The later of the live and the directory out-of-office ends: either source may say they are away."""
        ends = [end for end in (self.out_of_office_until, self.expert.out_of_office_until) if end is not None]
        return max(ends, default=None)


@dataclass(frozen=True)
class RankedExpert:
    """One person with the skill, where they stand and why."""

    candidate: Candidate
    proficiency: int
    availability: Availability
    reason: str

    @property
    def available(self) -> bool:
        """Whether they can be pulled in now."""
        return self.availability is Availability.AVAILABLE

    @property
    def slack_id(self) -> str:
        """The person's Slack member id."""
        return self.candidate.expert.slack_id


@dataclass(frozen=True)
class SkillRanking:
    """Everyone with one skill, best first, and what to say when nobody fits."""

    skill: str
    severity: str
    experts: tuple[RankedExpert, ...]

    @property
    def available(self) -> tuple[RankedExpert, ...]:
        """The people who can be pulled in now, best first."""
        return tuple(expert for expert in self.experts if expert.available)

    def pick(self, count: int) -> tuple[RankedExpert, ...]:
        """The top `count` available people (fewer when fewer are available)."""
        if count < 0:
            raise ValueError("count must not be negative")
        return self.available[:count]

    @property
    def nobody_fits(self) -> str | None:
        """Why nobody can be pulled in for the skill, or None when someone can."""
        if not self.experts:
            return f"nobody has #{self.skill}"
        if self.available:
            return None
        blockers = Counter(expert.availability for expert in self.experts)
        if len(blockers) == 1:
            total = len(self.experts)
            only = {1: "the only one is", 2: "both are"}.get(total, f"all {total} are")
            return f"nobody with #{self.skill} is available: {only} {self.experts[0].availability}"
        counts = ", ".join(f"{blockers[kind]} {kind}" for kind in Availability if blockers[kind])
        return f"nobody with #{self.skill} is available: {counts}"


def rank_for_skill(
    skill: str,
    candidates: Sequence[Candidate],
    *,
    severity: str,
    now: datetime,
    exclude: frozenset[str] = frozenset(),
) -> SkillRanking:
    """Rank everyone with `skill` (a tag, no `#`); people in `exclude` are shown as already in the swarm."""
    return _rank(
        skill, candidates, severity=severity, now=now, excluded=dict.fromkeys(exclude, ALREADY_IN_SWARM)
    )


def _rank(
    skill: str, candidates: Sequence[Candidate], *, severity: str, now: datetime, excluded: Mapping[str, str]
) -> SkillRanking:
    if severity not in TIER_PREFERENCE:
        raise ValueError(f"unknown severity {severity!r}; expected one of {', '.join(TIER_PREFERENCE)}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    ids = [candidate.expert.slack_id for candidate in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("each person may be a candidate only once")
    ranked = [
        _assess(candidate, skill, proficiency, now=now, excluded=excluded)
        for candidate in candidates
        if (proficiency := candidate.expert.proficiency_in(skill)) is not None
    ]
    tier_order = TIER_PREFERENCE[severity]

    def order(expert: RankedExpert) -> tuple[bool, int, int, bool, datetime, str]:
        last = expert.candidate.last_engaged_at
        return (
            not expert.available,
            -expert.proficiency,
            tier_order.index(expert.candidate.expert.tier),
            last is not None,  # never engaged comes before anyone who was
            last or _NEVER,
            expert.slack_id,
        )

    return SkillRanking(skill=skill, severity=severity, experts=tuple(sorted(ranked, key=order)))


def _assess(
    candidate: Candidate, skill: str, proficiency: int, *, now: datetime, excluded: Mapping[str, str]
) -> RankedExpert:
    expert = candidate.expert

    def ranked(availability: Availability, reason: str) -> RankedExpert:
        return RankedExpert(
            candidate=candidate, proficiency=proficiency, availability=availability, reason=reason
        )

    if expert.slack_id in excluded:
        return ranked(Availability.IN_SWARM, excluded[expert.slack_id])
    away = candidate.away_until
    if away is not None and away > now:
        return ranked(
            Availability.OUT_OF_OFFICE, f"out of office until {_local_moment(away, expert.timezone)}"
        )
    busy = candidate.active_swarms >= expert.max_active_swarms
    load = f"busy: {candidate.active_swarms} of {expert.max_active_swarms} active swarms"
    if not on_shift(expert.hours, expert.timezone, now):
        start = next_shift_start(expert.hours, expert.timezone, now)
        off = f"off shift until {_local_clock(start, expert.timezone)}" if start else "off shift"
        return ranked(Availability.OFF_SHIFT, f"{off} · {load}" if busy else off)
    if busy:
        return ranked(Availability.BUSY, load)
    return ranked(Availability.AVAILABLE, available_reason(skill, candidate.active_swarms))


def available_reason(skill: str, active_swarms: int) -> str:
    """Why an available person was chosen: `matched #postgres · on shift · 1 active swarm`."""
    swarms = "1 active swarm" if active_swarms == 1 else f"{active_swarms} active swarms"
    return f"matched #{skill} · on shift · {swarms}"


def _local_clock(moment: datetime, timezone: str) -> str:
    return f"{moment.astimezone(load_timezone(timezone)):%H:%M} {timezone}"


def _local_moment(moment: datetime, timezone: str) -> str:
    """A date alone when the moment is local midnight (how a date in the file reads), else time and zone."""
    local = moment.astimezone(load_timezone(timezone))
    if (local.hour, local.minute) == (0, 0):
        return f"{local:%Y-%m-%d}"
    return f"{local:%Y-%m-%d %H:%M} {timezone}"


@dataclass(frozen=True)
class SkillPick:
    """The people chosen for one requested skill, out of how many were wanted."""

    skill: str
    wanted: int
    chosen: tuple[RankedExpert, ...]
    ranking: SkillRanking

    @property
    def nobody_fits(self) -> str | None:
        """Why nobody was chosen for the skill, or None when someone was (or nobody was wanted)."""
        if self.chosen or self.wanted == 0:
            return None
        return self.ranking.nobody_fits or f"nobody with #{self.skill} is available"

    @property
    def covered_by(self) -> tuple[RankedExpert, ...]:
        """People with the skill who are in the swarm already or were chosen here for another skill."""
        return tuple(
            expert for expert in self.ranking.experts if expert.availability is Availability.IN_SWARM
        )

    @property
    def short_by(self) -> int:
        """How many fewer people were found than wanted."""
        return self.wanted - len(self.chosen)


@dataclass(frozen=True)
class ExpertSelection:
    """The choice across every requested skill, in the order the skills were asked for."""

    picks: tuple[SkillPick, ...]

    @property
    def chosen(self) -> tuple[RankedExpert, ...]:
        """Everyone to invite, each once, grouped by skill in request order."""
        return tuple(expert for pick in self.picks for expert in pick.chosen)


def choose_experts(
    skills: Sequence[str],
    candidates: Sequence[Candidate],
    *,
    severity: str,
    now: datetime,
    counts: Mapping[str, int] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> ExpertSelection:
    """Choose people for several skills at once, never one person twice; one per skill unless `counts`."""
    wanted = {skill: (counts or {}).get(skill, DEFAULT_COUNT_PER_SKILL) for skill in dict.fromkeys(skills)}
    excluded = dict.fromkeys(exclude, ALREADY_IN_SWARM)
    # The skill with the fewest spare people chooses first, so someone who is the only fit for #billing
    # is not spent on #postgres, which others could have covered.
    spare = {
        skill: len(_rank(skill, candidates, severity=severity, now=now, excluded=excluded).available) - count
        for skill, count in wanted.items()
    }
    picks: dict[str, SkillPick] = {}
    for skill in sorted(wanted, key=lambda skill: spare[skill]):
        ranking = _rank(skill, candidates, severity=severity, now=now, excluded=excluded)
        chosen = ranking.pick(wanted[skill])
        picks[skill] = SkillPick(skill=skill, wanted=wanted[skill], chosen=chosen, ranking=ranking)
        excluded.update((expert.slack_id, f"pulled in for #{skill}") for expert in chosen)
    return ExpertSelection(picks=tuple(picks[skill] for skill in wanted))
