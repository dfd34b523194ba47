import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.coordination import LockTimeout, RedisCoordinator
from tests.conftest import _flushed_redis_url


async def test_dedupe_is_true_once_then_false(coordinator):
    assert await coordinator.dedupe("event:Ev1", ttl=60)
    assert not await coordinator.dedupe("event:Ev1", ttl=60)
    assert await coordinator.dedupe("event:Ev2", ttl=60)


async def test_dedupe_forgets_after_ttl(coordinator):
    assert await coordinator.dedupe("k", ttl=0.05)
    await asyncio.sleep(0.1)
    assert await coordinator.dedupe("k", ttl=0.05)


async def test_lock_serialises_holders_of_the_same_key(coordinator):
    inside = 0
    most = 0

    async def hold():
        nonlocal inside, most
        async with coordinator.lock("ticket:ZD-1", ttl=5, wait=5):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.02)
            inside -= 1

    await asyncio.gather(*(hold() for _ in range(10)))
    assert most == 1


async def test_locks_on_different_keys_do_not_wait_for_each_other(coordinator):
    async with coordinator.lock("a", ttl=5, wait=0.5), coordinator.lock("b", ttl=5, wait=0.5):
        pass


async def test_lock_wait_gives_up_with_lock_timeout(coordinator):
    async with coordinator.lock("busy", ttl=5, wait=1):
        with pytest.raises(LockTimeout):
            async with coordinator.lock("busy", ttl=5, wait=0.1):
                pass


async def test_wake_reaches_a_waiter(coordinator):
    waiter = asyncio.create_task(coordinator.wait_for_wake("scheduler", timeout=2))
    await asyncio.sleep(0.1)
    await coordinator.wake("scheduler")
    assert await waiter


async def test_wait_without_wake_times_out(coordinator):
    assert not await coordinator.wait_for_wake("nobody", timeout=0.1)


async def test_a_lock_is_kept_past_its_ttl_while_its_holder_lives(coordinator):
    async with coordinator.lock("slow-build", ttl=0.3, wait=1):
        await asyncio.sleep(1.0)  # three ttls: renewed meanwhile
        with pytest.raises(LockTimeout):
            async with coordinator.lock("slow-build", ttl=0.3, wait=0.2):
                pass


@pytest.mark.redis
async def test_a_lock_held_by_a_killed_process_lapses_after_its_ttl():
    # A holder killed with SIGKILL never releases: its renewals stop, and the key is free a ttl later.
    url = _flushed_redis_url()
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_FOREVER, url, stdout=subprocess.PIPE, cwd=Path(__file__).parents[2]
    )
    try:
        assert holder.stdout is not None and (await holder.stdout.readline()).strip() == b"held"
        await asyncio.sleep(1.5)  # past the ttl: the living holder keeps it
        coordinator = RedisCoordinator.from_url(url)
        try:
            with pytest.raises(LockTimeout):
                async with coordinator.lock("ticket:ZD-9", ttl=1, wait=0.2):
                    pass
            holder.send_signal(signal.SIGKILL)
            await holder.wait()
            started = time.monotonic()
            async with coordinator.lock("ticket:ZD-9", ttl=1, wait=5):
                waited = time.monotonic() - started
        finally:
            await coordinator.close()
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
    assert waited < 1.5


HOLD_FOREVER = """
import asyncio, sys
from bot.coordination import RedisCoordinator

async def main():
    async with RedisCoordinator.from_url(sys.argv[1]).lock("ticket:ZD-9", ttl=1, wait=5):
        print("held", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""
