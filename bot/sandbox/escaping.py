"""How Slack rewrites slash command text before sending it to the app."""

from __future__ import annotations

import re

from .state import Workspace

_MENTION = re.compile(r"(?<![\w<])([@#])([a-z0-9][a-z0-9._\-]*)", re.IGNORECASE)
_SPECIAL = {"here": "<!here>", "channel": "<!channel>", "everyone": "<!everyone>"}


def entities(text: str) -> str:
    """Slack always sends &, < and > as HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def command_text(ws: Workspace, text: str, *, should_escape: bool) -> str:
    """The `text` field of a slash command.

    With `should_escape: true` Slack also turns `@name` of a known user into `<@U…|name>`, `@handle`
    of a user group into `<!subteam^S…|@handle>`, `#name` of an existing channel into `<#C…|name>`, and
    `@here`/`@channel`/`@everyone` into their special mentions; unknown names stay as typed.
    """
    escaped = entities(text)
    if not should_escape:
        return escaped

    def link(match: re.Match[str]) -> str:
        sigil, name = match.group(1), match.group(2)
        trimmed = name.rstrip(".-")
        tail = name[len(trimmed) :]
        if sigil == "#":
            channel = ws.channel_named(trimmed.lower())
            if channel is None or channel.is_im or channel.is_mpim:
                return match.group(0)
            return f"<#{channel.id}|{channel.name}>{tail}"
        if trimmed.lower() in _SPECIAL:
            return _SPECIAL[trimmed.lower()] + tail
        user = next((u for u in ws.users.values() if u.name == trimmed), None)
        if user is not None:
            return f"<@{user.id}|{user.name}>{tail}"
        group = next((g for g in ws.usergroups.values() if g.handle == trimmed), None)
        if group is not None:
            return f"<!subteam^{group.id}|@{group.handle}>{tail}"
        return match.group(0)

    return _MENTION.sub(link, escaped)
