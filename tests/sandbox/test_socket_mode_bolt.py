"""A real Bolt app behind AsyncSocketModeHandler works against the sandbox over Socket Mode, end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox
from bot.sandbox.manifest import REPO_MANIFEST

MODAL = {
    "type": "modal",
    "callback_id": "escalate",
    "title": {"type": "plain_text", "text": "Escalate"},
    "submit": {"type": "plain_text", "text": "Open"},
    "blocks": [
        {
            "type": "input",
            "block_id": "ticket",
            "label": {"type": "plain_text", "text": "Ticket"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


def register(app: AsyncApp) -> None:
    @app.command("/escalate")
    async def escalate(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack(f"Opening a swarm for {command['text']}…")
        await client.views_open(trigger_id=command["trigger_id"], view=MODAL)

    @app.view("escalate")
    async def submitted(ack: Any, view: dict[str, Any]) -> None:
        ticket = view["state"]["values"]["ticket"]["value"]["value"]
        await ack(response_action="errors", errors={"ticket": f"No ticket {ticket}"})

    @app.event("reaction_added")
    async def claimed(event: dict[str, Any], client: AsyncWebClient) -> None:
        item = event["item"]
        await client.chat_postMessage(channel=item["channel"], thread_ts=item["ts"], text="claimed")


@pytest.fixture
def sb(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Sandbox:
    """A sandbox whose manifest turns Socket Mode on, as `swarmbot serve --socket` needs."""
    manifest = yaml.safe_load(REPO_MANIFEST.read_text(encoding="utf-8"))
    manifest["settings"]["socket_mode_enabled"] = True
    path = tmp_path / "manifest.yml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return make_sandbox(manifest_path=path)


@pytest.fixture
async def handler(sb: Sandbox) -> AsyncIterator[AsyncSocketModeHandler]:
    """The Bolt app, connected over Socket Mode with the app-level token."""
    app = AsyncApp(client=AsyncWebClient(token=sb.bot_token, base_url=sb.api_url))
    register(app)
    connected = AsyncSocketModeHandler(app, sb.app_token)
    await connected.connect_async()  # type: ignore[no-untyped-call]
    await sb.wait_for(lambda: sb.socket_connections())
    yield connected
    await connected.close_async()  # type: ignore[no-untyped-call]


async def test_bolt_acks_a_command_over_the_socket_and_answers_a_modal_with_response_action(
    sb: Sandbox, handler: AsyncSocketModeHandler
) -> None:
    alice = sb.add_user("alice")
    support = sb.add_channel("support", members=[alice])
    driver = sb.driver()
    answer = await driver.slash_command("/escalate", "ZD-1", user_id=alice, channel_id=support)
    assert (answer.transport, answer.json) == ("socket", {"text": "Opening a swarm for ZD-1…"})
    assert [e["text"] for e in sb.ephemerals(user=alice)] == ["Opening a swarm for ZD-1…"]
    [modal] = await sb.wait_for(lambda: sb.open_modals(alice))
    submitted = await driver.view_submission(alice, modal["id"], {"ticket": "ZD-404"})
    assert submitted.json == {"response_action": "errors", "errors": {"ticket": "No ticket ZD-404"}}
    assert sb.open_modals(alice)[0]["errors"] == {"ticket": "No ticket ZD-404"}


async def test_bolt_handles_a_human_reaction_delivered_over_the_socket(
    sb: Sandbox, handler: AsyncSocketModeHandler
) -> None:
    alice = sb.add_user("alice")
    swarm = sb.add_channel("esc-zd-1", members=[alice])
    ts = sb.add_message(swarm, sb.bot_user_id, "Task: confirm scope")
    await sb.human(alice).react(swarm, ts, "raising_hand")
    replies = await sb.wait_for(lambda: sb.messages(swarm)[0].get("replies"))
    assert replies[0]["text"] == "claimed" and replies[0]["bot_id"] == sb.bot_id
    [delivery] = sb.deliveries("event", "reaction_added")
    assert (delivery["transport"], delivery["status"]) == ("socket", 200)


async def test_bolt_reconnects_after_slack_asks_for_a_refresh_and_keeps_serving(
    sb: Sandbox, handler: AsyncSocketModeHandler
) -> None:
    alice = sb.add_user("alice")
    support = sb.add_channel("support", members=[alice])
    assert await sb.disconnect_sockets("refresh_requested") == 1
    await sb.wait_for(lambda: [c["id"] for c in sb.socket_connections()] == [2])
    assert len(sb.calls("apps.connections.open")) == 2
    answer = await sb.driver().slash_command("/escalate", "ZD-2", user_id=alice, channel_id=support)
    assert answer.ok and sb.deliveries("slash_command")[0]["connection"] == 2
