"""Slack's Web API rate limits as token buckets: per method by tier, chat.postMessage per channel."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .config import MethodLimit, RateLimitConfig

# Requests per minute by tier (docs.slack.dev/apis/web-api/rate-limits: Tier 1 "1+", Tier 2 "20+",
# Tier 3 "50+", Tier 4 "100+"). Special tiers: auth.test and chat.getPermalink allow "hundreds of
# requests per minute" (600, as slack's Java SDK budgets them); chat.postMessage is limited per channel.
TIER_BUDGETS: dict[str, float] = {
    "tier1": 1,
    "tier2": 20,
    "tier3": 50,
    "tier4": 100,
    "special_auth_test": 600,
    "special_permalink": 600,
}
POST_MESSAGE_TIER = "special_post_message"


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float
    stamp: float


@dataclass(frozen=True)
class Verdict:
    """Whether a call may proceed, and if not how long to wait (Slack's `Retry-After`)."""

    allowed: bool
    retry_after: int = 0


class RateLimiter:
    """Token buckets keyed by method (and by channel for chat.postMessage); thread-safe."""

    def __init__(self, config: RateLimitConfig, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._now = monotonic
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def reconfigure(self, config: RateLimitConfig) -> None:
        """Switch limits at run time; budgets start full again."""
        with self._lock:
            self.config = config
            self._buckets.clear()

    def limit_for(self, method: str, tier: str) -> MethodLimit | None:
        """The unscaled limit applying to `method`, or None when the tier has no budget."""
        if method in self.config.overrides:
            return self.config.overrides[method]
        if tier == POST_MESSAGE_TIER:
            return self.config.post_message_per_channel
        budget = TIER_BUDGETS.get(tier)
        return MethodLimit(per_minute=budget) if budget is not None else None

    def check(self, method: str, tier: str, *, channel: str | None = None) -> Verdict:
        """Take one token for this call, or say how many seconds until one is free."""
        if not self.config.enabled:
            return Verdict(True)
        limit = self.limit_for(method, tier)
        if limit is None:
            return Verdict(True)
        per_minute = limit.per_minute * self.config.scale
        capacity = max(
            1.0, (limit.burst if limit.burst is not None else limit.per_minute) * self.config.scale
        )
        key = (method, channel or "") if tier == POST_MESSAGE_TIER else (method, "")
        now = self._now()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = _Bucket(capacity=capacity, per_second=per_minute / 60, tokens=capacity, stamp=now)
                self._buckets[key] = bucket
            bucket.tokens = min(bucket.capacity, bucket.tokens + (now - bucket.stamp) * bucket.per_second)
            bucket.stamp = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return Verdict(True)
            wait = (1 - bucket.tokens) / bucket.per_second if bucket.per_second > 0 else 60.0
        # Slack sends whole seconds; never 0, or a client would hammer straight back.
        return Verdict(False, retry_after=max(1, math.ceil(wait)))
