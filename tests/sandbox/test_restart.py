"""The sandbox restarting: down (connections refused), then up again on the same port with its state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox


async def test_a_restart_refuses_connections_while_down_then_serves_the_same_workspace(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox()
    port = sb.port
    client = AsyncWebClient(token=sb.bot_token, base_url=sb.api_url)
    channel = (await client.conversations_create(name="before-the-outage"))["channel"]["id"]
    posted = (await client.chat_postMessage(channel=channel, text="kept"))["ts"]

    restart = asyncio.create_task(sb.restart(down_for=0.5))
    await asyncio.sleep(0.2)
    with pytest.raises(aiohttp.ClientConnectorError):
        async with aiohttp.ClientSession() as session:
            await session.post(f"{sb.api_url}auth.test")
    await restart

    assert sb.port == port and sb.restarts == 1
    history = await AsyncWebClient(token=sb.bot_token, base_url=sb.api_url).conversations_history(
        channel=channel
    )
    assert posted in [m["ts"] for m in history["messages"] if m.get("text") == "kept"]
    assert (await client.chat_postMessage(channel=channel, text="after"))["ok"]
    assert [c["method"] for c in sb.calls()][:2] == ["conversations.create", "chat.postMessage"]


def test_stop_then_start_serves_again_on_the_same_port(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox()
    port = sb.port
    user = sb.add_user("dana")
    sb.stop()
    sb.start()
    assert sb.port == port and sb.user(user) is not None
