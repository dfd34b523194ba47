"""Twenty `/escalate` for one ticket at once open exactly one channel, on one process or on two."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.sandbox import Driver, Sandbox
from bot.sandbox.cast import Cast
from tests.conftest import _flushed_redis_url
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Stack
from tests.e2e.processes import serve_process

BURST = 20


async def burst(sandbox: Sandbox, cast: Cast, drivers: list[Driver], text: str) -> list[str]:
    people = list(cast.people.values())
    await asyncio.gather(
        *(
            drivers[i % len(drivers)].slash_command(
                "/escalate", text, user_id=people[i % len(people)], channel_id=cast.support_channel
            )
            for i in range(BURST)
        )
    )
    await sandbox.wait_for(lambda: len(sandbox.responses()) >= BURST, timeout=60)
    return [r["payload"]["text"] for r in sandbox.responses()]


def assert_one_swarm(sandbox: Sandbox, answers: list[str]) -> None:
    creates = [c for c in sandbox.calls("conversations.create") if c["response"].get("ok")]
    assert len(creates) == 1
    assert [c["name"] for c in sandbox.channels() if c["name"].startswith("esc-")] == [
        "esc-zd-777-checkout-down"
    ]
    assert sum("Opened" in answer for answer in answers) == 1
    assert sum("already has a swarm" in answer for answer in answers) == BURST - 1


async def test_twenty_concurrent_escalations_in_one_process_open_one_channel(stack: Stack):
    answers = await burst(stack.sandbox, stack.cast, [stack.driver], "ZD-777 sev1 Checkout down")
    assert_one_swarm(stack.sandbox, answers)


@pytest.mark.postgres
@pytest.mark.redis
async def test_twenty_concurrent_escalations_on_two_processes_open_one_channel(
    sandbox: Sandbox, cast: Cast, postgres_url: str, tmp_path: Path
):
    from storage.db import empty_database

    await empty_database(postgres_url)
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": postgres_url,
        "REDIS_URL": _flushed_redis_url(),
    }
    with serve_process(env, tmp_path / "a.log") as first, serve_process(env, tmp_path / "b.log") as second:
        sandbox.request_url = first
        drivers = [Driver(sandbox, request_url=first), Driver(sandbox, request_url=second)]
        answers = await burst(sandbox, cast, drivers, "ZD-777 sev1 Checkout down")
    assert_one_swarm(sandbox, answers)
