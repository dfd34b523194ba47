"""The expert directory's records, and the plan for upserting a file into the directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from bot.shifts import WorkingHours

Tier = Literal["L1", "L2", "L3", "L4"]
TIERS: dict[str, Tier] = {"L1": "L1", "L2": "L2", "L3": "L3", "L4": "L4"}
PROFICIENCIES = (1, 2, 3)
DEFAULT_PROFICIENCY = 2


@dataclass(frozen=True, order=True)
class Skill:
    """A skill tag and how well the person knows it (1 some, 2 solid, 3 deep)."""

    tag: str
    proficiency: int = DEFAULT_PROFICIENCY

    def __str__(self) -> str:
        return self.tag if self.proficiency == DEFAULT_PROFICIENCY else f"{self.tag} ({self.proficiency})"


@dataclass(frozen=True)
class ExpertRecord:
    """One person in the expert directory; `skills` are sorted by tag, so reordering them is no change."""

    slack_id: str
    name: str
    skills: tuple[Skill, ...]
    tier: Tier
    timezone: str
    hours: WorkingHours
    max_active_swarms: int
    out_of_office_until: datetime | None = None

    def proficiency_in(self, tag: str) -> int | None:
        """The person's proficiency in `tag`, None if they do not have the skill."""
        return next((skill.proficiency for skill in self.skills if skill.tag == tag), None)


@dataclass(frozen=True)
class ExpertChange:
    """A person whose row differs from the directory, and which fields changed."""

    before: ExpertRecord
    after: ExpertRecord
    fields: tuple[str, ...]

    def describe(self) -> str:
        """`tier L2 → L3, hours 09:00-18:00 → 10:00-19:00`."""
        return ", ".join(
            f"{name} {_value(getattr(self.before, name))} → {_value(getattr(self.after, name))}"
            for name in self.fields
        )


@dataclass(frozen=True)
class ImportPlan:
    """What an import will do, in file order; people in the directory but not in the file stay as they are."""

    added: tuple[ExpertRecord, ...]
    changed: tuple[ExpertChange, ...]
    unchanged: tuple[ExpertRecord, ...]
    not_in_file: tuple[ExpertRecord, ...]

    def summary_lines(self) -> list[str]:
        """One line per person in the file, then a total; for `swarmbot experts import` to print."""
        lines = [f"added      {record.slack_id}  {record.name}" for record in self.added]
        lines += [f"changed    {c.after.slack_id}  {c.after.name}: {c.describe()}" for c in self.changed]
        lines += [f"unchanged  {record.slack_id}  {record.name}" for record in self.unchanged]
        lines.append(
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.unchanged)} unchanged"
            + (
                f"; {len(self.not_in_file)} in the directory but not in the file, kept"
                if self.not_in_file
                else ""
            )
        )
        return lines


def diff_directory(existing: Mapping[str, ExpertRecord], incoming: Sequence[ExpertRecord]) -> ImportPlan:
    """Compare a parsed file with the directory (by slack_id) to plan an upsert."""
    added: list[ExpertRecord] = []
    changed: list[ExpertChange] = []
    unchanged: list[ExpertRecord] = []
    seen: set[str] = set()
    for record in incoming:
        if record.slack_id in seen:
            raise ValueError(f"{record.slack_id} appears twice in the incoming records")
        seen.add(record.slack_id)
        before = existing.get(record.slack_id)
        if before is None:
            added.append(record)
            continue
        differing = tuple(
            f.name for f in fields(ExpertRecord) if getattr(before, f.name) != getattr(record, f.name)
        )
        if differing:
            changed.append(ExpertChange(before=before, after=record, fields=differing))
        else:
            unchanged.append(record)
    kept = tuple(record for slack_id, record in sorted(existing.items()) if slack_id not in seen)
    return ImportPlan(tuple(added), tuple(changed), tuple(unchanged), kept)


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)
