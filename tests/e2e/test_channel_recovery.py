"""A build killed between creating the channel and recording it: the next attempt takes that channel back."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.sandbox import FaultConfig
from storage.models import Swarm
from tests.e2e.conftest import BOT_TOKEN, Stack


async def swarm_opening_without_channel(stack: Stack, text: str) -> None:
    """Leave the swarm as a crash right after conversations.create would: recorded, no channel id."""
    stack.sandbox.set_faults(
        FaultConfig(
            error_rate=1.0, error_kinds=("internal_error",), methods=frozenset({"conversations.create"})
        )
    )
    answer = await stack.escalate(text)
    assert "Slack failed" in str(answer)
    stack.sandbox.set_faults(FaultConfig())


def esc_channels(stack: Stack, prefix: str) -> list[dict]:
    return [c for c in stack.sandbox.channels() if c["name"].startswith(prefix)]


async def test_escalating_again_records_the_channel_a_killed_build_created(stack: Stack):
    await swarm_opening_without_channel(stack, "ZD-70 sev2 Checkout down")
    bot = AsyncWebClient(token=BOT_TOKEN, base_url=stack.sandbox.api_url)
    made = (await bot.conversations_create(name="esc-zd-70-checkout-down"))["channel"]["id"]

    answer = await stack.escalate("ZD-70 sev2 Checkout down")

    assert "Slack failed" not in str(answer)
    assert [c["id"] for c in esc_channels(stack, "esc-zd-70")] == [made]
    async with stack.sessions() as session:
        assert (await session.scalar(select(Swarm.channel_id))) == made
    assert len(stack.sandbox.pins(made)) == 2  # the brief and the checklist: built in the taken-back channel


async def test_a_channel_someone_else_made_with_that_name_is_left_alone(stack: Stack):
    await swarm_opening_without_channel(stack, "ZD-71 sev2 Checkout down")
    human = stack.sandbox.human(stack.person("dave")).client
    theirs = (await human.conversations_create(name="esc-zd-71-checkout-down"))["channel"]["id"]

    await stack.escalate("ZD-71 sev2 Checkout down")

    async with stack.sessions() as session:
        ours = await session.scalar(select(Swarm.channel_id))
    assert ours != theirs
    assert stack.sandbox.channel(ours)["name"] == "esc-zd-71-checkout-down-2"
