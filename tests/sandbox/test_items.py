"""Reactions, pins and bookmarks."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.sandbox import Sandbox

from .conftest import People
from .test_conversations import error_of


@pytest.fixture
def posted(bot: WebClient, people: People) -> tuple[str, str]:
    ch = str(bot.conversations_create(name="esc-items")["channel"]["id"])
    bot.conversations_invite(channel=ch, users=people.alice)
    return ch, str(bot.chat_postMessage(channel=ch, text="Task: confirm scope")["ts"])


def test_reactions_are_counted_per_user_and_cannot_be_doubled(
    sandbox: Sandbox, bot: WebClient, people: People, posted: tuple[str, str]
) -> None:
    ch, ts = posted
    alice = WebClient(token=sandbox.token_of(people.alice), base_url=sandbox.api_url)
    alice.reactions_add(channel=ch, timestamp=ts, name=":raising_hand:")
    bot.reactions_add(channel=ch, timestamp=ts, name="raising_hand")
    assert (
        error_of(lambda: alice.reactions_add(channel=ch, timestamp=ts, name="raising_hand"))
        == "already_reacted"
    )
    reactions = bot.reactions_get(channel=ch, timestamp=ts)["message"]["reactions"]
    assert reactions == [{"name": "raising_hand", "users": [people.alice, sandbox.bot_user_id], "count": 2}]
    alice.reactions_remove(channel=ch, timestamp=ts, name="raising_hand")
    assert (
        error_of(lambda: alice.reactions_remove(channel=ch, timestamp=ts, name="raising_hand"))
        == "no_reaction"
    )
    assert sandbox.message(ch, ts)["reactions"][0]["users"] == [sandbox.bot_user_id]  # type: ignore[index]


def test_reactions_need_a_live_message_and_a_real_name(bot: WebClient, posted: tuple[str, str]) -> None:
    ch, _ = posted
    assert (
        error_of(lambda: bot.reactions_add(channel=ch, timestamp="1.000001", name="eyes"))
        == "message_not_found"
    )
    assert (
        error_of(lambda: bot.reactions_add(channel=ch, timestamp=posted[1], name="not an emoji"))
        == "invalid_name"
    )


def test_pins_are_listed_newest_first_and_cannot_be_doubled(
    sandbox: Sandbox, bot: WebClient, posted: tuple[str, str]
) -> None:
    ch, ts = posted
    other = bot.chat_postMessage(channel=ch, text="Runbook")["ts"]
    bot.pins_add(channel=ch, timestamp=ts)
    bot.pins_add(channel=ch, timestamp=other)
    assert error_of(lambda: bot.pins_add(channel=ch, timestamp=ts)) == "already_pinned"
    assert [i["message"]["ts"] for i in bot.pins_list(channel=ch)["items"]] == [other, ts]
    assert [m["ts"] for m in sandbox.pins(ch)] == [ts, other]
    bot.pins_remove(channel=ch, timestamp=ts)
    assert error_of(lambda: bot.pins_remove(channel=ch, timestamp=ts)) == "no_pin"
    assert bot.conversations_history(channel=ch, limit=1)["pin_count"] == 1


def test_pinning_needs_membership(sandbox: Sandbox, bot: WebClient, people: People) -> None:
    lobby = sandbox.add_channel("lobby", created_by=people.alice)
    ts = sandbox.add_message(lobby, people.alice, "hi")
    assert error_of(lambda: bot.pins_add(channel=lobby, timestamp=ts)) == "not_in_channel"


def test_bookmarks_are_added_and_listed(sandbox: Sandbox, bot: WebClient, posted: tuple[str, str]) -> None:
    ch, _ = posted
    bookmark = bot.bookmarks_add(
        channel_id=ch, title="ZD-1", type="link", link="https://support.example.com/ZD-1"
    )
    assert bookmark["bookmark"]["id"].startswith("Bk")
    assert [b["title"] for b in bot.bookmarks_list(channel_id=ch)["bookmarks"]] == ["ZD-1"]
    assert sandbox.bookmarks(ch)[0]["link"] == "https://support.example.com/ZD-1"
    bad = lambda: bot.bookmarks_add(channel_id=ch, title="x", type="link", link="notaurl")  # noqa: E731
    assert error_of(bad) == "invalid_link"
