"""`swarmbot worker`: run the durable scheduler until SIGTERM or SIGINT; `run_worker` for in-process use."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import socket
import sys
from typing import TYPE_CHECKING

import click

from bot.config import Settings
from bot.errors import ConfigurationError
from bot.scheduler.queue import JobQueue
from bot.scheduler.registry import job_handlers
from bot.scheduler.worker import Worker

if TYPE_CHECKING:
    from bot.services import Services


DEFAULT_BATCH = 20
DEFAULT_CONCURRENCY = 20
DEFAULT_LEASE = 60.0
DEFAULT_POLL = 1.0


def worker_owner() -> str:
    """A lease owner id unique to this process: host:pid:random (at most 64 characters)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


async def run_worker(
    services: Services,
    *,
    stop: asyncio.Event,
    batch: int = DEFAULT_BATCH,
    concurrency: int = DEFAULT_CONCURRENCY,
    lease: float = DEFAULT_LEASE,
    poll: float = DEFAULT_POLL,
    grace: float = 20.0,
    owner: str | None = None,
) -> None:
    """Run a scheduler worker on `services` until `stop` is set; running jobs get `grace` s, then go back."""
    queue = JobQueue(sessions=services.sessions, clock=services.clock, coordinator=services.coordinator)
    await services.reconciler.keep_running()  # the periodic repair pass: one live job, whatever runs this
    if services.directory.skill_groups:  # user groups mapped to skills are synced every hour
        from bot.experts import SYNC_KIND

        await queue.schedule(SYNC_KIND, due_at=services.clock.now(), key=SYNC_KIND)
    worker = Worker(
        queue=queue,
        handlers=job_handlers(services),
        clock=services.clock,
        coordinator=services.coordinator,
        owner=owner or worker_owner(),
        batch=batch,
        concurrency=concurrency,
        lease=lease,
        poll=poll,
        grace=grace,
    )
    # Beside the jobs: events a dead web process acked but never worked (bot/inbox.py).
    replaying = asyncio.create_task(services.reconciler.replay_events_until(stop))
    try:
        await worker.run_forever(stop)
    finally:
        stop.set()
        await replaying


async def _serve(*, batch: int, concurrency: int, lease: float, poll: float) -> None:
    from bot.services import Services

    services = Services.create(Settings())
    try:
        await services.check_ready()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(services, stop=stop, batch=batch, concurrency=concurrency, lease=lease, poll=poll)
    finally:
        await services.aclose()


@click.command("worker")
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH,
    show_default=True,
    help="Most jobs claimed in one query.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Most jobs running at once.",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=1),
    default=DEFAULT_LEASE,
    show_default=True,
    help="Seconds a claim lasts unless renewed; a dead worker's jobs move on after this.",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0.05),
    default=DEFAULT_POLL,
    show_default=True,
    help="Longest sleep between looks at the queue (wake-ups through Redis come sooner).",
)
def worker_command(batch: int, concurrency: int, lease: float, poll: float) -> None:
    """Run the durable scheduler: reminders, escalations and SLA alerts. Any number may run at once."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(_serve(batch=batch, concurrency=concurrency, lease=lease, poll=poll))
    except ConfigurationError as error:
        click.echo(f"swarmbot: {error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:  # before the signal handlers were in place
        sys.exit(130)
