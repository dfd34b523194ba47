"""Pacing against real components: one budget shared through Redis, and bursts the sandbox rate-limits."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from bot.sandbox import RateLimitConfig, Sandbox, SandboxConfig
from bot.slack.client import build_client
from bot.slack.gateway import SlackGateway
from bot.slack.pacing import MemoryPacer, NoPacing, Pacer, RedisPacer
from tests.conftest import REDIS_TEST_URL

# Tier 2 at twelve times Slack's budget: 240 calls may burst, then one every 0.25 s.
SCALE = 12
BURST = 240


class Sleeps:
    """Records what a pacer would sleep, without sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def redis_pacers() -> AsyncIterator[tuple[RedisPacer, RedisPacer, Sleeps]]:
    """Two pacers, as two processes would have, on one budget; their sleeps are recorded."""
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    sleeps = Sleeps()
    first = RedisPacer(Redis.from_url(REDIS_TEST_URL), namespace=namespace, lag=0.0, sleep=sleeps)
    second = RedisPacer(Redis.from_url(REDIS_TEST_URL), namespace=namespace, lag=0.0, sleep=sleeps)
    yield first, second, sleeps
    await first.close()
    await second.close()


@pytest.mark.redis
async def test_two_processes_share_one_budget_through_redis(redis_pacers):
    first, second, _ = redis_pacers
    waits = [await (first if n % 2 else second).pace("conversations.create") for n in range(24)]
    assert waits[:20] == [0.0] * 20
    assert waits[20:] == pytest.approx([3.0, 6.0, 9.0, 12.0], abs=0.2)


@pytest.mark.redis
async def test_redis_budgets_are_per_method_and_per_channel_for_posts(redis_pacers):
    first, second, _ = redis_pacers
    posts = [await first.pace("chat.postMessage", channel="C1") for _ in range(4)]
    assert posts[:3] == [0.0] * 3 and posts[3] == pytest.approx(1.0, abs=0.2)
    assert await second.pace("chat.postMessage", channel="C2") == 0.0
    assert await second.pace("conversations.setTopic") == 0.0


@pytest.mark.redis
async def test_concurrent_reservations_through_redis_never_share_a_slot(redis_pacers):
    first, second, _ = redis_pacers
    waits = await asyncio.gather(
        *((first if n % 2 else second).pace("chat.postMessage", channel="C9") for n in range(13))
    )
    assert sorted(waits)[3:] == pytest.approx([float(n) for n in range(1, 11)], abs=0.2)


class GatedSleeps(Sleeps):
    """Sleeps that last until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.waiting.set()
        await self.gate.wait()


@pytest.mark.redis
async def test_a_429_heard_by_one_process_pushes_back_the_other_processes_calls():
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    sleeps = GatedSleeps()
    first = RedisPacer(Redis.from_url(REDIS_TEST_URL), namespace=namespace, lag=0.0, sleep=sleeps)
    second = RedisPacer(Redis.from_url(REDIS_TEST_URL), namespace=namespace, lag=0.0, sleep=sleeps)
    try:
        for _ in range(20):
            await first.pace("conversations.create")
        waiting = asyncio.create_task(first.pace("conversations.create"))  # due in 3 s
        await sleeps.waiting.wait()
        await second.hold("conversations.create", seconds=2)
        await second.hold("conversations.create", seconds=2)  # in the same window: no news
        sleeps.gate.set()
        assert await waiting == pytest.approx(5.0, abs=0.2)
        assert sleeps.waits == pytest.approx([3.0, 2.0], abs=0.2)
        assert await second.pace("conversations.create") == pytest.approx(8.0, abs=0.2)
    finally:
        await first.close()
        await second.close()


async def test_a_redis_outage_turns_pacing_off_instead_of_failing_calls():
    pacer = RedisPacer(Redis.from_url("redis://127.0.0.1:1/0"), namespace="down")
    try:
        assert await pacer.pace("conversations.create") == 0.0
        await pacer.hold("conversations.create", seconds=2)
    finally:
        await pacer.close()


# -- against the sandbox with Slack's tiers enforced ---------------------------------------------------


@pytest.fixture
def limited_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(rate_limits=RateLimitConfig(enabled=True, scale=SCALE))) as sb:
        yield sb


async def create_channels(gateways: list[SlackGateway], count: int) -> float:
    started = time.monotonic()
    await asyncio.gather(
        *(gateways[n % len(gateways)].create_channel(f"burst-{n}", is_private=False) for n in range(count))
    )
    return time.monotonic() - started


def statuses(sandbox: Sandbox) -> list[int]:
    return [call["status"] for call in sandbox.calls("conversations.create")]


def gateway(sandbox: Sandbox, pacer: Pacer) -> SlackGateway:
    return SlackGateway(build_client(token=sandbox.bot_token, base_url=sandbox.api_url), pacer=pacer)


async def test_a_paced_burst_of_creates_meets_few_rate_limits_and_takes_what_the_tier_allows(limited_sandbox):
    paced = gateway(limited_sandbox, MemoryPacer(scale=SCALE))
    seconds = await create_channels([paced], BURST + 10)
    assert statuses(limited_sandbox).count(200) == BURST + 10
    # None on a quiet machine. A loaded one can delay the burst's first arrival past the pacer's lag, and
    # the calls just after the burst then reach Slack a moment early: a 429 or two, after which the pacer
    # moves its queue back (each 429 is waited out by the retry handler).
    assert statuses(limited_sandbox).count(429) <= (BURST + 10) // 50
    # Ten calls beyond the burst, 0.25 s apart: 2.5 s is the floor.
    assert 2.4 < seconds < 10


async def test_a_schedule_running_ahead_of_slacks_count_recovers_after_a_429(limited_sandbox):
    # Another client on the same token spends three calls first: Slack's count is three ahead of the
    # pacer's. The burst's last calls meet 429s; the pacer hears of them and moves its queue back, instead
    # of every queued call meeting a 429 and each retry taking a slot the next call needed (seven 429s
    # without that feedback, measured).
    other = gateway(limited_sandbox, NoPacing())
    for n in range(3):
        await other.create_channel(f"other-{n}", is_private=False)
    paced = gateway(limited_sandbox, MemoryPacer(scale=SCALE))
    await create_channels([paced], BURST + 10)
    assert statuses(limited_sandbox).count(200) == BURST + 10 + 3
    assert statuses(limited_sandbox).count(429) <= 4


class HeardHolds(NoPacing):
    def __init__(self) -> None:
        self.holds: list[tuple[str, str | None, float]] = []

    async def hold(self, method: str, *, channel: str | None = None, seconds: float) -> None:
        self.holds.append((method, channel, seconds))


async def test_the_gateway_tells_its_pacer_of_every_429_and_its_retry_after(limited_sandbox):
    pacer = HeardHolds()
    await create_channels([gateway(limited_sandbox, pacer)], BURST + 2)
    assert pacer.holds and len(pacer.holds) == statuses(limited_sandbox).count(429)
    assert {(method, channel) for method, channel, _ in pacer.holds} == {("conversations.create", None)}
    assert all(seconds >= 1 for _, _, seconds in pacer.holds)


async def test_without_pacing_the_same_burst_is_answered_429_and_retried(limited_sandbox):
    unpaced = gateway(limited_sandbox, NoPacing())
    await create_channels([unpaced], BURST + 10)
    assert statuses(limited_sandbox).count(200) == BURST + 10
    assert 429 in statuses(limited_sandbox)


@pytest.mark.redis
async def test_two_processes_pacing_through_redis_stay_within_one_budget(limited_sandbox):
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    pacers = [RedisPacer.from_url(REDIS_TEST_URL, namespace=namespace, scale=SCALE) for _ in range(2)]
    try:
        seconds = await create_channels([gateway(limited_sandbox, p) for p in pacers], BURST + 10)
    finally:
        for p in pacers:
            await p.close()
    assert statuses(limited_sandbox).count(200) == BURST + 10
    assert statuses(limited_sandbox).count(429) <= 2
    assert 2.4 < seconds < 10
