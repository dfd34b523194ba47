"""A real Bolt app accepts the driver's signed requests and works against the sandbox's Web API."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox

from .conftest import People


@pytest.fixture
def bolt_app(sandbox: Sandbox) -> Iterator[AsyncApp]:
    """A Bolt AsyncApp served on its own thread, wired as the sandbox's request URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: list[AsyncApp] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
        app = AsyncApp(signing_secret=sandbox.signing_secret, client=client)
        register(app)
        runner = web.AppRunner(app.web_app(path="/slack/events"))
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        sandbox.request_url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        box.append(app)
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    yield box[0]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def register(app: AsyncApp) -> None:
    @app.command("/escalate")
    async def escalate(ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Any) -> None:
        await ack()
        channel = (await client.conversations_create(name="esc-zd-1"))["channel"]["id"]
        await client.conversations_invite(channel=channel, users=command["user_id"])
        posted = await client.chat_postMessage(channel=channel, text=f"Swarm for {command['text']}")
        await client.reactions_add(channel=channel, timestamp=posted["ts"], name="rotating_light")
        await respond(f"Opened <#{channel}>")

    @app.event("reaction_added")
    async def claimed(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event["reaction"] == "raising_hand":
            item = event["item"]
            await client.chat_postMessage(
                channel=item["channel"], thread_ts=item["ts"], text=f"<@{event['user']}> claimed"
            )


async def test_bolt_verifies_the_driver_and_runs_a_whole_command_against_the_sandbox(
    sandbox: Sandbox, bolt_app: AsyncApp, people: People
) -> None:
    support = sandbox.add_channel("support", members=[people.alice])
    answer = await sandbox.driver().slash_command(
        "/escalate", "ZD-1", user_id=people.alice, channel_id=support
    )
    assert answer.status == 200
    channel = await sandbox.wait_for(lambda: sandbox.channel_by_name("esc-zd-1"))
    await sandbox.wait_for(lambda: sandbox.responses(user=people.alice))
    assert sandbox.ephemerals(user=people.alice)[0]["text"] == f"Opened <#{channel['id']}>"
    [opening] = sandbox.messages(channel["id"], system=False)
    assert opening["text"] == "Swarm for ZD-1" and opening["reactions"][0]["name"] == "rotating_light"
    await sandbox.human(people.alice).react(channel["id"], opening["ts"], "raising_hand")
    claim = await sandbox.wait_for(lambda: sandbox.messages(channel["id"], system=False)[0].get("replies"))
    assert claim[0]["text"] == f"<@{people.alice}> claimed"


async def test_bolt_rejects_forged_and_stale_requests(
    sandbox: Sandbox, bolt_app: AsyncApp, people: People
) -> None:
    support = sandbox.add_channel("support", members=[people.alice])
    driver = sandbox.driver()
    bad = await driver.slash_command(
        "/escalate", "ZD-1", user_id=people.alice, channel_id=support, signature="bad"
    )
    stale = await driver.slash_command(
        "/escalate", "ZD-1", user_id=people.alice, channel_id=support, timestamp_offset=-600
    )
    assert (bad.status, stale.status) == (401, 401)
    assert sandbox.channel_by_name("esc-zd-1") is None
