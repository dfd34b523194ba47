"""`/escalate update` again after a crash swallowed the first: the update is recorded and posted once."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.updates import UPDATE_EVENT
from storage.models import StatusUpdate, Swarm
from tests.e2e.conftest import BOT_TOKEN, Stack, count, opened

TEXT = "Cause found, fix rolling out"


async def recorded_but_unposted(stack: Stack) -> int:
    """An update stored as a process killed right after committing it would leave it: no message yet."""
    async with stack.sessions() as session:
        swarm_id = await session.scalar(select(Swarm.id))
        row = StatusUpdate(
            swarm_id=swarm_id, author=stack.person("alice"), text=TEXT, fields={}, posted_at=stack.clock.now()
        )
        session.add(row)
        await session.commit()
        return row.id


async def updates(stack: Stack) -> list[tuple[str, str | None]]:
    async with stack.sessions() as session:
        return [(u.text, u.message_ts) for u in await session.scalars(select(StatusUpdate))]


async def test_the_same_update_again_posts_the_one_a_crash_left_unposted(stack: Stack):
    channel = await opened(stack, "ZD-80 sev2 Exports slow")
    await recorded_but_unposted(stack)

    await stack.escalate(f"update {TEXT}", channel=channel)

    [(text, ts)] = await updates(stack)
    assert text == TEXT and ts is not None
    assert count(stack, channel, TEXT) == 1


async def test_the_same_update_again_finds_the_message_a_crash_left_unrecorded(stack: Stack):
    channel = await opened(stack, "ZD-81 sev2 Exports slow")
    update_id = await recorded_but_unposted(stack)
    bot = AsyncWebClient(token=BOT_TOKEN, base_url=stack.sandbox.api_url)
    posted = await bot.chat_postMessage(
        channel=channel,
        text=f"Status update on ZD-81: {TEXT}",
        metadata={"event_type": UPDATE_EVENT, "event_payload": {"update": update_id}},
    )

    await stack.escalate(f"update {TEXT}", channel=channel)

    assert await updates(stack) == [(TEXT, posted["ts"])]
    assert count(stack, channel, TEXT) == 1


async def test_a_later_identical_update_is_a_new_one(stack: Stack):
    channel = await opened(stack, "ZD-82 sev2 Exports slow")
    await stack.escalate(f"update {TEXT}", channel=channel)
    await stack.escalate(f"update {TEXT}", channel=channel)

    assert len(await updates(stack)) == 2
    assert count(stack, channel, TEXT) == 2
