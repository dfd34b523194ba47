"""Socket Mode through slack_sdk's aiohttp SocketModeClient: tickets, hello, envelopes, acks, refreshes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox, SandboxError, SocketModeConfig

SOCKET_ON = SocketModeConfig(enabled=True)


@dataclass
class SocketApp:
    """A stand-in app on SocketModeClient: records every message, acks envelopes with `answer`."""

    client: SocketModeClient
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[SocketModeRequest] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    skip_acks: int = 0  # leave this many envelopes unacked first

    async def on_message(self, client: Any, message: dict[str, Any], raw: str | None) -> None:
        self.messages.append(message)

    async def on_request(self, client: Any, request: SocketModeRequest) -> None:
        self.requests.append(request)
        if self.skip_acks:
            self.skip_acks -= 1
            return
        await client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload=self.answer))

    def hellos(self) -> list[dict[str, Any]]:
        """The hello messages received, one per connection."""
        return [m for m in self.messages if m.get("type") == "hello"]

    def events(self, event_type: str) -> list[SocketModeRequest]:
        """events_api envelopes carrying `event_type` (retries included)."""
        return [
            r for r in self.requests if r.type == "events_api" and r.payload["event"]["type"] == event_type
        ]


async def connect(sb: Sandbox) -> SocketApp:
    """Connect a SocketModeClient to the sandbox and wait for its hello."""
    web = AsyncWebClient(base_url=sb.api_url)
    app = SocketApp(SocketModeClient(app_token=sb.app_token, web_client=web, ping_interval=1))
    app.client.message_listeners.append(app.on_message)
    app.client.socket_mode_request_listeners.append(app.on_request)
    before = len(sb.socket_connections())
    await app.client.connect()  # type: ignore[no-untyped-call]
    await sb.wait_for(lambda: app.hellos() and len(sb.socket_connections()) > before)
    return app


@pytest.fixture
def sb(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A sandbox with Socket Mode switched on by config (the repo's manifest leaves it off)."""
    return make_sandbox(socket_mode=SOCKET_ON)


@pytest.fixture
async def app(sb: Sandbox) -> AsyncIterator[SocketApp]:
    """One connected SocketModeClient."""
    connected = await connect(sb)
    yield connected
    await connected.client.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def alice(sb: Sandbox) -> str:
    return sb.add_user("alice", real_name="Alice Ng")


@pytest.fixture
def support(sb: Sandbox, alice: str) -> str:
    return sb.add_channel("support", members=[alice])


async def test_a_client_is_greeted_with_slacks_hello_naming_the_app(sb: Sandbox, app: SocketApp) -> None:
    [hello] = app.hellos()
    assert hello["num_connections"] == 1 and hello["connection_info"] == {"app_id": sb.app_id}
    assert hello["debug_info"]["approximate_connection_time"] == 3600
    assert app.client.wss_uri is not None
    assert app.client.wss_uri.startswith(f"ws://127.0.0.1:{sb.port}/link/?ticket=")
    assert sb.socket_connections()[0]["draining"] is False


async def test_a_ticket_opens_one_connection_only(sb: Sandbox, app: SocketApp) -> None:
    assert app.client.wss_uri is not None
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await session.ws_connect(app.client.wss_uri)


async def test_apps_connections_open_refuses_bot_and_user_tokens_and_tokens_in_the_body(
    sb: Sandbox, alice: str
) -> None:
    web = AsyncWebClient(base_url=sb.api_url)
    for token in (sb.bot_token, sb.token_of(alice)):
        with pytest.raises(SlackApiError) as refused:
            await web.apps_connections_open(app_token=token)
        assert refused.value.response["error"] == "not_allowed_token_type"
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sb.api_url}apps.connections.open", data={"token": sb.app_token}) as answer,
    ):
        assert (await answer.json())["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as app_token_elsewhere:
        await AsyncWebClient(token=sb.app_token, base_url=sb.api_url).chat_postMessage(
            channel="C1", text="hi"
        )
    assert app_token_elsewhere.value.response["error"] == "not_allowed_token_type"


async def test_a_slash_command_arrives_as_an_envelope_and_its_ack_payload_answers_the_user(
    sb: Sandbox, app: SocketApp, alice: str, support: str
) -> None:
    app.answer = {"text": "Opening a swarm for ZD-1…"}
    answer = await sb.driver().slash_command("/escalate", "ZD-1", user_id=alice, channel_id=support)
    [request] = app.requests
    assert (request.type, request.accepts_response_payload) == ("slash_commands", True)
    assert (
        request.payload["command"] == "/escalate" and request.payload["response_url"] == answer.response_url
    )
    assert (answer.transport, answer.status, answer.json) == ("socket", 200, app.answer)
    assert answer.envelope_id == request.envelope_id
    assert [e["text"] for e in sb.ephemerals(user=alice)] == ["Opening a swarm for ZD-1…"]
    [delivery] = sb.deliveries("slash_command")
    assert (delivery["transport"], delivery["headers"], delivery["envelope_id"]) == (
        "socket",
        {},
        request.envelope_id,
    )


async def test_a_human_reaction_is_delivered_over_the_socket_and_acked_once(
    sb: Sandbox, app: SocketApp, alice: str, support: str
) -> None:
    ts = sb.add_message(support, sb.bot_user_id, "Task: confirm scope")
    await sb.human(alice).react(support, ts, "raising_hand")
    [request] = app.events("reaction_added")  # delivered and acked before react() returned
    assert (request.accepts_response_payload, request.retry_attempt, request.retry_reason) == (False, 0, "")
    assert request.payload["type"] == "event_callback" and request.payload["api_app_id"] == sb.app_id
    assert request.payload["event"]["item"] == {"type": "message", "channel": support, "ts": ts}
    await asyncio.sleep(0.3)  # longer than the whole (fast) retry schedule
    assert len(app.events("reaction_added")) == 1
    [delivery] = sb.deliveries("event", "reaction_added")
    assert (delivery["transport"], delivery["status"], delivery["retry_num"]) == ("socket", 200, 0)
    assert sb.socket_connections()[0]["acks"] == 1


async def test_an_unacked_event_is_sent_again_with_retry_attempt_and_reason(
    sb: Sandbox, app: SocketApp, alice: str, support: str
) -> None:
    app.skip_acks = 1
    ts = sb.add_message(support, sb.bot_user_id, "Task: confirm scope")
    await sb.human(alice).react(support, ts, "eyes")
    first, retry = await sb.wait_for(
        lambda: len(app.events("reaction_added")) == 2 and app.events("reaction_added")
    )
    assert (retry.retry_attempt, retry.retry_reason) == (1, "timeout")
    assert retry.envelope_id != first.envelope_id
    assert retry.payload["event_id"] == first.payload["event_id"]
    await sb.wait_for(lambda: len(sb.deliveries("event")) == 2)
    assert [(d["status"], d["failure"], d["retry_num"]) for d in sb.deliveries("event")] == [
        (None, "timeout", 0),
        (200, None, 1),
    ]


async def test_the_drivers_interactions_and_events_travel_as_interactive_and_events_api_envelopes(
    sb: Sandbox, app: SocketApp, alice: str, support: str
) -> None:
    ts = sb.add_message(support, alice, "Customer cannot log in")
    driver = sb.driver()
    shortcut = await driver.message_shortcut(alice, "escalate_message", support, ts)
    click = await driver.block_action(alice, action_id="claim", channel_id=support, message_ts=ts)
    event = await driver.event({"type": "app_home_opened", "user": alice, "tab": "home"}, retry_num=2)
    assert [(r.type, r.accepts_response_payload, r.payload["type"]) for r in app.requests] == [
        ("interactive", True, "message_action"),
        ("interactive", True, "block_actions"),
        ("events_api", False, "event_callback"),
    ]
    assert (app.requests[-1].retry_attempt, app.requests[-1].retry_reason) == (2, "timeout")
    assert all(r.ok and r.transport == "socket" for r in (shortcut, click, event))


async def test_signatures_do_not_exist_over_the_socket_so_forging_one_is_refused(
    sb: Sandbox, app: SocketApp, alice: str, support: str
) -> None:
    driver = sb.driver()
    with pytest.raises(SandboxError, match="does not sign Socket Mode envelopes"):
        await driver.slash_command("/escalate", "ZD-1", user_id=alice, channel_id=support, signature="bad")
    with pytest.raises(SandboxError, match="never over Socket Mode"):
        await driver.url_verification()
    assert app.requests == []


async def test_after_a_disconnect_the_client_reconnects_and_delivery_continues(
    sb: Sandbox, app: SocketApp, alice: str, support: str
) -> None:
    assert await sb.disconnect_sockets("refresh_requested") == 1
    await sb.wait_for(lambda: [c["id"] for c in sb.socket_connections()] == [2])
    assert len(app.hellos()) == 2
    await sb.driver().slash_command("/escalate", "ZD-2", user_id=alice, channel_id=support)
    assert app.requests[-1].payload["text"] == "ZD-2"
    assert sb.deliveries("slash_command")[0]["connection"] == 2


async def test_the_refresh_fault_cycles_connections_without_losing_events(
    sb: Sandbox, app: SocketApp, alice: str, support: str
) -> None:
    sb.set_socket_mode(SocketModeConfig(enabled=True, disconnect_after=0.05))
    await sb.disconnect_sockets()  # the first connection predates the fault
    await sb.wait_for(lambda: len(app.hellos()) >= 4)
    ts = sb.add_message(support, sb.bot_user_id, "Task: confirm scope")
    await sb.human(alice).react(support, ts, "eyes")
    await sb.wait_for(lambda: any(d["status"] == 200 for d in sb.deliveries("event", "reaction_added")))
    assert app.events("reaction_added")


async def test_with_two_connections_every_envelope_reaches_exactly_one(
    sb: Sandbox, app: SocketApp, alice: str, support: str
) -> None:
    second = await connect(sb)
    try:
        assert second.hellos()[0]["num_connections"] == 2
        for n in range(6):
            await sb.driver().slash_command("/escalate", f"ZD-{n}", user_id=alice, channel_id=support)
        one = {r.envelope_id for r in app.requests}
        two = {r.envelope_id for r in second.requests}
        sent = {d["envelope_id"] for d in sb.deliveries("slash_command")}
        assert one and two and not one & two and one | two == sent and len(sent) == 6
    finally:
        await second.client.close()  # type: ignore[no-untyped-call]


async def test_switching_socket_mode_off_sends_link_disabled_and_brings_back_http(
    sb: Sandbox, alice: str, support: str
) -> None:
    url = (await AsyncWebClient(base_url=sb.api_url).apps_connections_open(app_token=sb.app_token))["url"]
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as link:
        assert (await link.receive_json())["type"] == "hello"
        sb.set_socket_mode(SocketModeConfig(enabled=False))
        assert (await link.receive_json(timeout=5))["reason"] == "link_disabled"
    assert sb.socket_mode is False
    with pytest.raises(SandboxError, match="no request_url"):
        await sb.driver().slash_command("/escalate", "ZD-1", user_id=alice, channel_id=support)
