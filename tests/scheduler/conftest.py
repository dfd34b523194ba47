"""Scheduler fixtures: a frozen clock, a queue on the database under test, workers, swarms, the sandbox."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.coordination import MemoryCoordinator
from bot.sandbox import Sandbox, SandboxConfig
from bot.scheduler import JobContext, JobHandler, JobQueue, JobView, Worker
from bot.slack.client import build_client
from bot.slack.gateway import SlackGateway
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import Swarm, Ticket


@pytest.fixture
def clock() -> FrozenClock:
    """Frozen at the real present, so Slack timestamps from the sandbox line up with job times."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on the database under test (SQLite, then Postgres)."""
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated SQLite database (for tests about something other than the database)."""
    path = tmp_path / "scheduler.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def queue(sessions: SessionFactory, clock: FrozenClock) -> JobQueue:
    """A job queue on the database under test, coordinated in memory."""
    return JobQueue(sessions=sessions, clock=clock, coordinator=MemoryCoordinator())


@dataclass
class Recorder:
    """A handler that remembers every job it ran; `fail_with` makes it raise instead."""

    runs: list[JobView] = field(default_factory=list)
    fail_with: BaseException | None = None

    async def __call__(self, job: JobView, context: JobContext) -> None:
        self.runs.append(job)
        if self.fail_with is not None:
            raise self.fail_with

    @property
    def ids(self) -> list[int]:
        return [job.id for job in self.runs]


MakeWorker = Callable[..., Worker]


@pytest.fixture
def make_worker(queue: JobQueue, clock: FrozenClock) -> MakeWorker:
    """Workers on `queue`: make_worker({"kind": handler}, owner="w1", lease=60, …)."""

    def make(handlers: dict[str, JobHandler], *, owner: str = "worker-1", **options: Any) -> Worker:
        return Worker(
            queue=queue,
            handlers=handlers,
            clock=clock,
            coordinator=queue.coordinator,
            owner=owner,
            **options,
        )

    return make


AddSwarm = Callable[[str], Awaitable[int]]


@pytest.fixture
def add_swarm(sessions: SessionFactory, clock: FrozenClock) -> AddSwarm:
    """Create an open swarm for a ticket and return its id (jobs refer to swarms)."""

    async def add(ticket_id: str) -> int:
        async with sessions.begin() as session:
            ticket = Ticket(ticket_id=ticket_id, created_at=clock.now())
            swarm = Swarm(
                ticket=ticket,
                status="open",
                severity="sev2",
                summary="",
                skills=[],
                requested_by="U1",
                commander="U1",
                opened_at=clock.now(),
            )
            session.add(swarm)
            await session.flush()
            return swarm.id

    return add


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A local Slack workspace."""
    with Sandbox(SandboxConfig()) as sb:
        yield sb


@pytest.fixture
def gateway(sandbox: Sandbox) -> SlackGateway:
    """The real gateway, talking to the sandbox."""
    return SlackGateway(build_client(token=sandbox.bot_token, base_url=sandbox.api_url))


def job_messages(sandbox: Sandbox, channel: str) -> dict[int, list[str]]:
    """The ts of every message in `channel` tagged with a job, by job id."""
    found: dict[int, list[str]] = {}
    for message in sandbox.messages(channel):
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == "swarmbot_job":
            found.setdefault(int(metadata["event_payload"]["job_id"]), []).append(message["ts"])
    return found
