"""The experts file: read and validate it whole, with a line number for every problem.

    experts:
      - slack_id: U012AB3CD
        name: Ana Lima
        skills: [postgres, {tag: billing, proficiency: 3}]   # proficiency 1-3, default 2
        tier: L3                                               # L1..L4
        timezone: Europe/Berlin                                # IANA name
        hours: "09:00-18:00"                                   # or "22:00-06:00", all day "00:00-24:00"
        max_active_swarms: 2
        out_of_office_until: 2026-12-01                        # optional: a date or an ISO datetime

The file is all-or-nothing: every row is checked and every problem reported, and records come back only
when there are none. An out-of-office date means back at 00:00 that day in the person's timezone; a
datetime without an offset is read in the person's timezone too.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.errors import ConfigurationError
from bot.expert_directory import PROFICIENCIES, TIERS, ExpertRecord, Skill, Tier
from bot.grammar import SKILL_MAX
from bot.shifts import InvalidHours, UnknownTimezone, WorkingHours, load_timezone

REQUIRED_FIELDS = ("slack_id", "name", "skills", "tier", "timezone", "hours", "max_active_swarms")


_SKILL_TAG = re.compile(r"[a-z0-9][a-z0-9_-]*")
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_WHOLE_NUMBER = re.compile(r"[0-9]+")
_NULL_TAG = "tag:yaml.org,2002:null"
_INT_TAG = "tag:yaml.org,2002:int"


@dataclass(frozen=True)
class ExpertFileError:
    """One problem in the file: the 1-based line and a reason in plain words."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class InvalidExpertFile(ConfigurationError):
    """The experts file has problems; `errors` lists every one, by line. Nothing may be imported."""

    def __init__(self, errors: Sequence[ExpertFileError]) -> None:
        self.errors = tuple(sorted(errors, key=lambda error: error.line))
        super().__init__("\n".join(str(error) for error in self.errors))


class _Bad(Exception):
    """Raised by a field reader: the problems found in one value."""

    def __init__(self, *problems: ExpertFileError) -> None:
        super().__init__(problems)
        self.problems = problems


def _problem(node: Node, reason: str) -> ExpertFileError:
    return ExpertFileError(_line(node), reason)


def _bad(node: Node, reason: str) -> _Bad:
    return _Bad(_problem(node, reason))


def parse_expert_file(text: str) -> tuple[ExpertRecord, ...]:
    """Read the experts YAML; raise InvalidExpertFile listing every problem, or return every record."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        context = error.context
        if context and error.context_mark and mark and error.context_mark.line != mark.line:
            context += f" that began on line {error.context_mark.line + 1}"
        reason = ", ".join(part for part in (context, error.problem) if part)
        problem = ExpertFileError(mark.line + 1 if mark else 1, f"the YAML is malformed: {reason}")
        raise InvalidExpertFile([problem]) from error
    except yaml.YAMLError as error:  # e.g. a control character the reader refuses; it gives no line
        raise InvalidExpertFile([ExpertFileError(1, f"the file is not readable YAML: {error}")]) from error
    errors: list[ExpertFileError] = []
    records: list[ExpertRecord] = []
    first_line_of: dict[str, int] = {}
    for row in _rows(root, errors):
        # Checked on the raw id, so a clash is reported even when either row has other problems too.
        id_node = _slack_id_node(row)
        slack_id = (_plain(id_node) or "").strip() if id_node is not None else ""
        if id_node is not None and slack_id in first_line_of:
            earlier = first_line_of[slack_id]
            errors.append(_problem(id_node, f"slack_id {slack_id} is already used on line {earlier}"))
        elif id_node is not None and slack_id:
            first_line_of[slack_id] = _line(id_node)
        try:
            records.append(_read_row(row))
        except _Bad as bad:
            errors.extend(bad.problems)
    if errors:
        raise InvalidExpertFile(errors)
    return tuple(records)


def _rows(root: Node | None, errors: list[ExpertFileError]) -> list[Node]:
    shape = "the file should hold one key, experts:, with a list of people under it"
    if root is None:
        errors.append(ExpertFileError(1, f"the file is empty; {shape}"))
        return []
    if not isinstance(root, MappingNode):
        errors.append(_problem(root, f"the top level is {_kind(root)}; {shape}"))
        return []
    rows: list[Node] = []
    found = False
    for key, value in root.value:
        if _plain(key) != "experts":
            errors.append(_problem(key, f"unknown top-level key {_show(key)}; {shape}"))
        elif found:
            errors.append(_problem(key, "experts: appears twice; keep one list"))
        elif isinstance(value, SequenceNode):
            found, rows = True, list(value.value)
        else:
            found = True  # `experts:` with nothing under it is an empty directory, not a mistake
            if value.tag != _NULL_TAG:
                errors.append(_problem(value, f"experts: should be a list, not {_kind(value)}"))
    if not found and not errors:
        errors.append(_problem(root, f"there is no experts: key; {shape}"))
    return rows


def _slack_id_node(row: Node) -> Node | None:
    if not isinstance(row, MappingNode):
        return None
    return next((value for key, value in row.value if _plain(key) == "slack_id"), None)


def _read_row(row: Node) -> ExpertRecord:
    """One person; raise _Bad with every problem in the row."""
    if not isinstance(row, MappingNode):
        raise _bad(row, f"each entry under experts: should be a person (slack_id, name, …), not {_kind(row)}")
    problems: list[ExpertFileError] = []
    found: dict[str, Node] = {}
    for key, value in row.value:
        field = _plain(key) or ""
        if field in found:
            problems.append(
                _problem(key, f"{field} is given twice (lines {_line(found[field])} and {_line(key)})")
            )
        elif field not in _READERS:
            close = difflib.get_close_matches(field, list(_READERS), n=1)
            hint = f"did you mean {close[0]}?" if close else f"the fields are {', '.join(_READERS)}"
            if field == "proficiency":
                hint = "proficiency belongs to a skill, like skills: [{tag: postgres, proficiency: 3}]"
            problems.append(_problem(key, f"unknown field {_show(key)}; {hint}"))
        else:
            found[field] = value
    missing = [field for field in REQUIRED_FIELDS if field not in found]
    if missing:
        who = _plain(found["slack_id"]) if "slack_id" in found else None
        problems.append(_problem(row, f"{who or 'this person'} is missing {', '.join(missing)}"))
    for field, node in found.items():
        try:
            _READERS[field](node)
        except _Bad as bad:
            problems.extend(bad.problems)
    if problems:
        raise _Bad(*problems)
    # Every value was read once above without a problem, so reading them again cannot raise.
    timezone = _timezone(found["timezone"])
    away = _out_of_office(found["out_of_office_until"]) if "out_of_office_until" in found else None
    if away is not None and away.tzinfo is None:
        away = away.replace(tzinfo=load_timezone(timezone))  # no offset given: their own wall clock
    return ExpertRecord(
        slack_id=_slack_id(found["slack_id"]),
        name=_text(found["name"], "name"),
        skills=_skills(found["skills"]),
        tier=_tier(found["tier"]),
        timezone=timezone,
        hours=_hours(found["hours"]),
        max_active_swarms=_max_active_swarms(found["max_active_swarms"]),
        out_of_office_until=away,
    )


def _text(node: Node, field: str) -> str:
    value = _plain(node)
    if value is None:
        raise _bad(node, f"{field} should be a single value, not {_kind(node)}")
    if not value.strip():
        raise _bad(node, f"{field} is empty")
    return value.strip()


def _slack_id(node: Node) -> str:
    value = _text(node, "slack_id")
    if not _SLACK_USER_ID.fullmatch(value):
        raise _bad(node, f"slack_id {value!r} is not a Slack member id; it looks like U012AB3CD")
    return value


def _tier(node: Node) -> Tier:
    value = _text(node, "tier")
    if value not in TIERS:
        raise _bad(node, f"unknown tier {value!r}; use one of {', '.join(TIERS)}")
    return TIERS[value]


def _timezone(node: Node) -> str:
    value = _text(node, "timezone")
    try:
        load_timezone(value)
    except UnknownTimezone as error:
        raise _bad(node, str(error)) from error
    return value


def _hours(node: Node) -> WorkingHours:
    try:
        return WorkingHours.parse(_text(node, "hours"))
    except InvalidHours as error:
        raise _bad(node, f"bad hours: {error}") from error


def _max_active_swarms(node: Node) -> int:
    value = _whole_number(node)
    if value is None or value < 1:
        raise _bad(node, f"max_active_swarms should be a whole number of 1 or more, not {_show(node)}")
    return value


def _out_of_office(node: Node) -> datetime | None:
    """The moment the person is back; naive when the file gave no offset (the caller reads it locally)."""
    if node.tag == _NULL_TAG:
        return None
    try:
        return datetime.fromisoformat((_plain(node) or "").strip())  # a bare date reads as its midnight
    except ValueError as error:
        example = "a date like 2026-12-01 or a datetime like 2026-12-01T09:00+01:00"
        raise _bad(node, f"out_of_office_until should be {example}, not {_show(node)}") from error


def _skills(node: Node) -> tuple[Skill, ...]:
    if not isinstance(node, SequenceNode) or not node.value:
        raise _bad(node, "skills should be a non-empty list of tags, like [postgres, billing]")
    skills: dict[str, Skill] = {}
    problems: list[ExpertFileError] = []
    for item in node.value:
        try:
            skill = _skill(item)
        except _Bad as bad:
            problems.extend(bad.problems)
            continue
        if skill.tag in skills:
            problems.append(_problem(item, f"skill {skill.tag} is listed twice"))
        skills[skill.tag] = skill
    if problems:
        raise _Bad(*problems)
    return tuple(sorted(skills.values()))


def _skill(item: Node) -> Skill:
    if not isinstance(item, MappingNode):
        return Skill(tag=_skill_tag(item))
    parts = {_plain(key): value for key, value in item.value}
    unknown = [key for key, _ in item.value if _plain(key) not in ("tag", "proficiency")]
    if unknown:
        raise _bad(unknown[0], f"a skill has only tag and proficiency, not {_show(unknown[0])}")
    if "tag" not in parts:
        raise _bad(item, "this skill has no tag; write it like {tag: postgres, proficiency: 3}")
    if "proficiency" not in parts:
        return Skill(tag=_skill_tag(parts["tag"]))
    level = _whole_number(parts["proficiency"])
    if level not in PROFICIENCIES:
        raise _bad(
            parts["proficiency"], f"proficiency should be 1, 2 or 3, not {_show(parts['proficiency'])}"
        )
    return Skill(tag=_skill_tag(parts["tag"]), proficiency=level)


def _skill_tag(node: Node) -> str:
    tag = _plain(node)
    if tag is None:
        raise _bad(node, f"a skill should be a tag or {{tag: …, proficiency: …}}, not {_kind(node)}")
    if len(tag) > SKILL_MAX:
        raise _bad(node, f"skill tag {tag!r} is longer than {SKILL_MAX} characters")
    if not _SKILL_TAG.fullmatch(tag):
        raise _bad(
            node,
            f"bad skill tag {tag!r}: use lowercase a-z, 0-9, '-' and '_', starting with a letter or digit",
        )
    return tag


_READERS: dict[str, Callable[[Node], object]] = {
    "slack_id": _slack_id,
    "name": lambda node: _text(node, "name"),
    "skills": _skills,
    "tier": _tier,
    "timezone": _timezone,
    "hours": _hours,
    "max_active_swarms": _max_active_swarms,
    "out_of_office_until": _out_of_office,
}


def _whole_number(node: Node) -> int | None:
    """A plain decimal integer; YAML's hex, octal and base-60 forms are refused as surprises."""
    value = _plain(node)
    if node.tag != _INT_TAG or value is None or not _WHOLE_NUMBER.fullmatch(value):
        return None
    return int(value)


def _plain(node: Node) -> str | None:
    """The text of a scalar as written (so `no` stays "no" and `09:00` is not read as base 60)."""
    return node.value if isinstance(node, ScalarNode) else None


def _show(node: Node) -> str:
    text = _plain(node)
    return repr(text) if text is not None else _kind(node)


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {_plain(node)!r}"


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1
