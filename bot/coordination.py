"""Coordination between processes: dedupe of Slack retries, a lock per key, wake-ups.

Coordination is never the only copy of anything: storage is the source of truth, so losing Redis loses at
most a dedupe window. Without REDIS_URL the in-memory implementation serves a single process.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

from bot.errors import SwarmbotError

log = logging.getLogger(__name__)
# Connections one process keeps to Redis; a burst queues for them (see RedisCoordinator.from_url).
COORDINATOR_CONNECTIONS = 32


class LockTimeout(SwarmbotError):
    """The lock stayed taken for longer than the caller was willing to wait."""

    def __init__(self, key: str) -> None:
        super().__init__(f"timed out waiting for lock {key!r}")
        self.key = key


class Coordinator(Protocol):
    """What several swarmbot processes need to agree on."""

    async def dedupe(self, key: str, ttl: float) -> bool:
        """True the first time `key` is seen within `ttl` seconds, False on every repeat."""
        ...

    def lock(self, key: str, *, ttl: float = 60.0, wait: float = 30.0) -> AbstractAsyncContextManager[None]:
        """Hold `key` exclusively for as long as the holder lives; if it dies, the hold lapses after `ttl`."""
        ...

    async def wake(self, topic: str) -> None:
        """Wake everyone waiting on `topic`."""
        ...

    async def wait_for_wake(self, topic: str, timeout: float) -> bool:
        """Wait up to `timeout` seconds for a wake-up on `topic`; True if one came."""
        ...

    async def ping(self) -> None:
        """Raise if the coordinator cannot be reached."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryCoordinator:
    """Coordination for a single process."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._wakes: dict[str, asyncio.Event] = {}

    async def dedupe(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        if len(self._seen) > 10_000:
            self._seen = {k: until for k, until in self._seen.items() if until > now}
        until = self._seen.get(key)
        if until is not None and until > now:
            return False
        self._seen[key] = now + ttl
        return True

    @asynccontextmanager
    async def lock(self, key: str, *, ttl: float = 60.0, wait: float = 30.0) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            await asyncio.wait_for(lock.acquire(), timeout=wait)
        except TimeoutError:
            raise LockTimeout(key) from None
        try:
            yield
        finally:
            lock.release()
            if not lock.locked() and not lock._waiters:  # forget idle locks
                self._locks.pop(key, None)

    async def wake(self, topic: str) -> None:
        event = self._wakes.pop(topic, None)
        if event is not None:
            event.set()

    async def wait_for_wake(self, topic: str, timeout: float) -> bool:
        event = self._wakes.setdefault(topic, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout=timeout)
        except TimeoutError:
            return False
        return True

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisCoordinator:
    """Coordination through Redis, for any number of processes."""

    def __init__(self, redis: Redis, *, prefix: str = "swarmbot:") -> None:
        self._redis = redis
        self._prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "swarmbot:") -> RedisCoordinator:
        """Connect lazily to the Redis at `url`."""
        # A burst of requests waits its turn for a bounded pool (a command takes well under a millisecond)
        # instead of opening a connection each: redis-py's default pool refuses its 101st connection with
        # MaxConnectionsError, which under 500 concurrent requests failed dedupe checks and ticket locks.
        pool = BlockingConnectionPool.from_url(url, max_connections=COORDINATOR_CONNECTIONS, timeout=20)
        return cls(Redis.from_pool(pool), prefix=prefix)

    async def dedupe(self, key: str, ttl: float) -> bool:
        created = await self._redis.set(self._prefix + "dedupe:" + key, b"1", nx=True, px=int(ttl * 1000))
        return bool(created)

    @asynccontextmanager
    async def lock(self, key: str, *, ttl: float = 60.0, wait: float = 30.0) -> AsyncIterator[None]:
        # redis-py's Lock: a random token per holder, released only by its holder (Lua check-and-delete).
        lock = self._redis.lock(self._prefix + "lock:" + key, timeout=ttl, blocking_timeout=wait, sleep=0.02)
        if not await lock.acquire(token=uuid.uuid4().hex):
            raise LockTimeout(key)
        # Renewed while we live, so `ttl` can be short: it is how long a killed holder blocks the key.
        keeper = asyncio.create_task(_keep_alive(lock, key, ttl), name=f"lock-{key}")
        try:
            yield
        finally:
            keeper.cancel()
            with suppress(asyncio.CancelledError):
                await keeper
            # If the hold lapsed anyway, someone else may own the key now: nothing of ours to release.
            with suppress(LockError):
                await lock.release()

    async def wake(self, topic: str) -> None:
        await self._redis.publish(self._prefix + "wake:" + topic, b"1")

    async def wait_for_wake(self, topic: str, timeout: float) -> bool:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(self._prefix + "wake:" + topic)
        deadline = time.monotonic() + timeout
        try:
            # get_message answers None at once for the subscribe confirmation: wait on to the deadline.
            while (remaining := deadline - time.monotonic()) > 0:
                if await pubsub.get_message(ignore_subscribe_messages=True, timeout=remaining) is not None:
                    return True
            return False
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


async def _keep_alive(lock: Lock, key: str, ttl: float) -> None:
    """Reset the hold to `ttl` every third of it until cancelled (or until the hold is lost)."""
    while True:
        await asyncio.sleep(ttl / 3)
        try:
            await lock.reacquire()
        except LockError:  # lapsed meanwhile (a pause longer than ttl): another holder may have it
            log.warning("lock %r lapsed while held", key)
            return
        except RedisError:  # a blip: the hold has two more thirds of its ttl to get through
            log.warning("could not renew lock %r", key, exc_info=True)


def coordinator_for(redis_url: str | None) -> Coordinator:
    """Redis when a URL is configured, memory otherwise."""
    return RedisCoordinator.from_url(redis_url) if redis_url else MemoryCoordinator()
