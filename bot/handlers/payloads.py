"""Reading what Slack sent, defensively: a malformed but signed payload is explained, never a 500."""

from __future__ import annotations

import json
from typing import Any

from bot.errors import UserError


class MalformedPayload(UserError):
    """Slack sent something swarmbot cannot read (a stale button, a truncated form)."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Slack sent a request swarmbot could not read ({what}).", hint="Try again in a moment."
        )


def text_at(data: Any, *path: str) -> str:
    """The non-empty string at `path` inside nested dicts, else MalformedPayload."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    if not isinstance(data, str) or not data:
        raise MalformedPayload("missing " + ".".join(path))
    return data


def optional_text(data: Any, *path: str) -> str | None:
    """The string at `path`, or None when any part is missing."""
    try:
        return text_at(data, *path)
    except MalformedPayload:
        return None


def number(text: str, what: str) -> int:
    """`text` as a whole number, else MalformedPayload."""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise MalformedPayload(what)
    return int(text)


def json_object(text: str, what: str) -> dict[str, Any]:
    """`text` as a JSON object, else MalformedPayload."""
    try:
        value = json.loads(text)
    except ValueError:
        raise MalformedPayload(what) from None
    if not isinstance(value, dict):
        raise MalformedPayload(what)
    return value
