"""The building blocks of the playbook format: names, severities, durations, role fills, notify targets.

Each is written in YAML as one string and validated into a typed value with a message that says how to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    StrictStr,
    WithJsonSchema,
)

from bot.durations import Duration, parse_duration

Severity = Literal["sev1", "sev2", "sev3", "sev4"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

FillKind = Literal["requester", "skill", "usergroup", "claim"]
TargetKind = Literal["user", "usergroup", "channel", "role"]

NAME_PATTERN = r"[a-z0-9][a-z0-9_-]*"
_NAME = re.compile(NAME_PATTERN)
_NAME_MAX = 80  # Slack's limit for channel names, which are the longest names here
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
NAME_RULE = "use lowercase letters a-z, digits, `-` and `_` (starting with a letter or digit)"


class Section(BaseModel):
    """Base of every playbook model: unknown keys are errors and a loaded playbook never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def describe_yaml_value(value: object) -> str:
    """How a YAML value reads to the person who wrote it: `a list`, `the number 3`, `true`…"""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"`{value}`"


def check_name(value: str, noun: str) -> str:
    """`value` if it is a valid name (slug) for `noun`, otherwise ValueError saying why."""
    if value.startswith("#") and noun == "channel name":
        raise ValueError(f"write the channel name without `#`: `{value[1:]}`")
    if value.startswith("@"):
        raise ValueError(f"write the {noun} without `@`: `{value[1:]}`")
    if not _NAME.fullmatch(value):
        raise ValueError(f"`{value}` is not a valid {noun}: {NAME_RULE}")
    if len(value) > _NAME_MAX:
        raise ValueError(f"a {noun} may be at most {_NAME_MAX} characters long")
    return value


def _name(noun: str) -> AfterValidator:
    return AfterValidator(lambda value: check_name(value, noun))


def _nonblank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value.strip()


PlaybookName = Annotated[StrictStr, _name("playbook name")]
RoleKey = Annotated[StrictStr, _name("role key")]
SkillTag = Annotated[StrictStr, _name("skill tag")]
ChannelName = Annotated[StrictStr, _name("channel name")]
Category = Annotated[StrictStr, _name("category")]
CustomerTier = Annotated[StrictStr, _name("customer tier")]
StakeholderRole = Annotated[StrictStr, _name("stakeholder role")]
Text = Annotated[StrictStr, AfterValidator(_nonblank)]


def _text_only(value: object, example: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text like `{example}`, not {describe_yaml_value(value)}")
    return value.strip()


def _to_duration(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return parse_duration(str(value))  # raises: a bare number needs a unit
    return parse_duration(_text_only(value, "30m"))


DurationField = Annotated[
    Duration,
    PlainValidator(_to_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(s|m|h|d|bd)$"}),
]


@dataclass(frozen=True)
class RoleFill:
    """How a role gets its person: the requester, an expert by skill, a user group member, or a claim."""

    kind: FillKind
    name: str | None = None

    @classmethod
    def parse(cls, text: str) -> RoleFill:
        """Parse `requester`, `claim`, `skill:TAG` or `usergroup:HANDLE`."""
        kind, colon, name = text.partition(":")
        if not colon and kind in ("requester", "claim"):
            return cls(kind)  # type: ignore[arg-type]  # narrowed by the membership test
        if colon and kind in ("skill", "usergroup"):
            if not name:
                example = "skill:sre" if kind == "skill" else "usergroup:support-leads"
                raise ValueError(f"`{text}` needs a name after the colon, e.g. `{example}`")
            noun = "skill tag" if kind == "skill" else "user group handle"
            return cls(kind, check_name(name, noun))  # type: ignore[arg-type]  # narrowed above
        raise ValueError(
            f"`{text}` is not a way to fill a role: use requester, claim, skill:TAG or usergroup:HANDLE"
        )

    def __str__(self) -> str:
        return self.kind if self.name is None else f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class NotifyTarget:
    """Whom an escalation level notifies: a Slack user, a user group, a channel, or the holder of a role."""

    kind: TargetKind
    name: str

    @classmethod
    def parse(cls, text: str) -> NotifyTarget:
        """Parse `user:U123`, `usergroup:HANDLE`, `channel:NAME` or `role:KEY`."""
        kind, colon, name = text.partition(":")
        if not colon or kind not in get_args(TargetKind):
            raise ValueError(
                f"`{text}` is not a notify target: "
                "use user:U123ABC, usergroup:HANDLE, channel:NAME or role:KEY"
            )
        if kind == "user":
            if not _USER_ID.fullmatch(name):
                raise ValueError(f"`{name}` is not a Slack user ID: IDs look like U0123ABCD")
            return cls("user", name)
        nouns = {"usergroup": "user group handle", "channel": "channel name", "role": "role key"}
        return cls(kind, check_name(name, nouns[kind]))  # type: ignore[arg-type]  # checked above

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def _to_role_fill(value: object) -> RoleFill:
    return value if isinstance(value, RoleFill) else RoleFill.parse(_text_only(value, "skill:sre"))


def _to_notify_target(value: object) -> NotifyTarget:
    if isinstance(value, NotifyTarget):
        return value
    return NotifyTarget.parse(_text_only(value, "usergroup:support-leads"))


RoleFillField = Annotated[
    RoleFill,
    PlainValidator(_to_role_fill),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
NotifyTargetField = Annotated[
    NotifyTarget,
    PlainValidator(_to_notify_target),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
