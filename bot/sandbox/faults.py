"""Seeded fault injection: latency, HTTP 5xx, 429 `ratelimited` and `internal_error`, repeatable call for
call."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

from .config import FaultConfig

HTTP_ERRORS = {"http_500": 500, "http_502": 502, "http_503": 503, "ratelimited": 429}


@dataclass(frozen=True)
class Fault:
    """What happens to one call: a delay first, then maybe an error instead of the answer."""

    delay: float = 0.0
    error: str | None = None
    retry_after: int = 1  # seconds, for `ratelimited`: Slack's Retry-After header

    @property
    def status(self) -> int:
        """The HTTP status of the injected error (200 for `internal_error`)."""
        return HTTP_ERRORS.get(self.error or "", 200)


class FaultInjector:
    """Decides faults from (seed, method, n-th call of that method), so concurrency cannot reorder them."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._counts: Counter[str] = Counter()
        # Faults so far by kind (error kinds and `latency_spike`), kept across reconfigures.
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()

    def reconfigure(self, config: FaultConfig) -> None:
        """Switch faults at run time; the per-method sequences restart."""
        with self._lock:
            self.config = config
            self._counts.clear()

    def decide(self, method: str) -> Fault:
        """The fault (possibly none) for the next call of `method`."""
        config = self.config
        if not config.active or (config.methods is not None and method not in config.methods):
            return Fault()
        with self._lock:
            self._counts[method] += 1
            n = self._counts[method]
        rng = random.Random(f"{config.seed}:{method}:{n}")
        delay = config.latency
        if config.spike_probability and rng.random() < config.spike_probability:
            delay += config.spike_latency
            with self._lock:
                self.injected["latency_spike"] += 1
        error = None
        if config.error_rate and rng.random() < config.error_rate and config.error_kinds:
            error = rng.choice(config.error_kinds)
            with self._lock:
                self.injected[error] += 1
        return Fault(delay=delay, error=error, retry_after=config.retry_after)
