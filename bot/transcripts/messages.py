"""One Slack message as a transcript row: who (named), what (plain, redacted), files, links, and its marks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.transcripts.names import NAME_LIMIT, UserNames
from bot.transcripts.redaction import Redactor
from bot.transcripts.slack_text import fallback_text, file_entries, links, mentioned_users, plain_text

# Column widths of transcript_messages.
TS_LIMIT, USER_LIMIT, SUBTYPE_LIMIT = 32, 32, 48

_FILE_ENTRY = re.compile(r"^(?P<name>.*) <(?P<permalink>[^\s<>]*)>$", re.DOTALL)


def encode_file(name: str, permalink: str | None) -> str:
    """A file as the `files` column keeps it: "name <permalink>", or "name <>" when it has none."""
    return f"{name} <{permalink or ''}>"


def decode_file(entry: str) -> tuple[str, str | None]:
    """(name, permalink) back from encode_file's text."""
    match = _FILE_ENTRY.match(entry)
    return (match.group("name"), match.group("permalink") or None) if match else (entry, None)


def is_thread_parent(message: Mapping[str, Any]) -> bool:
    """Whether a history message heads a thread with replies (only those get conversations.replies)."""
    ts = message.get("ts")
    return bool(message.get("reply_count")) and message.get("thread_ts", ts) == ts


def author(message: Mapping[str, Any]) -> str | None:
    """The user id of the author, or the bot id of an integration that posted without a user."""
    found = message.get("user") or message.get("bot_id")
    return str(found) if found else None


def people_to_name(message: Mapping[str, Any], names: UserNames) -> list[str]:
    """The user ids whose names the row needs: its author and anyone mentioned (a bot brings its own name)."""
    user = author(message)
    bot_name = _bot_name(message)
    if user and bot_name:
        names.remember(user, bot_name)
    human = message.get("user")  # an integration's bot id is no user: users.info cannot name it
    return [*([str(human)] if human else []), *mentioned_users(fallback_text(message))]


def row_values(
    message: Mapping[str, Any], *, swarm_id: int, names: UserNames, redactor: Redactor
) -> dict[str, Any]:
    """The transcript_messages row for `message`, its text plain and redacted (names must be resolved)."""
    raw = fallback_text(message)
    redactions = 0
    text, count = redactor.redact(plain_text(raw, names.names))
    redactions += count
    found_links: list[str] = []
    for link in links(raw):
        cleaned, count = redactor.redact(link)
        redactions += count
        found_links.append(cleaned)
    files: list[str] = []
    for name, permalink in file_entries(message):
        cleaned, count = redactor.redact(name)
        redactions += count
        files.append(encode_file(cleaned, permalink))
    user = author(message)
    subtype = message.get("subtype")
    thread_ts = message.get("thread_ts")
    return {
        "swarm_id": swarm_id,
        "ts": str(message["ts"])[:TS_LIMIT],
        "thread_ts": str(thread_ts)[:TS_LIMIT] if thread_ts else None,
        "user": user[:USER_LIMIT] if user else None,
        "user_name": names.names.get(user) if user else None,
        "is_bot": bool(message.get("bot_id")) or subtype == "bot_message",
        "subtype": str(subtype)[:SUBTYPE_LIMIT] if subtype else None,
        "text": text,
        "edited": bool(message.get("edited")),
        "files": files,
        "links": found_links,
        "redactions": redactions,
    }


def _bot_name(message: Mapping[str, Any]) -> str | None:
    profile = message.get("bot_profile")
    name = (profile.get("name") if isinstance(profile, Mapping) else None) or message.get("username")
    return str(name)[:NAME_LIMIT] if name and message.get("bot_id") else None
