"""Text safety: the one escaping function every piece of user text passes before it reaches Slack.

Slack treats `<…>` as control sequences (`<!channel>`, `<@U123>`, links) and `&` as the start of an entity,
so escaping those three characters is enough to make any text display literally and ping nobody. Slack
itself sends command text with `should_escape: true` already encoded; `from_slack` turns that back into
plain text so it is stored as people wrote it and escaped exactly once, at render time.
"""

from __future__ import annotations

import re

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})

_SPECIAL = re.compile(r"<([^<>]*)>")


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` so `text` shows literally in mrkdwn and can never ping or link."""
    return text.translate(_ESCAPES)


def unescape(text: str) -> str:
    """Undo Slack's entity encoding of `&`, `<` and `>`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _plain_special(body: str) -> str:
    target, _, label = body.partition("|")
    if target.startswith("@"):  # <@U123|alice> or <@U123>
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123|general> or <#C123>
        return "#" + (label or target[1:])
    if target.startswith("!subteam^"):  # <!subteam^S123|@support-leads>
        return label if label.startswith("@") else "@" + (label or target[len("!subteam^") :])
    if target.startswith("!"):  # <!here>, <!channel>, <!date^…|fallback>
        return label or "@" + target[1:]
    if label and label != target:  # <https://example.com|example.com>
        return f"{label} ({target})"
    return target


def from_slack(text: str) -> str:
    """Plain text from Slack's encoding: mentions become @name / #name, links their URL, entities decoded."""
    plain = _SPECIAL.sub(lambda match: _plain_special(match.group(1)), text)
    return unescape(plain)


def truncate(text: str, limit: int, *, note: str = "…") -> str:
    """`text` cut to at most `limit` characters, ending with `note` when something was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(note))].rstrip() + note
