"""Events API delivery: subscribed events from state changes, Slack's envelope, signatures and retries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox, SandboxTimeout

from .conftest import People, Receiver


@pytest.fixture
def swarm(sandbox: Sandbox, people: People) -> str:
    return sandbox.add_channel("esc-zd-1", members=[people.alice, people.bob])


async def test_a_human_reaction_is_delivered_signed_in_slacks_envelope_and_agrees_with_state(
    sandbox: Sandbox, receiver: Receiver, people: People, swarm: str
) -> None:
    ts = sandbox.add_message(swarm, sandbox.bot_user_id, "Task: confirm scope")
    await sandbox.human(people.alice).react(swarm, ts, "raising_hand")
    [envelope] = receiver.events("reaction_added")  # delivered before react() returned
    assert receiver.requests[0].verified
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["api_app_id"] == sandbox.app_id and envelope["team_id"] == sandbox.team_id
    assert isinstance(envelope["event_time"], int)
    assert envelope["authorizations"][0]["user_id"] == sandbox.bot_user_id
    event = envelope["event"]
    assert (event["user"], event["reaction"], event["item"], event["item_user"]) == (
        people.alice,
        "raising_hand",
        {"type": "message", "channel": swarm, "ts": ts},
        sandbox.bot_user_id,
    )
    assert sandbox.message(swarm, ts)["reactions"] == [  # type: ignore[index]
        {"name": "raising_hand", "users": [people.alice], "count": 1}
    ]
    await sandbox.human(people.alice).unreact(swarm, ts, "raising_hand")
    assert receiver.events("reaction_removed")[0]["event"]["item"]["ts"] == ts
    assert "reactions" not in sandbox.message(swarm, ts)  # type: ignore[operator]


async def test_the_bot_inviting_someone_delivers_member_joined_channel_with_the_inviter(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    bot = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    channel = (await bot.conversations_create(name="esc-zd-2"))["channel"]["id"]
    await bot.conversations_invite(channel=channel, users=f"{people.alice},{people.bob}")
    joined = await sandbox.wait_for(
        lambda: (
            len(receiver.events("member_joined_channel")) == 2 and receiver.events("member_joined_channel")
        )
    )
    assert [(e["event"]["user"], e["event"]["inviter"], e["event"]["channel_type"]) for e in joined] == [
        (people.alice, sandbox.bot_user_id, "C"),
        (people.bob, sandbox.bot_user_id, "C"),
    ]


async def test_a_human_joining_delivers_member_joined_channel_without_an_inviter(
    sandbox: Sandbox, receiver: Receiver, people: People, swarm: str
) -> None:
    await sandbox.human(people.carol).join(swarm)
    [envelope] = receiver.events("member_joined_channel")
    assert envelope["event"]["user"] == people.carol and "inviter" not in envelope["event"]


async def test_events_from_channels_the_bot_is_not_in_are_not_delivered(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    lobby = sandbox.add_channel("lobby", created_by=people.alice, members=[people.bob])
    ts = sandbox.add_message(lobby, people.alice, "hello")
    await sandbox.human(people.bob).react(lobby, ts, "wave")
    assert receiver.events() == [] and sandbox.deliveries() == []


async def test_message_events_follow_the_manifest_subscription(
    make_sandbox: Callable[..., Sandbox],
    sandbox: Sandbox,
    receiver: Receiver,
    people: People,
    swarm: str,
    tmp_path: Path,
) -> None:
    await sandbox.human(people.alice).post(swarm, "not subscribed by swarmbot's manifest")
    assert receiver.events() == []
    manifest = tmp_path / "manifest.yml"
    manifest.write_text(
        "oauth_config:\n  scopes:\n    bot: [chat:write, channels:history]\n"
        "settings:\n  event_subscriptions:\n    bot_events: [message.channels]\n"
    )
    other = make_sandbox(manifest_path=manifest, request_url=receiver.url)
    alice = other.add_user("alice")
    channel = other.add_channel("talk", members=[alice])
    ts = await other.human(alice).post(channel, "hello bot")
    reply = await other.human(alice).post(channel, "in thread", thread_ts=ts)
    await other.human(alice).edit(channel, ts, "hello bot (edited)")
    events = [e["event"] for e in receiver.events("message")]
    assert [(e.get("subtype"), e.get("text"), e["channel_type"]) for e in events] == [
        (None, "hello bot", "channel"),
        (None, "in thread", "channel"),
        ("message_changed", None, "channel"),
    ]
    assert events[1]["thread_ts"] == ts and events[1]["ts"] == reply
    assert events[2]["message"]["text"] == "hello bot (edited)"


async def test_failed_deliveries_are_retried_with_retry_num_and_reason(
    sandbox: Sandbox, receiver: Receiver, people: People, swarm: str
) -> None:
    receiver.statuses = [500, 503]
    ts = sandbox.add_message(swarm, people.bob, "hi")
    await sandbox.human(people.alice).react(swarm, ts, "eyes")
    await sandbox.wait_for(lambda: len(receiver.requests) == 3)
    headers = [
        (r.headers.get("X-Slack-Retry-Num"), r.headers.get("X-Slack-Retry-Reason")) for r in receiver.requests
    ]
    assert headers == [(None, None), ("1", "http_error"), ("2", "http_error")]
    assert len({r.json["event_id"] for r in receiver.requests}) == 1
    assert all(r.verified for r in receiver.requests)
    assert [d["status"] for d in sandbox.deliveries("event")] == [500, 503, 200]


async def test_a_slow_app_gets_http_timeout_retries_and_slack_gives_up_after_three(
    sandbox: Sandbox, receiver: Receiver, people: People, swarm: str
) -> None:
    receiver.delay = 0.7  # longer than the sandbox's event_timeout of 0.5 s
    ts = sandbox.add_message(swarm, people.bob, "hi")
    await sandbox.human(people.alice).react(swarm, ts, "eyes")
    await sandbox.wait_for(lambda: len(sandbox.deliveries("event")) == 4, timeout=8)
    deliveries = sandbox.deliveries("event")
    assert [(d["retry_num"], d["retry_reason"], d["failure"]) for d in deliveries] == [
        (0, None, "http_timeout"),
        (1, "http_timeout", "http_timeout"),
        (2, "http_timeout", "http_timeout"),
        (3, "http_timeout", "http_timeout"),
    ]


async def test_x_slack_no_retry_stops_retries(
    sandbox: Sandbox, receiver: Receiver, people: People, swarm: str
) -> None:
    receiver.statuses = [500]
    receiver.answer_headers = {"X-Slack-No-Retry": "1"}
    ts = sandbox.add_message(swarm, people.bob, "hi")
    await sandbox.human(people.alice).react(swarm, ts, "eyes")
    await sandbox.human(people.alice).react(swarm, ts, "fire")
    assert [r.json["event"]["reaction"] for r in receiver.requests] == ["eyes", "fire"]


async def test_without_a_request_url_events_are_only_logged(
    sandbox: Sandbox, people: People, swarm: str
) -> None:
    ts = sandbox.add_message(swarm, people.bob, "hi")
    await sandbox.human(people.alice).react(swarm, ts, "eyes")
    [delivery] = sandbox.deliveries("event")
    assert delivery["sent"] is False and delivery["payload"]["event"]["reaction"] == "eyes"
    assert sandbox.events("reaction_added")[0]["user"] == people.alice


async def test_opening_the_home_tab_delivers_app_home_opened_with_the_published_view(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your swarms"}}],
    }
    bot.views_publish(user_id=people.alice, view=home)
    await sandbox.human(people.alice).open_home()
    [envelope] = receiver.events("app_home_opened")
    event = envelope["event"]
    assert event["user"] == people.alice and event["tab"] == "home" and event["channel"].startswith("D")
    assert event["view"]["type"] == "home"


async def test_the_driver_sends_a_hand_built_event_marked_as_a_retry(
    sandbox: Sandbox, receiver: Receiver
) -> None:
    answer = await sandbox.driver().event(
        {"type": "reaction_added", "user": "U1", "reaction": "eyes"},
        event_id="Ev123",
        retry_num=2,
        retry_reason="http_timeout",
    )
    assert answer.status == 200
    [request] = receiver.requests
    assert request.verified and request.json["event_id"] == "Ev123"
    assert (request.headers["X-Slack-Retry-Num"], request.headers["X-Slack-Retry-Reason"]) == (
        "2",
        "http_timeout",
    )


async def test_wait_for_explains_what_happened_when_it_gives_up(sandbox: Sandbox, bot: WebClient) -> None:
    bot.auth_test()
    with pytest.raises(SandboxTimeout) as caught:
        await sandbox.wait_for(lambda: sandbox.channel_by_name("esc-never"), timeout=0.1)
    assert "auth.test [bot] -> 200 ok" in str(caught.value)


async def test_human_posts_edits_and_deletes_show_in_state_like_in_history(
    sandbox: Sandbox, people: People, swarm: str
) -> None:
    alice = sandbox.human(people.alice)
    ts = await alice.post(swarm, "Customer cannot log in")
    reply = await alice.reply(swarm, ts, "Seeing 500s on /login")
    await alice.edit(swarm, ts, "Customer cannot log in (EU only)")
    [message] = sandbox.messages(swarm)
    assert message["text"] == "Customer cannot log in (EU only)" and message["edited"]["user"] == people.alice
    assert [r["ts"] for r in message["replies"]] == [reply]
    await alice.delete(swarm, reply)
    assert "replies" not in sandbox.messages(swarm)[0]
    bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    history = bot.conversations_history(channel=swarm)["messages"]
    assert [m["text"] for m in history] == ["Customer cannot log in (EU only)"]


async def test_a_human_inviting_the_bot_delivers_its_own_member_joined_channel(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    lobby = sandbox.add_channel("lobby", created_by=people.alice)
    await sandbox.human(people.alice).invite(lobby, sandbox.bot_user_id)
    [envelope] = receiver.events("member_joined_channel")
    assert envelope["event"]["user"] == sandbox.bot_user_id and envelope["event"]["inviter"] == people.alice
