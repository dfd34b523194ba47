"""The playbook format (DESIGN.md, "The playbook format"): pydantic models that accept exactly that YAML.

Unknown keys are rejected everywhere. Rules that compare fields run as validators on the later field and
read the earlier ones from `info.data`, so one pass reports a bad task role next to a bad expert; they raise
through `fail`, which carries each problem's own path (read back with `rule_violations`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

from pydantic import Field, StrictBool, StrictInt, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from bot.playbooks.fields import (
    ChannelName,
    DurationField,
    NotifyTargetField,
    PlaybookName,
    RoleFillField,
    RoleKey,
    Section,
    Severity,
    SkillTag,
    StakeholderRole,
    Text,
)
from bot.playbooks.match import MATCH_ANYTHING, Match
from bot.playbooks.templates import EscalationMessage

Loc = tuple[str | int, ...]
RULE_VIOLATION = "playbook_rule"
COMMANDER = "commander"
# DOMAIN.md: sensitive cases belong in a protected channel, never a public one.
SENSITIVE_CATEGORIES = frozenset({"fraud", "security", "compliance", "personal_data", "personal-data"})


def fail(problems: Sequence[tuple[Loc, str]]) -> NoReturn:
    """Raise one pydantic error carrying several problems, each at its path below the validated field."""
    summary = "; ".join(message for _, message in problems)
    raise PydanticCustomError(RULE_VIOLATION, "{summary}", {"summary": summary, "problems": list(problems)})


def rule_violations(error_type: str, context: dict[str, Any] | None) -> list[tuple[Loc, str]] | None:
    """The (relative path, message) problems a `fail` error carries, or None for any other error."""
    if error_type != RULE_VIOLATION or not context:
        return None
    return list(context["problems"])


class Role(Section):
    """A role in the swarm and how it is filled: requester, skill:TAG, usergroup:HANDLE or claim."""

    key: RoleKey
    title: Text
    description: str = ""
    fill: RoleFillField


class Expert(Section):
    """Experts to pull in by skill tag when the swarm opens."""

    skill: SkillTag
    count: StrictInt = Field(default=1, ge=1, le=20)


class Task(Section):
    """A task posted when the swarm opens, owned by a role, optionally due an offset after opening."""

    title: Text
    role: RoleKey
    due: DurationField | None = None


class StatusUpdates(Section):
    """How often the commander (or `remind` role) must post a status update, per severity."""

    every: dict[Severity, DurationField]
    remind: RoleKey = COMMANDER
    missed_before_escalating: StrictInt = Field(default=2, ge=1)


class EscalationLevel(Section):
    """One level of the escalation matrix: `after` this long unresolved (since opening), notify these."""

    after: DurationField
    notify: tuple[NotifyTargetField, ...] = Field(min_length=1)
    message: EscalationMessage | None = None


class Sla(Section):
    """Response and resolution targets per severity, measured from when the swarm opened."""

    respond: dict[Severity, DurationField] = Field(default_factory=dict)
    resolve: dict[Severity, DurationField] = Field(default_factory=dict)

    @field_validator("resolve")
    @classmethod
    def _resolve_after_respond(
        cls, resolve: dict[Severity, Any], info: ValidationInfo
    ) -> dict[Severity, Any]:
        respond = info.data.get("respond", {})
        problems: list[tuple[Loc, str]] = [
            ((severity,), f"must be longer than the {severity} respond target ({respond[severity]})")
            for severity, target in resolve.items()
            if severity in respond and not target.is_always_longer_than(respond[severity])
        ]
        if problems:
            fail(problems)
        return resolve


class Stakeholders(Section):
    """Who is kept informed without joining: a broadcast channel and the account-team roles to notify."""

    channel: ChannelName | None = None
    notify_roles: tuple[StakeholderRole, ...] = ()


class OnResolve(Section):
    """What happens when the commander resolves: review questions for everyone involved, and a CSAT survey."""

    review: tuple[Text, ...] = ()
    csat: StrictBool = False


class Playbook(Section):
    """One crisis playbook: when it applies, the roles, experts, tasks, cadence, escalation and follow-up."""

    name: PlaybookName
    title: Text
    description: str = ""
    default: StrictBool = False
    order: StrictInt | None = Field(default=None, validate_default=True)
    match: Match | None = Field(default=None, validate_default=True)
    private: StrictBool = Field(default=False, validate_default=True)
    roles: tuple[Role, ...] = Field(min_length=1)
    experts: tuple[Expert, ...] = ()
    tasks: tuple[Task, ...] = ()
    status_updates: StatusUpdates | None = None
    escalation: tuple[EscalationLevel, ...] = ()
    sla: Sla | None = None
    stakeholders: Stakeholders | None = None
    on_resolve: OnResolve = Field(default_factory=OnResolve)

    @property
    def effective_match(self) -> Match:
        """The match rules, with an omitted `match` meaning anything."""
        return self.match or MATCH_ANYTHING

    @property
    def commander(self) -> Role:
        """The one role that owns the swarm."""
        return self.role(COMMANDER)

    def role(self, key: str) -> Role:
        """The role with `key`; KeyError if there is none."""
        for role in self.roles:
            if role.key == key:
                return role
        raise KeyError(key)

    @field_validator("order")
    @classmethod
    def _order_unless_default(cls, order: int | None, info: ValidationInfo) -> int | None:
        if "default" not in info.data:
            return order
        if info.data["default"] and order is not None:
            raise ValueError("the default playbook is tried last, after every ordered one: remove `order`")
        if not info.data["default"] and order is None:
            raise ValueError(
                "is required: playbooks are tried by ascending `order` (or mark one `default: true`)"
            )
        return order

    @field_validator("match")
    @classmethod
    def _no_match_on_default(cls, match: Match | None, info: ValidationInfo) -> Match | None:
        if info.data.get("default") and match is not None:
            raise ValueError("the default playbook is the fallback for anything unmatched: remove `match`")
        return match

    @field_validator("private")
    @classmethod
    def _private_when_sensitive(cls, private: bool, info: ValidationInfo) -> bool:
        match = info.data.get("match")
        sensitive = sorted(SENSITIVE_CATEGORIES & set(match.categories or ())) if match else []
        if sensitive and not private:
            raise ValueError(
                f"must be true: this playbook matches {', '.join(sensitive)}, whose details belong in a "
                "private channel"
            )
        return private

    @field_validator("roles")
    @classmethod
    def _role_keys(cls, roles: tuple[Role, ...]) -> tuple[Role, ...]:
        problems: list[tuple[Loc, str]] = []
        first_index: dict[str, int] = {}
        for index, role in enumerate(roles):
            if role.key in first_index:
                problems.append(
                    ((index, "key"), f"duplicate role key `{role.key}` (also roles[{first_index[role.key]}])")
                )
            first_index.setdefault(role.key, index)
        if COMMANDER not in first_index:
            keys = ", ".join(first_index)
            problems.append(((), f"needs a role with key `{COMMANDER}` (who owns the swarm); found {keys}"))
        if problems:
            fail(problems)
        return roles

    @field_validator("experts")
    @classmethod
    def _one_entry_per_skill(cls, experts: tuple[Expert, ...]) -> tuple[Expert, ...]:
        seen: set[str] = set()
        problems: list[tuple[Loc, str]] = []
        for index, expert in enumerate(experts):
            if expert.skill in seen:
                problems.append(
                    ((index, "skill"), f"`{expert.skill}` is listed twice: raise its `count` instead")
                )
            seen.add(expert.skill)
        if problems:
            fail(problems)
        return experts

    @field_validator("tasks")
    @classmethod
    def _tasks_owned_by_roles(cls, tasks: tuple[Task, ...], info: ValidationInfo) -> tuple[Task, ...]:
        _fail_if(_unknown_roles(info, [((index, "role"), task.role) for index, task in enumerate(tasks)]))
        return tasks

    @field_validator("status_updates")
    @classmethod
    def _reminders(cls, updates: StatusUpdates | None, info: ValidationInfo) -> StatusUpdates | None:
        if updates is not None:
            _fail_if(
                _unknown_roles(info, [(("remind",), updates.remind)])
                + _uncovered_severities(info, updates.every, ("every",), "cadence", required=True)
            )
        return updates

    @field_validator("escalation")
    @classmethod
    def _escalation_matrix(
        cls, levels: tuple[EscalationLevel, ...], info: ValidationInfo
    ) -> tuple[EscalationLevel, ...]:
        problems: list[tuple[Loc, str]] = []
        for index in range(1, len(levels)):
            before, after = levels[index - 1].after, levels[index].after
            if after.is_always_longer_than(before):
                continue
            if before.is_business_days and not after.is_business_days:
                reason = (
                    "a wall-clock time cannot follow business days, which stretch over weekends and holidays"
                )
            else:
                reason = (
                    f"must be later than the level before ({before}): each `after` counts from the opening"
                )
            problems.append(((index, "after"), reason))
        role_targets = [
            ((index, "notify", position), target.name)
            for index, level in enumerate(levels)
            for position, target in enumerate(level.notify)
            if target.kind == "role"
        ]
        _fail_if(problems + _unknown_roles(info, role_targets))
        return levels

    @field_validator("sla")
    @classmethod
    def _sla_covers_severities(cls, sla: Sla | None, info: ValidationInfo) -> Sla | None:
        if sla is not None:
            _fail_if(
                _uncovered_severities(info, sla.respond, ("respond",), "respond target", required=False)
                + _uncovered_severities(info, sla.resolve, ("resolve",), "resolve target", required=False)
            )
        return sla


def _fail_if(problems: list[tuple[Loc, str]]) -> None:
    if problems:
        fail(problems)


def _unknown_roles(info: ValidationInfo, references: Sequence[tuple[Loc, str]]) -> list[tuple[Loc, str]]:
    """A problem for each (path, role key) reference to a role the playbook does not define."""
    roles: tuple[Role, ...] | None = info.data.get("roles")
    if roles is None:  # the roles themselves are invalid, and reported already
        return []
    keys = [role.key for role in roles]
    return [
        (loc, f"`{key}` is not a role of this playbook; its roles are {', '.join(keys)}")
        for loc, key in references
        if key not in keys
    ]


def _uncovered_severities(
    info: ValidationInfo, given: dict[Severity, Any], loc: Loc, what: str, *, required: bool
) -> list[tuple[Loc, str]]:
    """A problem when `given` (if given at all, or required) misses a severity the playbook matches."""
    if "match" not in info.data or not (given or required):
        return []
    match: Match | None = info.data["match"]
    missing = [severity for severity in (match or MATCH_ANYTHING).matched_severities if severity not in given]
    if not missing:
        return []
    return [(loc, f"gives no {what} for {', '.join(missing)}, which this playbook matches")]
