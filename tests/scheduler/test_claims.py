"""Claiming on SQLite and Postgres: concurrent claimers on separate connections never share a row."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert

from bot.clock import FrozenClock
from bot.coordination import MemoryCoordinator
from bot.scheduler import JobQueue
from bot.scheduler.claims import JOBS, claim_due
from storage.db import SessionFactory, create_engine, session_factory

CLAIMERS = 6
JOBS_DUE = 300


async def add_due_jobs(sessions: SessionFactory, clock: FrozenClock, count: int) -> set[int]:
    async with sessions.begin() as session:
        rows = [
            {
                "kind": "ping",
                "due_at": clock.now() - timedelta(seconds=n % 17),
                "payload": {},
                "state": "pending",
                "attempts": 0,
                "created_at": clock.now(),
            }
            for n in range(count)
        ]
        created = await session.execute(insert(JOBS).returning(JOBS.c.id), rows)
        return set(created.scalars())


async def test_concurrent_claimers_on_separate_connections_never_claim_the_same_job(
    database_url: str, sessions: SessionFactory, clock: FrozenClock
):
    expected = await add_due_jobs(sessions, clock, JOBS_DUE)
    engines = [create_engine(database_url) for _ in range(CLAIMERS)]
    queues = [
        JobQueue(sessions=session_factory(engine), clock=clock, coordinator=MemoryCoordinator())
        for engine in engines
    ]

    async def claim_until_empty(queue: JobQueue, owner: str) -> list[int]:
        mine: list[int] = []
        while batch := await queue.claim(owner, limit=7, lease=60):
            assert all(job.lease_owner == owner and job.state == "running" for job in batch)
            mine.extend(job.id for job in batch)
        return mine

    try:
        claimed = await asyncio.gather(
            *(claim_until_empty(queue, f"claimer-{n}") for n, queue in enumerate(queues))
        )
    finally:
        for engine in engines:
            await engine.dispose()

    every = [job_id for batch in claimed for job_id in batch]
    assert len(every) == len(set(every)) == JOBS_DUE
    assert set(every) == expected
    assert sum(1 for batch in claimed if batch) >= 2  # they really competed


async def test_claim_takes_due_pending_jobs_soonest_first_up_to_the_limit(
    sessions: SessionFactory, clock: FrozenClock
):
    queue = JobQueue(sessions=sessions, clock=clock, coordinator=MemoryCoordinator())
    later = await queue.schedule("ping", due_at=clock.now() - timedelta(seconds=1))
    sooner = await queue.schedule("ping", due_at=clock.now() - timedelta(seconds=2))
    await queue.schedule("ping", due_at=clock.now() - timedelta(seconds=3))
    future = await queue.schedule("ping", due_at=clock.now() + timedelta(seconds=1))

    first = await queue.claim("a", limit=1, lease=30)
    rest = await queue.claim("b", limit=10, lease=30)

    assert len(first) == 1 and [job.id for job in rest] == [sooner, later]
    assert all(job.attempts == 1 for job in [*first, *rest])
    assert all(job.lease_until == clock.now() + timedelta(seconds=30) for job in rest)
    assert future not in {job.id for job in [*first, *rest]}
    assert await queue.claim("c", limit=10, lease=30) == []  # running, leases live


async def test_a_running_job_is_claimable_again_only_after_its_lease_lapses(
    sessions: SessionFactory, clock: FrozenClock
):
    queue = JobQueue(sessions=sessions, clock=clock, coordinator=MemoryCoordinator())
    job_id = await queue.schedule("ping", due_at=clock.now())
    await queue.claim("first", limit=1, lease=10)

    clock.advance(timedelta(seconds=10))
    assert await queue.claim("second", limit=1, lease=10) == []  # lease_until == now: still held
    clock.advance(timedelta(microseconds=1))
    [again] = await queue.claim("second", limit=1, lease=10)

    assert again.id == job_id and again.lease_owner == "second" and again.attempts == 2
    assert await queue.renew("first", [job_id], lease=10) == set()
    assert await queue.renew("second", [job_id], lease=10) == {job_id}


@pytest.mark.postgres
async def test_on_postgres_a_claim_skips_rows_another_uncommitted_claim_holds_without_waiting(
    postgres_url: str, clock: FrozenClock
):
    from storage.db import empty_database

    await empty_database(postgres_url)
    first_engine, second_engine = create_engine(postgres_url), create_engine(postgres_url)
    try:
        expected = await add_due_jobs(session_factory(first_engine), clock, 10)
        lease_until = clock.now() + timedelta(seconds=60)
        async with session_factory(first_engine).begin() as holding:
            held = await claim_due(holding, owner="a", now=clock.now(), lease_until=lease_until, limit=4)
            # Not committed yet: the rows are locked, not visibly running.
            async with session_factory(second_engine).begin() as other:
                taken = await asyncio.wait_for(
                    claim_due(other, owner="b", now=clock.now(), lease_until=lease_until, limit=10), 5
                )
        assert len(held) == 4 and len(taken) == 6
        assert {job.id for job in held} | {job.id for job in taken} == expected
    finally:
        await first_engine.dispose()
        await second_engine.dispose()
