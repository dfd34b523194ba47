"""Deterministic ids and strictly increasing, unique message timestamps."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from itertools import count


class IdFactory:
    """Slack-shaped ids from per-prefix counters, so two runs of a test see the same ids."""

    def __init__(self) -> None:
        self._counters: dict[str, count[int]] = {}
        self._lock = threading.Lock()

    def next(self, prefix: str) -> str:
        """Next id for `prefix` ("U", "C", "D", "S", "V", "Q", "Bk", "Ev", "B", "A")."""
        with self._lock:
            n = next(self._counters.setdefault(prefix, count(1)))
        return f"{prefix}0{n:07d}" if len(prefix) == 1 else f"{prefix}{n:08d}"

    def trigger_id(self, team_number: int) -> str:
        """A trigger id in Slack's "123.456.hex" shape."""
        with self._lock:
            n = next(self._counters.setdefault("trigger", count(1)))
        digest = hashlib.sha256(f"trigger-{n}".encode()).hexdigest()[:32]
        return f"{1000000 + n}.{team_number}.{digest}"

    def envelope_id(self) -> str:
        """A Socket Mode envelope id, shaped like Slack's UUIDs."""
        with self._lock:
            n = next(self._counters.setdefault("envelope", count(1)))
        digest = hashlib.sha256(f"envelope-{n}".encode()).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def secret(self, kind: str) -> str:
        """An unguessable-looking but deterministic token for response URLs."""
        with self._lock:
            n = next(self._counters.setdefault(kind, count(1)))
        return hashlib.sha256(f"{kind}-{n}".encode()).hexdigest()[:24]


class TsSource:
    """Message `ts` values from the clock, each strictly greater than the last ("1732280000.000100")."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        """The next ts: the clock's microseconds, bumped past the previous ts if needed."""
        with self._lock:
            micros = max(int(self._clock() * 1_000_000), self._last + 1)
            self._last = micros
        return format_ts(micros)


def format_ts(micros: int) -> str:
    """Slack's ts text for a count of microseconds."""
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def ts_key(ts: str) -> int:
    """A ts as microseconds, for ordering and comparing with `oldest`/`latest`."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
