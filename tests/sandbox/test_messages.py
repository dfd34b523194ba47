"""Messages: posting rules, limits, threads, edits, deletes, ephemerals, permalinks, scheduling."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import Sandbox
from bot.sandbox.ids import ts_key

from .conftest import FakeClock, People
from .test_conversations import error_of

pytestmark = pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


@pytest.fixture
def channel(bot: WebClient, people: People) -> str:
    ch = str(bot.conversations_create(name="esc-messages")["channel"]["id"])
    bot.conversations_invite(channel=ch, users=f"{people.alice},{people.bob}")
    return ch


def test_bot_messages_carry_bot_id_app_id_and_the_bot_user(
    sandbox: Sandbox, bot: WebClient, channel: str
) -> None:
    message = bot.chat_postMessage(channel=channel, text="ZD-1 opened")["message"]
    assert (message["user"], message["bot_id"], message["app_id"]) == (
        sandbox.bot_user_id,
        sandbox.bot_id,
        sandbox.app_id,
    )


def test_ts_values_strictly_increase_and_look_like_slacks(bot: WebClient, channel: str) -> None:
    stamps = [bot.chat_postMessage(channel=channel, text=str(i))["ts"] for i in range(20)]
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert [ts_key(t) for t in stamps] == sorted({ts_key(t) for t in stamps})


def test_ts_values_stay_unique_when_the_clock_stands_still(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox(clock=FakeClock())
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    general = client.conversations_create(name="frozen")["channel"]["id"]
    stamps = [client.chat_postMessage(channel=general, text="x")["ts"] for _ in range(5)]
    assert stamps[0].startswith("1732280000.") and len(set(stamps)) == 5


def test_posting_needs_membership_unless_chat_write_public_on_a_public_channel(
    sandbox: Sandbox, bot: WebClient, people: People, make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    lobby = sandbox.add_channel("lobby", created_by=people.alice)
    assert bot.chat_postMessage(channel=lobby, text="with chat:write.public")["ok"]
    manifest = tmp_path / "manifest.yml"
    manifest.write_text("oauth_config:\n  scopes:\n    bot: [chat:write]\n")
    strict = make_sandbox(manifest_path=manifest)
    other = strict.add_channel("lobby", created_by=strict.add_user("zed"))
    client = WebClient(token=strict.bot_token, base_url=strict.api_url)
    assert error_of(lambda: client.chat_postMessage(channel=other, text="x")) == "not_in_channel"


def test_a_human_must_be_in_the_channel_to_post(sandbox: Sandbox, people: People) -> None:
    lobby = sandbox.add_channel("lobby", created_by=people.alice)
    carol = WebClient(token=sandbox.token_of(people.carol), base_url=sandbox.api_url)
    assert error_of(lambda: carol.chat_postMessage(channel=lobby, text="x")) == "not_in_channel"


def test_text_and_block_limits(bot: WebClient, channel: str) -> None:
    assert bot.chat_postMessage(channel=channel, text="x" * 40_000)["ok"]
    assert error_of(lambda: bot.chat_postMessage(channel=channel, text="x" * 40_001)) == "msg_too_long"
    assert error_of(lambda: bot.chat_postMessage(channel=channel, text="")) == "no_text"
    assert bot.chat_postMessage(channel=channel, text="fallback", blocks=[SECTION] * 50)["ok"]
    with pytest.raises(SlackApiError) as caught:
        bot.chat_postMessage(channel=channel, text="fallback", blocks=[SECTION] * 51)
    assert caught.value.response["error"] == "invalid_blocks"


@pytest.mark.parametrize(
    "block",
    [
        {"type": "no_such_block"},
        {"type": "section"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}},
    ],
)
def test_malformed_blocks_are_invalid_blocks(bot: WebClient, channel: str, block: dict[str, object]) -> None:
    assert (
        error_of(lambda: bot.chat_postMessage(channel=channel, text="x", blocks=[block])) == "invalid_blocks"
    )


def test_a_channel_name_works_in_place_of_its_id(bot: WebClient, channel: str) -> None:
    assert bot.chat_postMessage(channel="#esc-messages", text="by name")["channel"] == channel


def test_replies_attach_to_the_parent_even_when_given_a_reply_ts(
    sandbox: Sandbox, bot: WebClient, channel: str
) -> None:
    parent = bot.chat_postMessage(channel=channel, text="parent")["ts"]
    first = bot.chat_postMessage(channel=channel, text="one", thread_ts=parent)["ts"]
    bot.chat_postMessage(channel=channel, text="two", thread_ts=first)
    top = [m for m in sandbox.messages(channel, system=False)]
    assert [m["text"] for m in top] == ["parent"]
    assert [r["text"] for r in top[0]["replies"]] == ["one", "two"]
    assert top[0]["reply_count"] == 2
    assert (
        error_of(lambda: bot.chat_postMessage(channel=channel, text="x", thread_ts="1.000001"))
        == "thread_not_found"
    )


def test_a_broadcast_reply_also_shows_in_the_channel(sandbox: Sandbox, bot: WebClient, channel: str) -> None:
    parent = bot.chat_postMessage(channel=channel, text="parent")["ts"]
    bot.chat_postMessage(channel=channel, text="also to channel", thread_ts=parent, reply_broadcast=True)
    history = bot.conversations_history(channel=channel)["messages"]
    assert history[0]["subtype"] == "thread_broadcast" and history[0]["text"] == "also to channel"


def test_update_edits_only_your_own_messages_and_keeps_blocks_when_omitted(
    sandbox: Sandbox, bot: WebClient, channel: str, people: People
) -> None:
    ts = bot.chat_postMessage(channel=channel, text="v1", blocks=[SECTION])["ts"]
    updated = bot.chat_update(channel=channel, ts=ts, text="v2")["message"]
    assert (
        updated["text"] == "v2"
        and updated["blocks"] == [SECTION]
        and updated["edited"]["user"] == sandbox.bot_user_id
    )
    alice = WebClient(token=sandbox.token_of(people.alice), base_url=sandbox.api_url)
    assert (
        error_of(lambda: alice.chat_update(channel=channel, ts=ts, text="mine now")) == "cant_update_message"
    )
    assert error_of(lambda: bot.chat_update(channel=channel, ts="1.000001", text="x")) == "message_not_found"


def test_deleting_a_parent_with_replies_leaves_a_tombstone(
    sandbox: Sandbox, bot: WebClient, channel: str
) -> None:
    parent = bot.chat_postMessage(channel=channel, text="parent")["ts"]
    reply = bot.chat_postMessage(channel=channel, text="reply", thread_ts=parent)["ts"]
    lone = bot.chat_postMessage(channel=channel, text="lone")["ts"]
    bot.chat_delete(channel=channel, ts=lone)
    bot.chat_delete(channel=channel, ts=parent)
    texts = [(m.get("subtype"), m["text"]) for m in sandbox.messages(channel, system=False)]
    assert texts == [("tombstone", "This message was deleted.")]
    bot.chat_delete(channel=channel, ts=reply)
    assert sandbox.messages(channel, system=False) == []
    assert error_of(lambda: bot.chat_delete(channel=channel, ts=lone)) == "message_not_found"


def test_humans_cannot_delete_other_peoples_messages(
    sandbox: Sandbox, bot: WebClient, channel: str, people: People
) -> None:
    ts = bot.chat_postMessage(channel=channel, text="bot's")["ts"]
    alice = WebClient(token=sandbox.token_of(people.alice), base_url=sandbox.api_url)
    assert error_of(lambda: alice.chat_delete(channel=channel, ts=ts)) == "cant_delete_message"


def test_ephemeral_messages_go_to_one_member(
    sandbox: Sandbox, bot: WebClient, channel: str, people: People
) -> None:
    assert bot.chat_postEphemeral(channel=channel, user=people.alice, text="only you")["message_ts"]
    assert [e["text"] for e in sandbox.ephemerals(channel=channel, user=people.alice)] == ["only you"]
    assert (
        error_of(lambda: bot.chat_postEphemeral(channel=channel, user=people.carol, text="x"))
        == "user_not_in_channel"
    )
    assert sandbox.messages(channel, system=False) == []


def test_permalinks_point_into_threads(bot: WebClient, channel: str) -> None:
    parent = bot.chat_postMessage(channel=channel, text="parent")["ts"]
    reply = bot.chat_postMessage(channel=channel, text="reply", thread_ts=parent)["ts"]
    link = bot.chat_getPermalink(channel=channel, message_ts=reply)["permalink"]
    assert link == (
        f"https://sandbox.slack.com/archives/{channel}/p{reply.replace('.', '')}"
        f"?thread_ts={parent}&cid={channel}"
    )


def test_metadata_is_returned_only_with_include_all_metadata(bot: WebClient, channel: str) -> None:
    metadata = {"event_type": "swarm_opened", "event_payload": {"ticket": "ZD-1"}}
    bot.chat_postMessage(channel=channel, text="opened", metadata=metadata)
    assert "metadata" not in bot.conversations_history(channel=channel, limit=1)["messages"][0]
    full = bot.conversations_history(channel=channel, limit=1, include_all_metadata=True)["messages"][0]
    assert full["metadata"] == metadata


def test_scheduled_messages_post_when_the_clock_reaches_post_at(make_sandbox: Callable[..., Sandbox]) -> None:
    clock = FakeClock()
    sb = make_sandbox(clock=clock)
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    ch = client.conversations_create(name="esc-later")["channel"]["id"]
    now = int(clock())
    assert (
        error_of(lambda: client.chat_scheduleMessage(channel=ch, text="x", post_at=now - 1)) == "time_in_past"
    )
    too_far = now + 121 * 24 * 3600
    assert (
        error_of(lambda: client.chat_scheduleMessage(channel=ch, text="x", post_at=too_far)) == "time_too_far"
    )
    scheduled = client.chat_scheduleMessage(channel=ch, text="status update due", post_at=now + 1800)
    assert scheduled["scheduled_message_id"].startswith("Q")
    assert [m["id"] for m in client.chat_scheduledMessages_list()["scheduled_messages"]] == [
        scheduled["scheduled_message_id"]
    ]
    clock.advance(1800)

    def posted() -> bool:
        return any(m["text"] == "status update due" for m in sb.messages(ch))

    import time

    deadline = time.monotonic() + 2
    while not posted() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert posted()
    assert client.chat_scheduledMessages_list()["scheduled_messages"] == []
