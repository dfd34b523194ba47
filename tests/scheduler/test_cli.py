"""`swarmbot worker` and `run_worker`, the scheduler inside another process (serve --with-worker)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.sandbox import Sandbox
from bot.scheduler import JobQueue
from bot.scheduler.cli import run_worker, worker_owner
from bot.services import Services
from tests.scheduler.conftest import job_messages

REPO = Path(__file__).parents[2]


async def test_run_worker_posts_due_messages_inside_a_process_until_stopped(
    sandbox: Sandbox, sqlite_url: str
):
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token=sandbox.bot_token,
        slack_api_url=sandbox.api_url,
        database_url=sqlite_url,
    )
    services = Services.create(settings)
    channel = sandbox.add_channel("swarm-1")
    stop = asyncio.Event()
    try:
        running = asyncio.create_task(run_worker(services, stop=stop, poll=0.1))
        queue = JobQueue(sessions=services.sessions, clock=services.clock, coordinator=services.coordinator)
        job_id = await queue.schedule(
            "post_message", due_at=datetime.now(UTC), payload={"channel": channel, "text": "status, please"}
        )
        await sandbox.wait_for(lambda: job_messages(sandbox, channel), timeout=5)
        stop.set()
        await asyncio.wait_for(running, 5)
        assert job_messages(sandbox, channel) == {job_id: [sandbox.messages(channel)[-1]["ts"]]}
        job = await queue.get(job_id)
        assert job is not None and job.state == "done"
    finally:
        await services.aclose()


def test_the_worker_refuses_to_start_on_a_database_that_is_not_migrated(tmp_path: Path):
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "REDIS_URL": "",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bot.scheduler"], env=env, cwd=tmp_path, capture_output=True, timeout=60
    )
    assert finished.returncode == 2
    assert b"swarmbot db upgrade" in finished.stderr


def test_worker_owner_ids_are_unique_per_process_and_fit_the_lease_column():
    first, second = worker_owner(), worker_owner()
    assert first != second and len(first) <= 64
    assert first.split(":")[1] == str(os.getpid())
