import asyncio

import pytest

from bot.coordination import LockTimeout


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
