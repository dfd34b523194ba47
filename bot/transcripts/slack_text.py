"""Reading Slack's message text: mentions, links and entities, turned into the plain text a transcript keeps.

Slack writes `<@U123>` for a mention, `<#C123|name>` for a channel, `<!here>` for a broadcast,
`<https://example.com|label>` for a link and encodes `&`, `<` and `>` as entities. A transcript shows names,
labels and URLs instead, and lists the links it found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bot.slack.mrkdwn import unescape

_SPECIAL = re.compile(r"<([^<>]*)>")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")


def mentioned_users(text: str) -> list[str]:
    """The user ids mentioned in Slack-encoded `text`, first mention first, each once."""
    return list(dict.fromkeys(_MENTION.findall(text)))


def links(text: str) -> list[str]:
    """The web links (`<http…>` and `<http…|label>`) in Slack-encoded `text`, each once, in order."""
    found: dict[str, None] = {}
    for match in _SPECIAL.finditer(text):
        target = match.group(1).partition("|")[0]
        if target.startswith(("http://", "https://")):
            found[unescape(target)] = None
    return list(found)


def plain_text(text: str, names: Mapping[str, str | None]) -> str:
    """Slack-encoded `text` as people read it: `@name`, `#channel`, `label (url)`, entities decoded.

    `names` maps user ids to display names; a mention of someone not in it keeps its label or id.
    """
    return unescape(_SPECIAL.sub(_plain_special(names), text))


def _plain_special(names: Mapping[str, str | None]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):  # <@U123> or <@U123|alice>
            return "@" + (names.get(target[1:]) or label or target[1:])
        if target.startswith("#"):  # <#C123|general>
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):  # <!subteam^S123|@support-leads>
            return label if label.startswith("@") else "@" + (label or target[len("!subteam^") :])
        if target.startswith("!"):  # <!here>, <!channel>, <!date^…|fallback>
            return label or "@" + target[1:]
        if target.startswith("mailto:") and (not label or label == target[len("mailto:") :]):
            return target[len("mailto:") :]
        if label and label != target:
            return f"{label} ({target})"
        return target

    return replace


def fallback_text(message: Mapping[str, Any]) -> str:
    """The message's text, or for a message made only of attachments, their fallbacks (bots post those)."""
    text = str(message.get("text") or "")
    if text:
        return text
    attachments = message.get("attachments") or []
    parts = [
        str(attachment.get("fallback") or attachment.get("text") or attachment.get("title") or "")
        for attachment in attachments
        if isinstance(attachment, Mapping)
    ]
    return "\n".join(part for part in parts if part)


def file_entries(message: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """(name, permalink) of each file shared in the message; deleted or hidden files keep their id."""
    entries: list[tuple[str, str | None]] = []
    for shared in message.get("files") or []:
        if not isinstance(shared, Mapping):
            continue
        name = shared.get("name") or shared.get("title")
        permalink = shared.get("permalink")
        if not name:
            # Slack sends {"id": …, "mode": "tombstone"} for a file deleted since, "hidden_by_limit" past
            # the plan's history: all that is left to list is that it was there.
            name = f"{shared.get('id', 'file')} ({shared.get('mode', 'unavailable')})"
        entries.append((str(name), str(permalink) if permalink else None))
    return entries
