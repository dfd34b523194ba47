"""Wake-ups: a job due sooner than anything pending wakes sleeping workers, through memory or Redis."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bot.clock import FrozenClock
from bot.coordination import Coordinator, MemoryCoordinator
from bot.scheduler import JobContext, JobQueue, JobView, Worker
from storage.db import create_engine, session_factory


class CountingCoordinator(MemoryCoordinator):
    """Memory coordination that counts wake-ups."""

    def __init__(self) -> None:
        super().__init__()
        self.wakes = 0

    async def wake(self, topic: str) -> None:
        self.wakes += 1
        await super().wake(topic)


async def test_only_a_job_due_sooner_than_everything_pending_wakes_the_workers(
    sqlite_url: str, clock: FrozenClock
):
    engine = create_engine(sqlite_url)
    coordinator = CountingCoordinator()
    queue = JobQueue(sessions=session_factory(engine), clock=clock, coordinator=coordinator)
    try:
        await queue.schedule("a", due_at=clock.now() + timedelta(minutes=10))
        assert coordinator.wakes == 1  # nothing was pending
        await queue.schedule("a", due_at=clock.now() + timedelta(minutes=20))
        assert coordinator.wakes == 1
        await queue.schedule("a", key="k", due_at=clock.now() + timedelta(minutes=5))
        assert coordinator.wakes == 2
        await queue.reschedule("k", clock.now() + timedelta(minutes=30))
        assert coordinator.wakes == 2
        await queue.reschedule("k", clock.now() + timedelta(minutes=1))
        assert coordinator.wakes == 3
    finally:
        await engine.dispose()


async def run_until(worker: Worker, ran: asyncio.Event, timeout: float) -> float:
    stop = asyncio.Event()
    started = time.monotonic()
    running = asyncio.create_task(worker.run_forever(stop))
    try:
        await asyncio.wait_for(ran.wait(), timeout)
        return time.monotonic() - started
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)


async def test_scheduling_a_due_job_wakes_a_worker_sleeping_on_a_long_poll(
    sqlite_url: str, clock: FrozenClock, coordinator: Coordinator
):
    engine = create_engine(sqlite_url)
    queue = JobQueue(sessions=session_factory(engine), clock=clock, coordinator=coordinator)
    ran = asyncio.Event()

    async def handler(job: JobView, context: JobContext) -> None:
        ran.set()

    worker = Worker(
        queue=queue, handlers={"ping": handler}, clock=clock, coordinator=coordinator, owner="w", poll=60
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    try:
        await asyncio.sleep(0.3)  # the worker found nothing and sleeps on its 60 s poll
        scheduled = time.monotonic()
        await queue.schedule("ping", due_at=clock.now())
        await asyncio.wait_for(ran.wait(), 5)
        assert time.monotonic() - scheduled < 1.0
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)
        await engine.dispose()


async def test_without_a_shared_coordinator_a_worker_still_finds_new_jobs_within_its_poll(
    sqlite_url: str, clock: FrozenClock
):
    # Two processes without Redis: the scheduler's wake-up cannot reach the worker, its poll does.
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    scheduler = JobQueue(sessions=sessions, clock=clock, coordinator=MemoryCoordinator())
    elsewhere = MemoryCoordinator()
    queue = JobQueue(sessions=sessions, clock=clock, coordinator=elsewhere)
    ran = asyncio.Event()

    async def handler(job: JobView, context: JobContext) -> None:
        ran.set()

    worker = Worker(
        queue=queue, handlers={"ping": handler}, clock=clock, coordinator=elsewhere, owner="w", poll=0.3
    )
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    try:
        await asyncio.sleep(0.1)
        scheduled = time.monotonic()
        await scheduler.schedule("ping", due_at=clock.now())
        await asyncio.wait_for(ran.wait(), 5)
        assert time.monotonic() - scheduled < 0.3 + 0.5
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)
        await engine.dispose()
