"""The pacer's arithmetic: Slack's tier budgets as GCRA reservations, on a clock the test moves."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import ConfigurationError
from bot.sandbox.methods import REGISTRY
from bot.sandbox.ratelimit import TIER_BUDGETS as SANDBOX_TIER_BUDGETS
from bot.slack.budgets import METHOD_TIERS, SPECIAL_BUDGETS, TIER_BUDGETS, budget_for
from bot.slack.pacing import (
    MemoryPacer,
    NoPacing,
    RedisPacer,
    budget_namespace,
    pacer_for,
    pacing_scale,
    reserve,
    slot_for,
)


class FakeTime:
    """A clock that only moves when told; sleeps are recorded, not slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


class GatedTime(FakeTime):
    """A FakeTime whose sleeps yield to the event loop, so a test can act while a caller waits."""

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


def pacer(time: FakeTime, *, scale: float = 1.0, lag: float = 0.0) -> MemoryPacer:
    return MemoryPacer(scale=scale, lag=lag, clock=time.clock, sleep=time.sleep)


async def waits(p: MemoryPacer, method: str, count: int, *, channel: str | None = None) -> list[float]:
    return [await p.pace(method, channel=channel) for _ in range(count)]


def test_budgets_are_slacks_published_tiers():
    assert {tier: budget.per_minute for tier, budget in TIER_BUDGETS.items()} == {
        "tier1": 1,
        "tier2": 20,
        "tier3": 50,
        "tier4": 100,
    }
    assert budget_for("conversations.create").per_minute == 20
    assert budget_for("chat.postMessage").per_channel
    assert budget_for("chat.postMessage").burst == 3
    assert budget_for("auth.test").per_minute == 600
    assert budget_for("some.future.method").per_minute == 50  # unknown methods: Tier 3


def test_the_table_agrees_with_the_sandbox_for_every_method_it_serves():
    for name, spec in REGISTRY.items():
        if name in SPECIAL_BUDGETS:
            continue
        assert METHOD_TIERS.get(name) == spec.tier, name
        assert TIER_BUDGETS[spec.tier].per_minute == SANDBOX_TIER_BUDGETS[spec.tier]
    assert SPECIAL_BUDGETS["auth.test"].per_minute == SANDBOX_TIER_BUDGETS["special_auth_test"]


async def test_a_tier_2_method_bursts_a_minutes_budget_then_one_call_every_three_seconds():
    time = FakeTime()
    assert await waits(pacer(time), "conversations.create", 23) == [0.0] * 20 + [3.0, 6.0, 9.0]


async def test_the_budget_refills_while_idle_but_never_beyond_its_burst():
    time = FakeTime()
    p = pacer(time)
    await waits(p, "conversations.create", 20)
    time.now += 9.0  # three tokens back
    assert await waits(p, "conversations.create", 4) == [0.0, 0.0, 0.0, 3.0]
    time.now += 3600.0
    assert (await waits(p, "conversations.create", 21))[-2:] == [0.0, 3.0]


async def test_methods_have_separate_budgets():
    time = FakeTime()
    p = pacer(time)
    await waits(p, "conversations.create", 20)
    assert await p.pace("conversations.setTopic") == 0.0
    assert await p.pace("conversations.create") == 3.0


async def test_chat_post_message_is_paced_per_channel_with_a_burst_of_three():
    time = FakeTime()
    p = pacer(time)
    assert await waits(p, "chat.postMessage", 5, channel="C1") == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert await waits(p, "chat.postMessage", 3, channel="C2") == [0.0, 0.0, 0.0]


async def test_scale_multiplies_rate_and_burst_like_the_sandboxes_scale():
    time = FakeTime()
    assert (await waits(pacer(time, scale=0.5), "conversations.create", 12))[-3:] == [0.0, 6.0, 12.0]
    slot = slot_for("conversations.create", None, scale=10)
    assert slot.interval == pytest.approx(0.3)
    assert slot.tolerance == pytest.approx(199 * 0.3)
    # A budget scaled below one call still lets one call through at a time.
    assert slot_for("apps.connections.open", None, scale=0.5).tolerance == 0.0


async def test_lag_delays_only_calls_that_meet_an_empty_bucket_and_never_accumulates():
    time = FakeTime()
    p = pacer(time, lag=0.05)
    assert await waits(p, "chat.postMessage", 6, channel="C1") == pytest.approx(
        [0.0, 0.0, 0.05, 1.05, 2.05, 3.05]
    )
    time.now += 100
    assert await p.pace("chat.postMessage", channel="C1") == 0.0


def test_reserve_is_gcra():
    slot = slot_for("chat.postMessage", "C1", scale=1)  # 1 s apart, 2 s of burst tolerance
    start, tat = reserve(0.0, 10.0, slot)
    assert (start, tat) == (10.0, 11.0)
    assert reserve(13.0, 10.0, slot) == (11.0, 14.0)
    assert reserve(11.5, 10.0, slot) == (10.0, 12.5)


async def test_concurrent_callers_get_distinct_slots_in_arrival_order():
    time = FakeTime()
    p = pacer(time)
    results = await asyncio.gather(*(p.pace("pins.add") for _ in range(22)))
    assert results[-2:] == [3.0, 6.0]


async def test_the_pacer_forgets_full_buckets_of_channels_long_idle():
    time = FakeTime()
    p = pacer(time)
    for n in range(10_001):
        await p.pace("chat.postMessage", channel=f"C{n}")
    time.now += 10
    await p.pace("chat.postMessage", channel="Cnew")
    assert len(p._tats) == 1


async def test_a_429_pushes_back_the_call_waiting_for_a_slot_and_the_calls_to_come():
    time = GatedTime()
    p = pacer(time)
    await waits(p, "pins.add", 20)  # the burst; Slack's count runs ahead of ours
    waiting = asyncio.create_task(p.pace("pins.add"))  # due in 3 s
    await asyncio.sleep(0)
    await p.hold("pins.add", seconds=2)
    assert await waiting == 5.0
    assert time.slept == [3.0, 2.0]
    assert await p.pace("pins.add") == 8.0  # 6 s, and the 2 s Slack asked for


async def test_429s_of_calls_in_flight_in_one_retry_after_window_push_back_once():
    time = FakeTime()
    p = pacer(time)
    await waits(p, "pins.add", 20)
    for _ in range(5):  # five calls sent together, all answered 429
        await p.hold("pins.add", seconds=2)
    assert await p.pace("pins.add") == 5.0
    time.now += 2.0  # a 429 after the window is news: it pushes again
    await p.hold("pins.add", seconds=2)
    assert await p.pace("pins.add") == 8.0  # due at 1008, pushed 2 s, asked at 1002


async def test_after_a_429_an_idle_bucket_counts_as_empty_and_does_not_burst():
    time = FakeTime()
    p = pacer(time)
    await p.hold("conversations.create", seconds=3)  # someone else spent the budget
    assert await waits(p, "conversations.create", 3) == [3.0, 6.0, 9.0]
    assert await p.pace("conversations.setTopic") == 0.0


async def test_a_429_holds_back_only_its_own_channel_and_never_a_channel_it_cannot_name():
    time = FakeTime()
    p = pacer(time)
    await p.hold("chat.postMessage", seconds=5)  # slack-sdk hides JSON bodies: no channel known
    assert await p.pace("chat.postMessage", channel="C1") == 0.0
    await p.hold("chat.postMessage", channel="C1", seconds=5)
    assert await p.pace("chat.postMessage", channel="C1") == 5.0
    assert await p.pace("chat.postMessage", channel="C2") == 0.0


async def test_no_pacing_never_waits():
    p = NoPacing()
    assert [await p.pace("conversations.create") for _ in range(100)] == [0.0] * 100
    await p.hold("conversations.create", seconds=30)
    assert await p.pace("conversations.create") == 0.0


@pytest.mark.parametrize(
    ("setting", "scale"),
    [(None, 1.0), ("", 1.0), ("on", 1.0), ("ON", 1.0), ("off", None), ("0", None), ("2.5", 2.5)],
)
def test_swarmbot_slack_pacing_reads_on_off_or_a_scale(setting, scale):
    assert pacing_scale(setting) == scale


def test_a_malformed_pacing_setting_says_what_it_should_be():
    with pytest.raises(ConfigurationError, match="on, off or a number"):
        pacing_scale("fast")


async def test_pacer_for_picks_memory_redis_or_none():
    assert isinstance(pacer_for(None, setting="off", api_url="u", token="t"), NoPacing)
    memory = pacer_for(None, setting="3", api_url="u", token="t")
    assert isinstance(memory, MemoryPacer) and memory.scale == 3
    shared = pacer_for("redis://127.0.0.1:6379/15", setting=None, api_url="u", token="t")
    assert isinstance(shared, RedisPacer)
    await shared.close()


def test_budgets_belong_to_one_token_on_one_api():
    assert budget_namespace("https://slack.com/api/", "xoxb-1") == budget_namespace(
        "https://slack.com/api/", "xoxb-1"
    )
    assert budget_namespace("https://slack.com/api/", "xoxb-1") != budget_namespace(
        "https://slack.com/api/", "xoxb-2"
    )
    assert budget_namespace("http://127.0.0.1:1/api/", "xoxb-1") != budget_namespace(
        "http://127.0.0.1:2/api/", "xoxb-1"
    )
