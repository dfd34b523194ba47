"""The grammar of `/escalate` subcommands used inside a swarm channel.

/escalate task TEXT             add a task (claimed with :raising_hand:)
/escalate role ROLE @user       assign or hand off a role
/escalate add #skill [...]      pull in more experts for skills
/escalate experts #skill        who has the skill and who is available now
/escalate update TEXT           post a status update (no text: the update form)
/escalate sev sev1..sev4        change the severity
/escalate up                    raise the escalation matrix one level now
/escalate resolve TEXT          resolve (no text: the resolve form); the channel is archived after
/escalate reopen TICKET         bring a resolved swarm back (from any channel)
/escalate list                  the open swarms you can see (from any channel)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import InvalidCommand
from bot.grammar import SKILL_MAX, SwarmCommand
from bot.slack.mrkdwn import from_slack

TASK_MAX = 300
USAGES = {
    "task": "`/escalate task TEXT`, e.g. `/escalate task Check the replica lag`",
    "role": "`/escalate role ROLE @person`, e.g. `/escalate role liaison @bob`",
    "add": "`/escalate add #skill [#skill ...]`, e.g. `/escalate add #network`",
    "experts": "`/escalate experts #skill`, e.g. `/escalate experts #postgres`",
    "update": "`/escalate update TEXT`, e.g. `/escalate update Fix deployed, watching error rates`",
    "sev": "`/escalate sev sev1..sev4`, e.g. `/escalate sev sev1`",
    "up": "`/escalate up` (raises the escalation matrix one level now)",
    "resolve": "`/escalate resolve TEXT`, e.g. `/escalate resolve Rolled back the deploy; logins work`",
    "reopen": "`/escalate reopen TICKET`, e.g. `/escalate reopen ZD-4521`",
    "list": "`/escalate list` (the open swarms you can see: public ones and private ones you are in)",
}
# How `/escalate help` groups the subcommands.
IN_A_SWARM = ("task", "role", "add", "experts", "update", "sev", "up", "resolve")
ANYWHERE = ("list", "reopen")

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ROLE_KEY = re.compile(r"[a-z][a-z0-9_-]*")
_SKILL = re.compile(r"(?:#|<#[a-z0-9]+\|)([a-z0-9][a-z0-9_-]*)>?")


@dataclass(frozen=True)
class AddTask:
    """Add a task to the swarm."""

    title: str


@dataclass(frozen=True)
class AssignRole:
    """Give a role to someone (a hand-off when someone holds it)."""

    role: str
    user_id: str


@dataclass(frozen=True)
class AddExperts:
    """Pull in more experts for these skills."""

    skills: tuple[str, ...]


@dataclass(frozen=True)
class ShowExperts:
    """List who has a skill and who is available now."""

    skill: str


@dataclass(frozen=True)
class PostUpdate:
    """Post a status update (empty text: open the update form)."""

    text: str


@dataclass(frozen=True)
class RaiseLevel:
    """Raise the escalation matrix one level now."""


@dataclass(frozen=True)
class ChangeSeverity:
    """Change the swarm's severity."""

    severity: str


@dataclass(frozen=True)
class Resolve:
    """Resolve the swarm (empty text: open the resolve form)."""

    text: str


@dataclass(frozen=True)
class Reopen:
    """Reopen a resolved ticket's swarm."""

    ticket_id: str


@dataclass(frozen=True)
class ListSwarms:
    """List the open swarms the person can see."""


SwarmRequest = (
    AddTask
    | AssignRole
    | AddExperts
    | ShowExperts
    | PostUpdate
    | RaiseLevel
    | ChangeSeverity
    | Resolve
    | Reopen
    | ListSwarms
)


def parse_swarm_command(command: SwarmCommand) -> SwarmRequest:
    """The typed request for `command`; InvalidCommand with that verb's usage when it does not fit."""
    verb, text = command.verb, command.arguments.strip()
    if verb == "task":
        title = " ".join(from_slack(text).split())
        if not title:
            raise InvalidCommand("Say what the task is.", hint=USAGES["task"])
        if len(title) > TASK_MAX:
            raise InvalidCommand(f"Keep a task under {TASK_MAX} characters.", hint=USAGES["task"])
        return AddTask(title)
    if verb == "role":
        words = text.split()
        user = _USER.fullmatch(words[1]) if len(words) == 2 else None
        if len(words) != 2 or not _ROLE_KEY.fullmatch(words[0].lower()) or user is None:
            raise InvalidCommand("Name the role and mention one person.", hint=USAGES["role"])
        return AssignRole(role=words[0].lower(), user_id=user.group(1))
    if verb == "update":
        return PostUpdate(from_slack(text).strip())
    if verb == "resolve":
        return Resolve(from_slack(text).strip())
    if verb == "reopen":
        words = from_slack(text).split()
        if len(words) != 1:
            raise InvalidCommand("Name the ticket to reopen.", hint=USAGES["reopen"])
        return Reopen(words[0].upper())
    if verb == "list":
        if text:
            raise InvalidCommand("`/escalate list` takes no words after it.", hint=USAGES["list"])
        return ListSwarms()
    if verb == "up":
        if text:
            raise InvalidCommand("`/escalate up` takes no words after it.", hint=USAGES["up"])
        return RaiseLevel()
    if verb == "sev":
        words = text.lower().replace("-", "").split()
        if len(words) != 1:
            raise InvalidCommand("Give one severity.", hint=USAGES["sev"])
        return ChangeSeverity(words[0])
    if verb in ("add", "experts"):
        skills = tuple(dict.fromkeys(_skills(text, verb)))
        if verb == "experts":
            if len(skills) != 1:
                raise InvalidCommand("Name one skill.", hint=USAGES["experts"])
            return ShowExperts(skills[0])
        return AddExperts(skills)
    raise InvalidCommand(
        f"`/escalate {verb}` is not available in this version of swarmbot yet.",
        hint="`/escalate help` lists what works today.",
    )


def skill_tags(text: str) -> tuple[str, ...]:
    """The tags in `text` (`#sre network`: the `#` is optional), each once; InvalidCommand on a bad tag."""
    words = [word if word.startswith(("#", "<#")) else "#" + word for word in text.split()]
    return tuple(dict.fromkeys(_skills(" ".join(words), "add"))) if words else ()


def _skills(text: str, verb: str) -> list[str]:
    words = text.split()
    if not words:
        raise InvalidCommand("Name at least one skill, like `#postgres`.", hint=USAGES[verb])
    tags: list[str] = []
    for word in words:
        match = _SKILL.fullmatch(word.lower())
        if match is None or len(match.group(1)) > SKILL_MAX:
            raise InvalidCommand(
                f"`{from_slack(word)}` is not a skill tag: write `#tag` (a-z, 0-9, `-`, `_`).",
                hint=USAGES[verb],
            )
        tags.append(match.group(1))
    return tags
