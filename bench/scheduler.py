"""Scheduler benchmark: 10,000 swarms' due reminders on Postgres, run by two worker processes.

    python -m bench.scheduler [--swarms 10000] [--spread 60] [--workers 2] [--no-write]

Creates a database of its own (dropped at the end) next to SWARMBOT_BENCH_POSTGRES (default
postgresql://postgres@127.0.0.1:5432/test), migrates it, and adds one open swarm per ticket. Then two
scenarios, each with fresh jobs and fresh worker processes (`python -m bench.scheduler worker`: the real
JobQueue and Worker, each process with its own engine and in-memory coordination):

- backlog: every swarm's reminder comes due at the same instant; measures jobs per second;
- steady: the reminders come due evenly over --spread seconds; measures how late each one starts.

The handler records when it started and calls nothing (Slack waits excluded): lateness is handler start
minus due time; throughput is jobs over the time from the first due moment to the last job marked done.
Results are printed and written to the "Scheduler" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, cast

from sqlalchemy import Table, func, insert, select, text

from bench.report import publish
from bench.world import scratch_database
from bot.clock import SystemClock
from bot.coordination import MemoryCoordinator
from bot.scheduler import JobContext, JobQueue, JobView, Worker
from bot.scheduler.claims import JOBS
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import Swarm, Ticket

REPO = Path(__file__).parents[1]
TICKETS = cast(Table, Ticket.__table__)
SWARMS = cast(Table, Swarm.__table__)
KIND = "bench_reminder"
LEAD = 3.0  # seconds between scheduling and the first due moment: workers are up and asleep by then


# -- the worker process --------------------------------------------------------------------------------


async def run_worker_process(args: argparse.Namespace) -> list[tuple[int, float, float]]:
    """One worker: run bench reminders until SIGTERM; return (job id, due, started) for each."""
    engine = create_engine(args.database_url, pool_size=args.pool, max_overflow=0)
    clock = SystemClock()
    coordinator = MemoryCoordinator()
    queue = JobQueue(sessions=session_factory(engine), clock=clock, coordinator=coordinator)
    timings: list[tuple[int, float, float]] = []

    async def reminder(job: JobView, context: JobContext) -> None:
        timings.append((job.id, job.due_at.timestamp(), time.time()))

    worker = Worker(
        queue=queue,
        handlers={KIND: reminder},
        clock=clock,
        coordinator=coordinator,
        owner=f"bench:{os.getpid()}",
        batch=args.batch,
        concurrency=args.concurrency,
        poll=args.poll,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await worker.run_forever(stop)
    finally:
        await engine.dispose()
    return timings


# -- the driver ----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One scenario's figures."""

    name: str
    jobs: int
    seconds: float
    lateness: list[float]
    per_worker: list[int]

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.lateness)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def add_swarms(sessions: SessionFactory, count: int) -> list[int]:
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        tickets = await session.execute(
            insert(TICKETS).returning(TICKETS.c.id),
            [{"ticket_id": f"BENCH-{n}", "created_at": now} for n in range(count)],
        )
        ticket_ids = list(tickets.scalars())
        swarm_rows = [
            {
                "ticket_pk": ticket,
                "status": "open",
                "severity": "sev2",
                "summary": "",
                "skills": [],
                "requested_by": "U1",
                "commander": "U1",
                "opened_at": now,
            }
            for ticket in ticket_ids
        ]
        swarms = await session.execute(insert(SWARMS).returning(SWARMS.c.id), swarm_rows)
        return list(swarms.scalars())


async def add_reminders(
    sessions: SessionFactory, swarms: list[int], first_due: datetime, spread: float
) -> None:
    step = spread / len(swarms)
    rows = [
        {
            "kind": KIND,
            "swarm_id": swarm,
            "key": f"{KIND}:{swarm}",
            "due_at": first_due + timedelta(seconds=n * step),
            "payload": {"swarm": swarm},
            "state": "pending",
            "attempts": 0,
            "created_at": datetime.now(UTC),
        }
        for n, swarm in enumerate(swarms)
    ]
    async with sessions.begin() as session:
        await session.execute(insert(JOBS), rows)


async def run_scenario(
    name: str,
    *,
    url: str,
    sessions: SessionFactory,
    swarms: list[int],
    spread: float,
    args: argparse.Namespace,
) -> Outcome:
    async with sessions.begin() as session:
        await session.execute(text("DELETE FROM jobs"))
    folder = Path(tempfile.mkdtemp(prefix="swarmbot-bench-"))
    outputs = [folder / f"worker-{n}.json" for n in range(args.workers)]
    logs = open_logs(folder, args.workers)
    command = [sys.executable, "-m", "bench.scheduler", "worker", "--database-url", url]
    options = ["--batch", str(args.batch), "--concurrency", str(args.concurrency), "--pool", str(args.pool)]
    processes = [
        await asyncio.create_subprocess_exec(
            *command, *options, "--out", str(out), cwd=REPO, stdout=log, stderr=log
        )
        for out, log in zip(outputs, logs, strict=True)
    ]
    try:
        await asyncio.sleep(1.5)  # started and asleep
        first_due = datetime.now(UTC) + timedelta(seconds=LEAD)
        await add_reminders(sessions, swarms, first_due, spread)
        deadline = time.monotonic() + LEAD + spread + 300
        while True:
            async with sessions() as session:
                done = await session.scalar(select(func.count()).where(JOBS.c.state == "done"))
            if done == len(swarms):
                break
            if time.monotonic() > deadline or any(p.returncode is not None for p in processes):
                raise RuntimeError(f"{name}: only {done} of {len(swarms)} done; logs in {folder}")
            await asyncio.sleep(0.2)
        async with sessions() as session:
            last_done: datetime = await session.scalar(select(func.max(JOBS.c.finished_at)))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            await asyncio.wait_for(process.wait(), 60)
        for log in logs:
            log.close()
    timings = read_timings(outputs)
    lateness = [started - due for worker in timings for _, due, started in worker]
    ran = [job for worker in timings for job, _, _ in worker]
    if len(ran) != len(set(ran)) or len(ran) != len(swarms):
        raise RuntimeError(f"{name}: {len(ran)} runs for {len(set(ran))} jobs of {len(swarms)}")
    return Outcome(
        name=name,
        jobs=len(swarms),
        seconds=(last_done - first_due).total_seconds(),
        lateness=lateness,
        per_worker=[len(worker) for worker in timings],
    )


def open_logs(folder: Path, count: int) -> list[IO[bytes]]:
    return [(folder / f"worker-{n}.log").open("wb") for n in range(count)]


def read_timings(outputs: list[Path]) -> list[list[tuple[int, float, float]]]:
    return [[(job, due, started) for job, due, started in json.loads(out.read_text())] for out in outputs]


async def machine(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            version = str((await connection.execute(text("SHOW server_version"))).scalar())
            commit = str((await connection.execute(text("SHOW synchronous_commit"))).scalar())
    finally:
        await engine.dispose()
    return {
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "postgres": f"{version} (synchronous_commit={commit})",
        "platform": platform.platform(),
    }


async def run_benchmark(args: argparse.Namespace) -> tuple[list[Outcome], dict[str, str]]:
    async with scratch_database("bench") as url:
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            swarms = await add_swarms(sessions, args.swarms)
            info = await machine(url)
            outcomes = [
                await run_scenario(
                    "backlog", url=url, sessions=sessions, swarms=swarms, spread=0.0, args=args
                ),
                await run_scenario(
                    "steady", url=url, sessions=sessions, swarms=swarms, spread=args.spread, args=args
                ),
            ]
            return outcomes, info
        finally:
            await engine.dispose()


def report(outcomes: list[Outcome], info: dict[str, str], args: argparse.Namespace) -> str:
    ms = 1000.0
    lines = [
        "| scenario | jobs | due over | jobs/s | lateness p50 | p99 | max | jobs per worker |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for outcome, spread in zip(outcomes, (0.0, args.spread), strict=True):
        lines.append(
            f"| {outcome.name} | {outcome.jobs:,} | {spread:g} s | {outcome.rate:,.0f} "
            f"| {outcome.percentile(0.50) * ms:,.0f} ms | {outcome.percentile(0.99) * ms:,.0f} ms "
            f"| {max(outcome.lateness) * ms:,.0f} ms | {' / '.join(f'{n:,}' for n in outcome.per_worker)} |"
        )
    lines += [
        "",
        f"Machine: {info['cpus']} CPUs, Python {info['python']}, PostgreSQL {info['postgres']}, "
        f"{info['platform']}; Postgres, both workers and the driver share the machine.",
        f"Settings: {args.workers} worker processes, --batch {args.batch}, --concurrency {args.concurrency}, "
        f"{args.pool} database connections each; one run, {datetime.now(UTC):%Y-%m-%d}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduler", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    worker = commands.add_parser("worker", help="(internal) one worker process")
    worker.add_argument("--database-url", required=True)
    worker.add_argument("--out", required=True)
    for target in (parser, worker):
        target.add_argument("--batch", type=int, default=50)
        target.add_argument("--concurrency", type=int, default=50)
        target.add_argument("--pool", type=int, default=10, help="database connections per worker")
    worker.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--swarms", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the steady reminders span")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if args.command == "worker":
        Path(args.out).write_text(json.dumps(asyncio.run(run_worker_process(args))))
        return
    outcomes, info = asyncio.run(run_benchmark(args))
    publish("scheduler", report(outcomes, info, args), write=not args.no_write)


if __name__ == "__main__":
    main()
