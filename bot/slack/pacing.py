"""Client-side pacing: wait for Slack's per-method budget before a call instead of being answered 429.

Each method's budget is Slack's (bot/slack/budgets.py), kept as a token bucket in GCRA form (one number:
when the bucket will be full again): `burst` calls may go at once, then one every 60/per_minute seconds.
A caller *reserves* the next free slot and sleeps until it, so waiting callers go first come, first served
and nobody polls.

`MemoryPacer` serves one process; `RedisPacer` keeps the same buckets in Redis (one Lua script on Redis's
clock), so every process using one token shares one budget. slack-sdk's RateLimitErrorRetryHandler stays
the backstop: a 429 still waits for Retry-After and retries, and it tells the pacer (`hold`), which pushes
the bucket's whole schedule back by Retry-After: Slack counts from arrival, so a schedule ahead of Slack's
count (a burst that reached Slack late, another client on the same token) would otherwise meet a 429 on
every call it has queued, each retry taking a slot the next call needed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from bot.errors import ConfigurationError
from bot.slack.budgets import budget_for

log = logging.getLogger(__name__)


# A call that had to wait goes this long after its token is due: Slack counts it on arrival, and arrival
# times jitter; a 429 would cost a whole second or more (Retry-After is in whole seconds).
DEFAULT_LAG = 0.2
OFF = ("off", "false", "no", "0")
PACER_CONNECTIONS = 8


@dataclass(frozen=True)
class Slot:
    """One bucket's spacing after `scale`: one call per `interval` seconds, `tolerance` seconds of burst."""

    key: str
    interval: float
    tolerance: float


def slot_for(method: str, channel: str | None, *, scale: float) -> Slot:
    """The bucket a call of `method` (in `channel`) takes its slot from."""
    budget = budget_for(method)
    per_minute = budget.per_minute * scale
    capacity = max(1.0, (budget.burst if budget.burst is not None else budget.per_minute) * scale)
    interval = 60.0 / per_minute
    key = f"{method}:{channel or ''}" if budget.per_channel else method
    return Slot(key=key, interval=interval, tolerance=(capacity - 1) * interval)


def _knows_bucket(method: str, channel: str | None) -> bool:
    # A per-channel budget's 429 without its channel (slack-sdk keeps JSON bodies out of the retry
    # handler's view) cannot say whose schedule to push back.
    return channel is not None or not budget_for(method).per_channel


def held_back(tat: float, now: float, slot: Slot, seconds: float) -> float:
    """The bucket's new theoretical arrival time after Slack answered 429, asking to wait `seconds`.

    Calls already queued move back by `seconds`; an idle bucket counts as empty (Slack has no token left),
    so the next call waits `seconds` and no burst follows.
    """
    return max(tat + seconds, now + seconds + slot.tolerance)


def reserve(tat: float, now: float, slot: Slot, *, lag: float = 0.0) -> tuple[float, float]:
    """GCRA: (when the call may start, the bucket's new theoretical arrival time) for a call asked at `now`.

    `tat` is when the bucket will be full again; a call conforms once `tat - tolerance` has passed (`lag`
    later, when the bucket is not full: that is when the budget's owner counts one token back), and each
    call pushes `tat` one interval later. Only the start moves by `lag`, so lags never add up.
    """
    if tat <= now:
        return now, now + slot.interval
    return max(now, tat - slot.tolerance + lag), tat + slot.interval


class Pacer(Protocol):
    """Waits before each Web API call until the method's budget allows it."""

    async def pace(self, method: str, *, channel: str | None = None) -> float:
        """Wait for a slot for `method` (in `channel`); return the seconds waited."""
        ...

    async def hold(self, method: str, *, channel: str | None = None, seconds: float) -> None:
        """Slack answered a `method` call 429 with Retry-After `seconds`: push its bucket's schedule back.

        Once per Retry-After window: the 429s of calls already in flight in that window say nothing new.
        """
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class NoPacing:
    """Pacing switched off: every call goes at once (429s are still retried by slack-sdk)."""

    async def pace(self, method: str, *, channel: str | None = None) -> float:
        return 0.0

    async def hold(self, method: str, *, channel: str | None = None, seconds: float) -> None:
        return None

    async def close(self) -> None:
        return None


class MemoryPacer:
    """Budgets for one process."""

    def __init__(
        self,
        *,
        scale: float = 1.0,
        lag: float = DEFAULT_LAG,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self.lag = lag
        self._clock = clock
        self._sleep = sleep
        self._tats: dict[str, float] = {}
        self._pushed: dict[str, float] = {}  # seconds each bucket's schedule was pushed back by 429s
        self._held_until: dict[str, float] = {}

    async def pace(self, method: str, *, channel: str | None = None) -> float:
        slot = slot_for(method, channel, scale=self.scale)
        now = self._clock()
        if len(self._tats) > 10_000:  # forget full buckets (one per channel ever posted to)
            self._tats = {key: tat for key, tat in self._tats.items() if tat > now}
            self._pushed = {key: pushed for key, pushed in self._pushed.items() if key in self._tats}
            self._held_until = {key: until for key, until in self._held_until.items() if until > now}
        start, self._tats[slot.key] = reserve(self._tats.get(slot.key, now), now, slot, lag=self.lag)
        wait = start - now
        pushed = self._pushed.get(slot.key, 0.0)
        if wait > 0:
            await self._sleep(wait)
        # A 429 while this call waited pushed the schedule back, this call with it.
        while (later := self._pushed.get(slot.key, 0.0) - pushed) > 0:
            pushed += later
            wait += later
            await self._sleep(later)
        return wait

    async def hold(self, method: str, *, channel: str | None = None, seconds: float) -> None:
        if not _knows_bucket(method, channel):
            return
        slot = slot_for(method, channel, scale=self.scale)
        now = self._clock()
        if now < self._held_until.get(slot.key, now):
            return
        self._held_until[slot.key] = now + seconds
        self._pushed[slot.key] = self._pushed.get(slot.key, 0.0) + seconds
        self._tats[slot.key] = held_back(self._tats.get(slot.key, now), now, slot, seconds)

    async def close(self) -> None:
        return None


# `reserve` on Redis's clock, in microseconds (exact in a double up to 2^53), so every process agrees.
# KEYS[1]: the bucket, KEYS[2]: how far 429s pushed it back; ARGV: interval, tolerance and lag in µs.
# Returns the wait and the push so far, in µs.
RESERVE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local lag = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = now
if tat <= now then
  tat = now
else
  start = tat - tolerance + lag
  if start < now then start = now end
end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 1000)
return {math.floor(start - now), tonumber(redis.call('GET', KEYS[2]) or '0')}
"""

# `held_back` on Redis's clock, once per Retry-After window. KEYS[1]: the bucket, KEYS[2]: its push,
# KEYS[3]: the window's marker; ARGV: tolerance and Retry-After in µs.
HOLD_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tolerance = tonumber(ARGV[1])
local seconds = tonumber(ARGV[2])
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', math.ceil(seconds / 1000)) then return 0 end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local held = math.max(tat + seconds, now + seconds + tolerance)
redis.call('SET', KEYS[1], string.format('%.0f', held), 'PX', math.ceil((held - now) / 1000) + 1000)
redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], math.ceil((held - now) / 1000) + 3600000)
return 1
"""


class RedisPacer:
    """Budgets shared through Redis by every process that paces the same token."""

    def __init__(
        self,
        redis: Redis,
        *,
        namespace: str,
        scale: float = 1.0,
        lag: float = DEFAULT_LAG,
        prefix: str = "swarmbot:",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self._redis = redis
        self._sleep = sleep
        self._prefix = f"{prefix}pace:{namespace}:"
        self.scale = scale
        self.lag = lag
        self._reserve = redis.register_script(RESERVE_SCRIPT)
        self._hold = redis.register_script(HOLD_SCRIPT)
        self._warned = 0.0

    @classmethod
    def from_url(cls, url: str, *, namespace: str, scale: float = 1.0) -> RedisPacer:
        """Connect lazily to the Redis at `url`."""
        # A burst of calls queues for a few connections (one script call is ~0.1 ms) instead of opening
        # one each: redis-py's default pool refuses its 101st connection.
        pool = BlockingConnectionPool.from_url(url, max_connections=PACER_CONNECTIONS, timeout=10)
        return cls(Redis.from_pool(pool), namespace=namespace, scale=scale)

    async def pace(self, method: str, *, channel: str | None = None) -> float:
        slot = slot_for(method, channel, scale=self.scale)
        bucket, push = self._prefix + slot.key, self._prefix + "pushed:" + slot.key
        wait = 0.0
        try:
            waited, pushed = await self._reserve(
                keys=[bucket, push],
                args=[round(slot.interval * 1e6), round(slot.tolerance * 1e6), round(self.lag * 1e6)],
            )
            wait = int(waited) / 1e6
            if wait > 0:
                await self._sleep(wait)
            # A 429 while this call waited pushed the schedule back, this call with it.
            while (later := int(await self._redis.get(push) or 0) - int(pushed)) > 0:
                pushed = int(pushed) + later
                wait += later / 1e6
                await self._sleep(later / 1e6)
        except RedisError as error:
            self._pacing_off(error)
        return wait

    async def hold(self, method: str, *, channel: str | None = None, seconds: float) -> None:
        if not _knows_bucket(method, channel):
            return
        slot = slot_for(method, channel, scale=self.scale)
        keys = [self._prefix + name + slot.key for name in ("", "pushed:", "held:")]
        try:
            await self._hold(keys=keys, args=[round(slot.tolerance * 1e6), round(seconds * 1e6)])
        except RedisError as error:
            self._pacing_off(error)

    def _pacing_off(self, error: RedisError) -> None:
        # Pacing is a courtesy to Slack, never a reason to fail a call: 429s are still retried.
        if time.monotonic() - self._warned > 60:
            self._warned = time.monotonic()
            log.warning("Slack pacing is off while Redis fails: %s", error)

    async def close(self) -> None:
        await self._redis.aclose()


def pacing_scale(setting: str | None) -> float | None:
    """SWARMBOT_SLACK_PACING: `on` (default) is Slack's budgets, `off` is None, a number scales them."""
    value = (setting or "on").strip().lower()
    if value in ("on", "true", "yes", ""):
        return 1.0
    if value in OFF:
        return None
    try:
        scale = float(value)
    except ValueError:
        raise ConfigurationError(
            f"SWARMBOT_SLACK_PACING: `{setting}` should be on, off or a number (times Slack's budgets)"
        ) from None
    if scale <= 0:
        return None
    return scale


def budget_namespace(api_url: str, token: str) -> str:
    """Who a shared budget belongs to: Slack limits each app per workspace, i.e. per token and API."""
    return hashlib.sha256(f"{api_url}\0{token}".encode()).hexdigest()[:16]


def pacer_for(redis_url: str | None, *, setting: str | None, api_url: str, token: str) -> Pacer:
    """Redis when a URL is configured, memory otherwise; NoPacing when SWARMBOT_SLACK_PACING is off."""
    scale = pacing_scale(setting)
    if scale is None:
        return NoPacing()
    if redis_url:
        return RedisPacer.from_url(redis_url, namespace=budget_namespace(api_url, token), scale=scale)
    return MemoryPacer(scale=scale)
