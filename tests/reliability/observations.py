"""Shared by the fault and load suites: their own Redis database, the world they play in, their figures."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis

from bot.sandbox import Sandbox
from bot.sandbox.cast import Cast, experts_file
from tests.conftest import REDIS_TEST_URL


def own_redis_url(database: int) -> str:
    """A flushed Redis database of this suite's own: other suites flush theirs while this one runs."""
    url = urlsplit(REDIS_TEST_URL)._replace(path=f"/{database}").geturl()
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


def roomy_experts_file(cast: Cast) -> str:
    """The demo directory with room for many swarms each: the suites test reliability, not ranking."""
    return experts_file(cast).replace("max_active_swarms: 3", "max_active_swarms: 60")


def bot_texts_by_channel(sandbox: Sandbox) -> dict[str, Counter[str]]:
    """For every conversation (DMs too), how often the bot posted each exact text and blocks."""
    found: dict[str, Counter[str]] = {}
    for channel in sandbox.channels(include_dms=True):
        posted: Counter[str] = Counter()
        for message in sandbox.messages(channel["id"], system=False):
            if message.get("user") == sandbox.bot_user_id or message.get("bot_id") == sandbox.bot_id:
                posted[json.dumps([message.get("text"), message.get("blocks")], sort_keys=True)] += 1
        found[channel["id"]] = posted
    return found


def duplicate_posts(sandbox: Sandbox) -> list[str]:
    """Bot messages that appear more than once, word for word, in one conversation."""
    return [
        f"{channel}: {text[:120]} (x{times})"
        for channel, posted in bot_texts_by_channel(sandbox).items()
        for text, times in posted.items()
        if times > 1
    ]


def write_figures(tmp_path: Path, name: str, figures: dict[str, Any]) -> Path:
    """Write the suite's figures as JSON under its tmp dir and print them (RELIABILITY.md quotes them)."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=True, default=str))
    print(f"\n{name} figures ({path}):\n{path.read_text()}")
    return path
