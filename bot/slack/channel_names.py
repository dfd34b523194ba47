"""Channel names that obey Slack's rules: lowercase a-z, 0-9, `-` and `_`, at most 80 characters."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 80
SUFFIX_ROOM = 4  # room kept for "-2" … "-999" when the name is taken
_NOT_ALLOWED = re.compile(r"[^a-z0-9_]+")


def slug(text: str) -> str:
    """`text` as lowercase ASCII words joined by `-` (accents folded, everything else dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_ALLOWED.sub("-", folded).strip("-_")


def swarm_channel_name(ticket_id: str, summary: str, *, prefix: str = "esc") -> str:
    """`esc-<ticket>-<slug of summary>`, cut at a word boundary to leave room for a suffix."""
    base = "-".join(part for part in (prefix, slug(ticket_id)) if part)
    budget = MAX_LENGTH - SUFFIX_ROOM - len(base) - 1
    words = [word for word in slug(summary).split("-") if word]
    kept: list[str] = []
    for word in words:
        if len("-".join([*kept, word])) > budget:
            break
        kept.append(word)
    name = "-".join([base, *kept]) if kept else base
    return name[: MAX_LENGTH - SUFFIX_ROOM]


def with_suffix(name: str, attempt: int) -> str:
    """The `attempt`-th alternative to a taken name: `name-2`, `name-3`, … still within 80 characters."""
    suffix = f"-{attempt}"
    return name[: MAX_LENGTH - len(suffix)].rstrip("-_") + suffix
