"""The `/escalate` grammar: turns the text Slack sends into a typed request, or says what was wrong.

    /escalate TICKET [sev1..sev4] [category] [#skill ...] [customer:NAME] [summary]
    /escalate help

The optional words come in any order before the summary; the first word that is none of them starts it.
Slack sends the text escaped (`should_escape: true` in manifest.yml), so `#postgres` may arrive as
`<#C123|postgres>` when a channel of that name exists, and `&`, `<`, `>` as entities.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from bot.errors import InvalidCommand
from bot.slack.mrkdwn import from_slack

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
DEFAULT_SEVERITY = "sev3"
SEVERITY_NAMES = {"sev1": "critical", "sev2": "high", "sev3": "moderate", "sev4": "low"}
TICKET_MAX = 64
SUMMARY_MAX = 500
SKILL_MAX = 40
CUSTOMER_MAX = 100

# Words that start a subcommand instead of a ticket id. Those without a parser yet are answered honestly.
SUBCOMMANDS = ("help", "update", "task", "role", "add", "up", "resolve", "sev", "list", "experts", "reopen")

USAGE = (
    "`/escalate TICKET [sev1..sev4] [category] [#skill ...] [customer:NAME] [summary]`\n"
    "e.g. `/escalate ZD-4521 sev1 #postgres #billing customer:Acme Customer cannot log in`"
)

_TOKEN = re.compile(r'customer:["“][^"”]*["”]|<[^<>]*>|\S+', re.IGNORECASE)
_TICKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SKILL = re.compile(r"[a-z0-9][a-z0-9_-]*")
_SEVERITY_LIKE = re.compile(r"sev-?\d+", re.IGNORECASE)


@dataclass(frozen=True)
class OpenSwarm:
    """Open the swarm for a ticket, or link to the one already open."""

    ticket_id: str
    severity: str = DEFAULT_SEVERITY
    category: str | None = None
    skills: tuple[str, ...] = ()
    customer: str | None = None
    summary: str = ""
    private: bool = False  # the form's toggle: a private channel even when the playbook's is public


@dataclass(frozen=True)
class Help:
    """Show the grammar."""


@dataclass(frozen=True)
class SwarmCommand:
    """A subcommand used inside a swarm channel (`update`, `task`, `resolve`, …) with its raw arguments."""

    verb: str
    arguments: str


Command = OpenSwarm | Help | SwarmCommand


def parse(text: str, *, categories: frozenset[str] = frozenset()) -> Command:
    """Parse the text of `/escalate`; raise InvalidCommand with a hint when it does not fit the grammar."""
    tokens = list(_TOKEN.finditer(text.strip()))
    if not tokens:
        raise InvalidCommand("Tell me which ticket to escalate.", hint=USAGE)
    first = tokens[0].group(0)
    verb = first.lower()
    if verb in SUBCOMMANDS:
        if verb == "help":
            return Help()
        rest = text.strip()[tokens[0].end() :].strip()
        return SwarmCommand(verb=verb, arguments=rest)
    ticket_id = _ticket_id(first)
    return _open_swarm(ticket_id, text.strip(), tokens[1:], categories)


def _ticket_id(word: str) -> str:
    plain = from_slack(word)
    if _SEVERITY_LIKE.fullmatch(plain) or plain.startswith("#") or plain.lower().startswith("customer:"):
        raise InvalidCommand(f"Put the ticket id first, before `{plain}`, like `ZD-4521`.", hint=USAGE)
    if not plain.isascii():
        raise InvalidCommand(
            f"`{plain}` is not a ticket id: use ASCII letters, digits, `-`, `_` and `.`.", hint=USAGE
        )
    if len(plain) > TICKET_MAX:
        raise InvalidCommand(
            f"The ticket id is {len(plain)} characters long; the limit is {TICKET_MAX}.", hint=USAGE
        )
    if not _TICKET.fullmatch(plain) or not any(char.isdigit() for char in plain):
        close = difflib.get_close_matches(plain.lower(), SUBCOMMANDS, n=1, cutoff=0.75)
        if close:
            raise InvalidCommand(f"Unknown command `{plain}`. Did you mean `{close[0]}`?", hint=USAGE)
        raise InvalidCommand(
            f"`{plain}` is not a ticket id. Put the ticket id first, like `ZD-4521` "
            "(letters, digits, `-`, `_`, `.`, with at least one digit).",
            hint=USAGE,
        )
    return plain.upper()


def _skill(word: str) -> str | None:
    """The tag of `#tag` or `<#C123|tag>`, None if `word` is not a skill word."""
    if word.startswith("<#"):
        _, _, label = word[2:-1].partition("|")
        if not label:
            raise InvalidCommand(f"I could not read the skill in `{word}`; type it as `#tag`.", hint=USAGE)
        tag = label
    elif word.startswith("#"):
        tag = word[1:]
    else:
        return None
    tag = tag.lower()
    if not _SKILL.fullmatch(tag) or len(tag) > SKILL_MAX:
        raise InvalidCommand(
            f"`#{from_slack(tag)}` is not a skill tag: tags use a-z, 0-9, `-` and `_`, "
            f"at most {SKILL_MAX} characters.",
            hint=USAGE,
        )
    return tag


def _customer(word: str) -> str | None:
    if not word.lower().startswith("customer:"):
        return None
    name = from_slack(word[len("customer:") :]).strip('"“” ')
    if not name:
        raise InvalidCommand(
            '`customer:` needs a name, like `customer:Acme` or `customer:"Acme Corp"`.', hint=USAGE
        )
    if len(name) > CUSTOMER_MAX:
        raise InvalidCommand(f"The customer name is longer than {CUSTOMER_MAX} characters.", hint=USAGE)
    return name


def _open_swarm(
    ticket_id: str, text: str, tokens: list[re.Match[str]], categories: frozenset[str]
) -> OpenSwarm:
    severity: str | None = None
    category: str | None = None
    customer: str | None = None
    skills: list[str] = []
    summary_start = len(text)
    for token in tokens:
        word = token.group(0)
        lowered = word.lower()
        if _SEVERITY_LIKE.fullmatch(word):
            lowered = lowered.replace("-", "")
            if lowered not in SEVERITIES:
                raise InvalidCommand(
                    f"Unknown severity `{from_slack(word)}`: use "
                    + ", ".join(f"`{sev}` ({SEVERITY_NAMES[sev]})" for sev in SEVERITIES)
                    + f"; the default is `{DEFAULT_SEVERITY}`.",
                    hint=USAGE,
                )
            if severity is not None and severity != lowered:
                raise InvalidCommand(f"Give one severity; you gave `{severity}` and `{lowered}`.", hint=USAGE)
            severity = lowered
        elif lowered in categories and category is None:
            category = lowered
        elif (tag := _skill(word)) is not None:
            if tag not in skills:
                skills.append(tag)
        elif (name := _customer(word)) is not None:
            if customer is not None and customer != name:
                raise InvalidCommand("Give one `customer:`; you gave two.", hint=USAGE)
            customer = name
        else:
            summary_start = token.start()
            break
    summary = " ".join(from_slack(text[summary_start:]).split())
    if len(summary) > SUMMARY_MAX:
        raise InvalidCommand(
            f"The summary is {len(summary)} characters long; keep it under {SUMMARY_MAX} "
            "and put the details in the swarm channel.",
            hint=USAGE,
        )
    return OpenSwarm(
        ticket_id=ticket_id,
        severity=severity or DEFAULT_SEVERITY,
        category=category,
        skills=tuple(skills),
        customer=customer,
        summary=summary,
    )
