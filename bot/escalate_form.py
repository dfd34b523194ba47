"""The open-escalation form: what it starts with, where it came from, and the request a submission makes.

A submission follows the same rules as `/escalate TICKET …` (the ticket id is checked by the grammar
itself, skills by the subcommand grammar), so the form and the command can never disagree about what a
valid escalation is. Errors come back per field, for Slack to show next to each one.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.errors import InvalidCommand
from bot.grammar import (
    CUSTOMER_MAX,
    DEFAULT_SEVERITY,
    SEVERITIES,
    SUMMARY_MAX,
    TICKET_MAX,
    OpenSwarm,
    parse,
)
from bot.slack.mrkdwn import from_slack, truncate
from bot.subcommands import skill_tags

CALLBACK_ID = "escalate_open"
OPEN_FORM_ACTION = "escalate_open_form"
PRIVATE = "private"

_TICKET_IN_TEXT = re.compile(r"\b([A-Za-z]{2,10}-\d{1,10})\b|(?<![\w#])#(\d{3,12})\b")
_CUSTOMER_IN_TEXT = re.compile(r'customer:\s*(?:"([^"]+)"|“([^”]+)”|([^\s,;]+))', re.IGNORECASE)
_CHANNEL = re.compile(r"[CDG][A-Z0-9]{2,30}")
_TS = re.compile(r"\d{1,12}\.\d{1,8}")
_TICKET_RULE = "Use one word like ZD-4521: letters, digits, -, _ and ., with at least one digit."


@dataclass(frozen=True)
class FormStart:
    """What the form opens with, and where it was asked for (kept in the modal's private_metadata)."""

    ticket: str = ""
    customer: str = ""
    summary: str = ""
    severity: str = DEFAULT_SEVERITY
    request_channel: str | None = None  # where to answer: the command's or the message's channel
    source_channel: str | None = None  # the message escalated with the shortcut
    source_ts: str | None = None

    def to_json(self) -> str:
        """The form's private_metadata and the reopen button's value: compact JSON."""
        # At most ~900 characters (summary 500, customer 100, ids): within a button value's 2,000.
        compact = {name: value for name, value in asdict(self).items() if value}
        return json.dumps(compact, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> FormStart:
        """Read back `to_json`; anything unreadable starts an empty form."""
        try:
            data = json.loads(text or "{}")
        except json.JSONDecodeError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = {name: str(value) for name, value in data.items() if name in cls.__dataclass_fields__}
        start = cls(**known)
        return replace(
            start,
            ticket=start.ticket[:TICKET_MAX],  # the form's fields hold no more than this
            customer=start.customer[:CUSTOMER_MAX],
            summary=truncate(start.summary, SUMMARY_MAX),
            severity=start.severity if start.severity in SEVERITIES else DEFAULT_SEVERITY,
            request_channel=_channel(start.request_channel),
            source_channel=_channel(start.source_channel),
            source_ts=start.source_ts if start.source_ts and _TS.fullmatch(start.source_ts) else None,
        )


def _channel(channel: str | None) -> str | None:
    """A conversation id as Slack writes them, else None (the value came back from a payload)."""
    return channel if channel and _CHANNEL.fullmatch(channel) else None


def start_from_message(text: str, *, channel: str, ts: str) -> FormStart:
    """The form for a message in a support channel: its text as summary, a ticket id and customer if named."""
    plain = " ".join(from_slack(text).split())
    ticket = _TICKET_IN_TEXT.search(plain)
    customer = _CUSTOMER_IN_TEXT.search(plain)
    start = FormStart(
        ticket=((ticket.group(1) or ticket.group(2)).upper() if ticket else ""),
        customer=(next(g for g in customer.groups() if g).strip()[:CUSTOMER_MAX] if customer else ""),
        summary=truncate(plain, SUMMARY_MAX),
        request_channel=channel,
        source_channel=channel,
        source_ts=ts,
    )
    return FormStart.from_json(start.to_json())  # the same checks as a start read back from Slack


def read_form(
    values: dict[str, Any], *, categories: frozenset[str]
) -> tuple[OpenSwarm | None, dict[str, str]]:
    """The request a submitted form makes, or the errors to show next to its fields (block id → text)."""
    errors: dict[str, str] = {}
    ticket_id = _ticket(_text(values, "ticket"), errors)
    severity = _chosen(values, "severity") or DEFAULT_SEVERITY
    if severity not in SEVERITIES:
        errors["severity"] = "Pick a severity from the list."
    category = _chosen(values, "category") or None
    if category is not None and category not in categories:
        errors["category"] = "Pick a category from the list, or none."
    skills = _skills(values, errors)
    customer = _text(values, "customer")
    if len(customer) > CUSTOMER_MAX:
        errors["customer"] = f"Keep the customer's name under {CUSTOMER_MAX} characters."
    summary = " ".join(_text(values, "summary").split())
    if not summary:
        errors["summary"] = "Say in a sentence what is wrong."
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = f"Keep it under {SUMMARY_MAX} characters; put the details in the swarm channel."
    private = PRIVATE in _chosen_all(values, "private")
    if errors or ticket_id is None:
        return None, errors
    request = OpenSwarm(
        ticket_id=ticket_id,
        severity=severity,
        category=category,
        skills=skills,
        customer=customer or None,
        summary=summary,
        private=private,
    )
    return request, {}


def _ticket(text: str, errors: dict[str, str]) -> str | None:
    if not text:
        errors["ticket"] = "Which ticket? " + _TICKET_RULE
        return None
    if len(text.split()) > 1:
        errors["ticket"] = _TICKET_RULE
        return None
    try:
        parsed = parse(text)  # the slash command's own rules for a ticket id
    except InvalidCommand as invalid:
        kept = "characters long" in invalid.message or "ASCII" in invalid.message
        errors["ticket"] = (
            invalid.message.replace("`", "") if kept else f"{text} is not a ticket id. {_TICKET_RULE}"
        )
        return None
    if not isinstance(parsed, OpenSwarm):  # `help`, `list`, …: command words, not tickets
        errors["ticket"] = f"{text} is not a ticket id. {_TICKET_RULE}"
        return None
    return parsed.ticket_id


def _skills(values: dict[str, Any], errors: dict[str, str]) -> tuple[str, ...]:
    chosen = list(_chosen_all(values, "skills"))
    try:
        typed = skill_tags(_text(values, "other_skills"))
        picked = skill_tags(" ".join(chosen))
    except InvalidCommand as invalid:
        errors["other_skills"] = invalid.message.replace("`", "")
        return ()
    return tuple(dict.fromkeys((*picked, *typed)))


def _element(values: dict[str, Any], block: str) -> dict[str, Any]:
    # Slack's shape is values[block_id][action_id]; anything else reads as an empty field.
    entry = values.get(block) if isinstance(values, dict) else None
    found = entry.get("value") if isinstance(entry, dict) else None
    return found if isinstance(found, dict) else {}


def _text(values: dict[str, Any], block: str) -> str:
    return str(_element(values, block).get("value") or "").strip()


def _chosen(values: dict[str, Any], block: str) -> str:
    option = _element(values, block).get("selected_option")
    return str(option.get("value") or "") if isinstance(option, dict) else ""


def _chosen_all(values: dict[str, Any], block: str) -> tuple[str, ...]:
    options = _element(values, block).get("selected_options")
    if not isinstance(options, list):
        return ()
    return tuple(str(option.get("value") or "") for option in options if isinstance(option, dict))
