"""Real `swarmbot worker` processes on Postgres and Redis against the Slack sandbox: each job posts once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from bot.coordination import RedisCoordinator
from bot.sandbox import FaultConfig, Sandbox, SandboxConfig
from bot.scheduler import WAKE_TOPIC
from bot.scheduler.claims import JOBS
from storage.db import SessionFactory, create_engine, empty_database, session_factory
from tests.conftest import _flushed_redis_url
from tests.scheduler.conftest import job_messages

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REPO = Path(__file__).parents[2]
BOT_TOKEN = "xoxb-scheduler-test"
JOB_COUNT = 1000
CHANNELS = 10
WORKERS = 3
LEASE = 2


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(bot_token=BOT_TOKEN)) as sb:
        yield sb


@pytest.fixture
async def database(postgres_url: str) -> str:
    await empty_database(postgres_url)
    return postgres_url


@contextmanager
def worker_process(env: dict[str, str], log: Path, *, poll: float) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m bot.scheduler` (what `swarmbot worker` runs); killed if still running at the end."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.scheduler",
                "--batch",
                "25",
                "--concurrency",
                "25",
                "--lease",
                str(LEASE),
                "--poll",
                str(poll),
            ],
            env={**os.environ, **env},
            cwd=REPO,
            stdout=output,
            stderr=output,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


async def schedule_posts(sessions: SessionFactory, channels: list[str]) -> set[int]:
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "post_message",
            "due_at": now,
            "payload": {"channel": channels[n % len(channels)], "text": f"reminder {n}"},
            "state": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for n in range(JOB_COUNT)
    ]
    async with sessions.begin() as session:
        return set((await session.execute(insert(JOBS).returning(JOBS.c.id), rows)).scalars())


async def count_done(sessions: SessionFactory) -> int:
    async with sessions() as session:
        done = await session.scalar(select(func.count()).where(JOBS.c.state == "done"))
    return int(done or 0)


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], timeout: float, what: str, logs: list[Path]
) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
            raise AssertionError(f"timed out waiting for {what}\n{tails}")
        await asyncio.sleep(0.1)


async def assert_each_posted_exactly_once(
    sandbox: Sandbox, sessions: SessionFactory, channels: list[str], expected: set[int]
) -> None:
    posted: dict[int, list[str]] = {}
    for channel in channels:
        for job_id, stamps in job_messages(sandbox, channel).items():
            posted.setdefault(job_id, []).extend(stamps)
    twice = {job_id: stamps for job_id, stamps in posted.items() if len(stamps) > 1}
    assert twice == {}, f"posted more than once: {list(twice)[:10]}"
    assert set(posted) == expected, f"never posted: {sorted(expected - set(posted))[:10]}"
    async with sessions() as session:
        # the reconciler's periodic job, which every worker keeps scheduled, is not one of ours
        rows = (
            await session.execute(
                select(JOBS.c.id, JOBS.c.state, JOBS.c.result).where(JOBS.c.kind == "post_message")
            )
        ).all()
    assert {row.state for row in rows} == {"done"}
    assert {row.id: row.result["message"]["ts"] for row in rows} == {
        job_id: stamps[0] for job_id, stamps in posted.items()
    }


async def posted_any(sandbox: Sandbox) -> bool:
    return bool(sandbox.calls("chat.postMessage"))


def environment(sandbox: Sandbox, database: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": database,
        "REDIS_URL": _flushed_redis_url(),
        # A thousand posts in a few channels: paced, Slack's one a second per channel would take minutes.
        # The sandbox enforces no rate limits here; pacing has its own tests.
        "SWARMBOT_SLACK_PACING": "off",
    }


def finished_counts(logs: list[Path]) -> list[int]:
    counts = []
    for log in logs:
        found = re.search(r"stopped after finishing (\d+) jobs", log.read_text())
        counts.append(int(found.group(1)) if found else -1)
    return counts


async def test_a_thousand_due_reminders_across_three_worker_processes_are_each_posted_exactly_once(
    sandbox: Sandbox, database: str, tmp_path: Path
):
    channels = [sandbox.add_channel(f"swarm-{n}") for n in range(CHANNELS)]
    engine = create_engine(database)
    sessions = session_factory(engine)
    logs = [tmp_path / f"worker-{n}.log" for n in range(WORKERS)]
    try:
        with ExitStack() as stack:
            env = environment(sandbox, database)
            processes = [stack.enter_context(worker_process(env, log, poll=30)) for log in logs]
            await asyncio.sleep(1.5)  # started, found nothing, asleep on a 30 s poll
            expected = await schedule_posts(sessions, channels)
            coordinator = RedisCoordinator.from_url(env["REDIS_URL"])
            await coordinator.wake(WAKE_TOPIC)  # what JobQueue.schedule does for a job due this soon
            await coordinator.close()
            woken = time.monotonic()
            await wait_until(lambda: posted_any(sandbox), 5, "the wake-up to start the workers", logs)
            assert time.monotonic() - woken < 3

            async def all_done() -> bool:
                return await count_done(sessions) == JOB_COUNT

            await wait_until(all_done, 60, "every job done", logs)
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                assert process.wait(timeout=15) == 0

        await assert_each_posted_exactly_once(sandbox, sessions, channels, expected)
        counts = finished_counts(logs)
        assert sum(counts) == JOB_COUNT and all(count > 0 for count in counts), counts
    finally:
        await engine.dispose()


async def test_killing_a_worker_mid_batch_leaves_nothing_lost_and_nothing_posted_twice(
    sandbox: Sandbox, database: str, tmp_path: Path
):
    # Slack answers slowly, so the killed worker has posts in flight: some reach Slack but never get
    # recorded, and its successors must find them by their metadata instead of posting again.
    sandbox.set_faults(FaultConfig(latency=0.2, methods=frozenset({"chat.postMessage"})))
    channels = [sandbox.add_channel(f"swarm-{n}") for n in range(CHANNELS)]
    engine = create_engine(database)
    sessions = session_factory(engine)
    logs = [tmp_path / f"worker-{n}.log" for n in range(WORKERS)]
    try:
        expected = await schedule_posts(sessions, channels)
        with ExitStack() as stack:
            env = environment(sandbox, database)
            processes = [stack.enter_context(worker_process(env, log, poll=0.2)) for log in logs]

            async def a_third_posted() -> bool:
                return len(sandbox.calls("chat.postMessage")) >= JOB_COUNT // 3

            await wait_until(a_third_posted, 60, "a third of the posts", logs)
            processes[0].kill()  # SIGKILL: no chance to release anything
            processes[0].wait(timeout=10)

            async def all_done() -> bool:
                return await count_done(sessions) == JOB_COUNT

            await wait_until(all_done, 60, "every job done after the kill", logs)
            for process in processes[1:]:
                process.send_signal(signal.SIGTERM)
            for process in processes[1:]:
                assert process.wait(timeout=15) == 0

        await assert_each_posted_exactly_once(sandbox, sessions, channels, expected)
        async with sessions() as session:
            retried = await session.scalar(select(func.count()).where(JOBS.c.attempts > 1))
        assert retried, "the killed worker held no jobs: the test did not kill it mid-batch"
        assert sandbox.calls("conversations.history"), "no retry looked for an earlier post"
    finally:
        await engine.dispose()
