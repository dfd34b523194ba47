"""Cursor pagination end to end, and the shapes of history and replies."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox

from .conftest import People
from .test_conversations import error_of


@pytest.fixture
def busy_channel(sandbox: Sandbox, people: People) -> tuple[str, list[str], str]:
    """25 top-level messages, the 10th with 7 replies."""
    ch = sandbox.add_channel("busy", members=[people.alice])
    top = [sandbox.add_message(ch, people.alice, f"m{i}") for i in range(25)]
    for i in range(7):
        sandbox.add_message(ch, people.alice, f"r{i}", thread_ts=top[9])
    return ch, top, top[9]


def test_history_pages_newest_first_through_next_cursor_until_has_more_is_false(
    bot: WebClient, busy_channel: tuple[str, list[str], str]
) -> None:
    ch, top, _ = busy_channel
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = bot.conversations_history(channel=ch, limit=10, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert pages == 3 and seen == list(reversed(top))


def test_history_lists_parents_only_with_reply_count(
    bot: WebClient, busy_channel: tuple[str, list[str], str]
) -> None:
    ch, _, parent = busy_channel
    messages = bot.conversations_history(channel=ch)["messages"]
    assert not any(m["text"].startswith("r") for m in messages)
    threaded = next(m for m in messages if m["ts"] == parent)
    assert (threaded["reply_count"], threaded["thread_ts"], threaded["reply_users_count"]) == (7, parent, 1)


def test_slack_sdk_iterates_history_pages_itself(
    bot: WebClient, busy_channel: tuple[str, list[str], str]
) -> None:
    ch, top, _ = busy_channel
    seen: list[str] = []
    pages = 0
    for page in bot.conversations_history(channel=ch, limit=4):  # slack-sdk follows next_cursor
        pages += 1
        seen += [m["ts"] for m in page["messages"]]
    assert pages == 7 and seen == list(reversed(top))


async def test_the_async_client_iterates_pages_too(
    sandbox: Sandbox, busy_channel: tuple[str, list[str], str]
) -> None:
    ch, top, _ = busy_channel
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    seen: list[str] = []
    async for page in await client.conversations_history(channel=ch, limit=6):
        seen += [m["ts"] for m in page["messages"]]
    assert seen == list(reversed(top))


def test_history_honours_oldest_latest_and_inclusive(
    bot: WebClient, busy_channel: tuple[str, list[str], str]
) -> None:
    ch, top, _ = busy_channel
    window = bot.conversations_history(channel=ch, oldest=top[2], latest=top[5])["messages"]
    assert [m["ts"] for m in window] == [top[4], top[3]]
    inclusive = bot.conversations_history(channel=ch, oldest=top[2], latest=top[5], inclusive=True)[
        "messages"
    ]
    assert [m["ts"] for m in inclusive] == [top[5], top[4], top[3], top[2]]


def test_replies_come_parent_first_then_oldest_first_with_the_parent_on_every_page(
    bot: WebClient, busy_channel: tuple[str, list[str], str]
) -> None:
    ch, _, parent = busy_channel
    texts: list[str] = []
    cursor = None
    while True:
        page = bot.conversations_replies(channel=ch, ts=parent, limit=3, cursor=cursor)
        assert page["messages"][0]["ts"] == parent
        texts += [m["text"] for m in page["messages"][1:]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert texts == [f"r{i}" for i in range(7)]


def test_replies_of_an_unknown_thread_is_thread_not_found(
    bot: WebClient, busy_channel: tuple[str, list[str], str]
) -> None:
    ch, _, _ = busy_channel
    assert error_of(lambda: bot.conversations_replies(channel=ch, ts="1.000001")) == "thread_not_found"


def test_a_bot_outside_a_channel_cannot_read_its_history(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    lobby = sandbox.add_channel("lobby", created_by=people.alice)
    assert error_of(lambda: bot.conversations_history(channel=lobby)) == "not_in_channel"


def test_a_garbled_cursor_is_invalid_cursor(bot: WebClient, busy_channel: tuple[str, list[str], str]) -> None:
    ch, _, _ = busy_channel
    assert error_of(lambda: bot.conversations_history(channel=ch, cursor="bm9wZTpub3Bl")) == "invalid_cursor"


def test_members_and_users_paginate_to_the_end(sandbox: Sandbox, bot: WebClient) -> None:
    everyone = [sandbox.add_user(f"user{i:02d}") for i in range(23)]
    ch = sandbox.add_channel("crowd", members=everyone)
    members: list[str] = []
    for page in bot.conversations_members(channel=ch, limit=5):
        members += page["members"]
    assert sorted(members) == sorted([sandbox.bot_user_id, *everyone])
    users: list[str] = []
    for page in bot.users_list(limit=7):
        users += [u["id"] for u in page["members"]]
    assert sorted(users) == sorted([sandbox.bot_user_id, *everyone])
    assert len(users) == len(set(users))


def test_a_message_posted_between_pages_neither_repeats_nor_skips_older_ones(
    sandbox: Sandbox, bot: WebClient, busy_channel: tuple[str, list[str], str], people: People
) -> None:
    ch, top, _ = busy_channel
    first = bot.conversations_history(channel=ch, limit=10)
    sandbox.add_message(ch, people.alice, "late arrival")
    second = bot.conversations_history(channel=ch, limit=10, cursor=first["response_metadata"]["next_cursor"])
    assert [m["ts"] for m in second["messages"]] == list(reversed(top))[10:20]
