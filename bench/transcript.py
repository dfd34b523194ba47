"""Transcript benchmark: archive a 50,000-message channel with 5,000 threads, through the real code.

    python -m bench.transcript [--messages 50000] [--threads 5000] [--page 200]
                               [--database sqlite|postgres|both] [--small] [--no-write]

A Slack sandbox runs in a child process (`python -m bench.transcript sandbox …`) so its own state (every
message, and its log of calls) is not counted in this process's memory. The channel is seeded directly:
40 % of the messages are thread replies (30,000 top-level messages, 5,000 of them thread parents, and
20,000 replies). Reply counts per thread follow a log-normal distribution (mu 0.1, sigma 1.6, at least one
reply) scaled to that total, the long tail of support channels: most threads get one to three replies,
one in ten more than eight, and the longest few run to a few hundred, past one replies page. Replies arrive
interleaved with later top-level messages. 40 people write; the bot posts 2 % of the messages; 1 % of the
messages mention someone, 3 % carry a link and 0.2 % a card number.

The real `TranscriptArchive.collect` (gateway, slack-sdk client with its retry handlers, redaction,
rendering) runs against the sandbox on a database of its own (SQLite in a temporary directory, or a
Postgres database created next to SWARMBOT_BENCH_POSTGRES and dropped at the end), twice: once for seconds
and peak RSS, once under tracemalloc for the peak of Python allocations. Slack calls are counted by the
sandbox (every HTTP request, retries included) and compared with the minimum for the page size:
ceil(top-level / page) history pages, ceil(replies / page) pages per thread, one users.info per person.
`--small` adds a run at a tenth of the size, to show what grows with the channel and what does not.
Results are printed and written to the "Transcript archive" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import publish
from bench.world import admin, database_url
from bot.clock import SystemClock
from bot.slack.client import build_client
from bot.slack.gateway import SlackGateway
from bot.transcripts import Redactor, TranscriptArchive, TranscriptSummary
from storage.db import SessionFactory, create_engine, session_factory, upgrade
from storage.models import Swarm, Ticket

REPO = Path(__file__).parents[1]
REPLY_SHARE = 0.4
PEOPLE = 40
WORDS = [
    "customer",
    "login",
    "timeout",
    "error",
    "saml",
    "certificate",
    "expired",
    "deploy",
    "rollback",
    "token",
    "cache",
    "region",
    "latency",
    "database",
    "replica",
    "failover",
    "ticket",
    "escalation",
    "workaround",
    "patch",
    "restart",
    "logs",
    "trace",
    "incident",
    "impact",
    "status",
    "update",
    "owner",
    "shard",
    "queue",
    "backlog",
    "retry",
    "webhook",
    "invoice",
    "billing",
    "refund",
    "account",
    "locked",
]


# -- the sandbox process -----------------------------------------------------------------------------------


def reply_counts(threads: int, replies: int, rng: random.Random) -> list[int]:
    """Replies per thread: log-normal(0.1, 1.6), at least one, scaled to add up to `replies` exactly."""
    raw = [max(1.0, math.ceil(rng.lognormvariate(0.1, 1.6))) for _ in range(threads)]
    scale = (replies - threads) / max(1.0, sum(r - 1 for r in raw))
    counts = [1 + int((r - 1) * scale) for r in raw]
    for index in rng.sample(range(threads), k=threads):  # hand out what rounding left over
        if sum(counts) >= replies:
            break
        counts[index] += 1
    while sum(counts) > replies:
        index = rng.randrange(threads)
        if counts[index] > 1:
            counts[index] -= 1
    return counts


def message_text(rng: random.Random, people: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(max(3, int(rng.lognormvariate(2.5, 0.8))))]
    roll = rng.random()
    if roll < 0.01:
        words.insert(0, f"<@{rng.choice(people)}>")
    elif roll < 0.04:
        words.append(f"<https://status.example.com/incidents/{rng.randrange(10_000)}|status>")
    elif roll < 0.042:
        words.append("card 4111 1111 1111 1111")
    return " ".join(words)


def serve_sandbox(args: argparse.Namespace) -> None:
    """(child) Seed the channel, print how to reach it, then answer `calls` on stdin until `quit`."""
    from bot.sandbox import Sandbox, SandboxConfig

    rng = random.Random(args.seed)
    sb = Sandbox(SandboxConfig()).start()
    people = [sb.add_user(f"person{n}", real_name=f"Person {n}") for n in range(PEOPLE)]
    channel = sb.add_channel("esc-bench", members=people)
    replies_total = int(args.messages * REPLY_SHARE)
    top_level = args.messages - replies_total
    counts = reply_counts(args.threads, replies_total, rng)
    parents = set(rng.sample(range(top_level), k=args.threads))
    pending: dict[int, list[str]] = {}  # position → parents whose next reply comes then
    thread_of: dict[int, int] = {}
    next_thread = 0
    for position in range(top_level):
        author = sb.bot_user_id if rng.random() < 0.02 else rng.choice(people)
        ts = sb.add_message(channel, author, message_text(rng, people))
        if position in parents:
            thread_of[position] = counts[next_thread]
            for _ in range(counts[next_thread]):  # replies trickle in over the next messages
                pending.setdefault(position + 1 + int(rng.expovariate(1 / 20)), []).append(ts)
            next_thread += 1
        for parent in pending.pop(position, []):
            sb.add_message(channel, rng.choice(people), message_text(rng, people), thread_ts=parent)
    for position in sorted(pending):
        for parent in pending[position]:
            sb.add_message(channel, rng.choice(people), message_text(rng, people), thread_ts=parent)
    ordered = sorted(counts)
    print(
        json.dumps(
            {
                "api_url": sb.api_url,
                "token": sb.bot_token,
                "channel": channel,
                "top_level": top_level,
                "replies": replies_total,
                "threads": args.threads,
                "reply_counts": counts,
                "median_replies": ordered[len(ordered) // 2],
                "max_replies": ordered[-1],
                "people": PEOPLE,
            }
        ),
        flush=True,
    )
    for line in sys.stdin:
        if line.strip() == "calls":
            tally: Counter[str] = Counter(f"{c['method']} {c['status']}" for c in sb.calls())
            print(json.dumps(dict(tally)), flush=True)
        elif line.strip() == "quit":
            break
    sb.stop()


@dataclass
class SandboxProcess:
    process: asyncio.subprocess.Process
    info: dict[str, Any]

    @classmethod
    async def start(cls, messages: int, threads: int, seed: int) -> SandboxProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.transcript",
            "sandbox",
            "--messages",
            str(messages),
            "--threads",
            str(threads),
            "--seed",
            str(seed),
            cwd=REPO,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        line = await process.stdout.readline()
        return cls(process, json.loads(line))

    async def calls(self) -> Counter[str]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(b"calls\n")
        await self.process.stdin.drain()
        return Counter(json.loads(await self.process.stdout.readline()))

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"quit\n")
        await self.process.stdin.drain()
        await self.process.wait()


# -- the measuring process ---------------------------------------------------------------------------------


async def fresh_database(kind: str, workdir: Path) -> tuple[str, str | None]:
    """A migrated, empty database: (url, Postgres database name to drop or None)."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.db'}"
        name = None
    else:
        name = f"swarmbot_bench_transcript_{uuid.uuid4().hex[:8]}"
        await admin(f'CREATE DATABASE "{name}"')
        url = database_url(name)
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return url, name


async def add_swarm(sessions: SessionFactory) -> int:
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        ticket = Ticket(ticket_id=f"ZD-{uuid.uuid4().int % 100_000}", created_at=now)
        session.add(ticket)
        await session.flush()
        swarm = Swarm(
            ticket_pk=ticket.id,
            status="resolved",
            severity="sev2",
            requested_by="U0BENCH",
            commander="U0BENCH",
            opened_at=now,
            channel_name="esc-bench",
        )
        session.add(swarm)
        await session.flush()
        return swarm.id


def rss_kib(field: str) -> int:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: resets VmHWM to the current RSS
        return True
    except OSError:
        return False


class TimedGateway(SlackGateway):
    """The real gateway, timing how long the archive waits on Slack (the sandbox) for each read."""

    waited = 0.0

    async def history_page(self, channel: str, cursor: str | None, limit: int) -> Any:
        started = time.perf_counter()
        try:
            return await super().history_page(channel, cursor, limit)
        finally:
            self.waited += time.perf_counter() - started

    async def replies_page(
        self, channel: str, thread_ts: str, cursor: str | None, limit: int, *, oldest: str | None = None
    ) -> Any:
        started = time.perf_counter()
        try:
            return await super().replies_page(channel, thread_ts, cursor, limit, oldest=oldest)
        finally:
            self.waited += time.perf_counter() - started

    async def user_profile(self, user: str) -> Any:
        started = time.perf_counter()
        try:
            return await super().user_profile(user)
        finally:
            self.waited += time.perf_counter() - started


class TimedArchive(TranscriptArchive):
    """The real archive, timing its rendering step."""

    rendering = 0.0

    async def _render(self, swarm_id: int, channel_id: str) -> None:
        started = time.perf_counter()
        try:
            await super()._render(swarm_id, channel_id)
        finally:
            self.rendering += time.perf_counter() - started


@dataclass
class Phases:
    """Seconds of one collect: waiting on Slack, rendering, and the rest (rows, redaction, storage)."""

    total: float
    slack: float
    rendering: float

    @property
    def storing(self) -> float:
        return self.total - self.slack - self.rendering


@dataclass
class Run:
    database: str
    messages: int
    threads: int
    summary: TranscriptSummary
    seconds: Phases
    rss_before_mib: float
    rss_peak_mib: float
    traced_peak_mib: float
    calls: dict[str, int]
    minimum: dict[str, int]
    median_replies: int
    max_replies: int


async def collect_once(
    sandbox: SandboxProcess, kind: str, workdir: Path, page: int, *, traced: bool
) -> tuple[TranscriptSummary, Phases, float, float, float]:
    url, name = await fresh_database(kind, workdir)
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        swarm_id = await add_swarm(sessions)
        info = sandbox.info
        gateway = TimedGateway(build_client(token=info["token"], base_url=info["api_url"]))
        archive = TimedArchive(
            sessions=sessions,
            gateway=gateway,
            clock=SystemClock(),
            redactor=Redactor(emails=True, phones=True),
            page_size=page,
        )
        gc.collect()
        before = rss_kib("VmRSS")
        reset_peak_rss()
        if traced:
            tracemalloc.start()
        started = time.perf_counter()
        summary = await archive.collect(swarm_id, info["channel"])
        seconds = Phases(time.perf_counter() - started, gateway.waited, archive.rendering)
        traced_peak = tracemalloc.get_traced_memory()[1] if traced else 0
        if traced:
            tracemalloc.stop()
        peak = rss_kib("VmHWM")
    finally:
        await engine.dispose()
        if name:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return summary, seconds, before / 1024, peak / 1024, traced_peak / 2**20


async def measure(messages: int, threads: int, page: int, databases: list[str], seed: int) -> list[Run]:
    sandbox = await SandboxProcess.start(messages, threads, seed)
    runs: list[Run] = []
    try:
        info = sandbox.info
        minimum = {
            "conversations.history": math.ceil(info["top_level"] / page),
            "conversations.replies": sum(max(1, math.ceil(n / page)) for n in info["reply_counts"]),
            "users.info": info["people"],
        }
        with tempfile.TemporaryDirectory() as workdir:
            for kind in databases:
                before = await sandbox.calls()
                summary, seconds, rss_before, rss_peak, _ = await collect_once(
                    sandbox, kind, Path(workdir), page, traced=False
                )
                after = await sandbox.calls()
                made = {
                    method: sum(n for key, n in (after - before).items() if key.startswith(method + " "))
                    for method in minimum
                }
                _, _, _, _, traced_peak = await collect_once(sandbox, kind, Path(workdir), page, traced=True)
                runs.append(
                    Run(
                        database=kind,
                        messages=messages,
                        threads=threads,
                        summary=summary,
                        seconds=seconds,
                        rss_before_mib=rss_before,
                        rss_peak_mib=rss_peak,
                        traced_peak_mib=traced_peak,
                        calls=made,
                        minimum=minimum,
                        median_replies=info["median_replies"],
                        max_replies=info["max_replies"],
                    )
                )
                print(runs[-1], flush=True)
    finally:
        await sandbox.stop()
    return runs


def table(runs: list[Run], page: int) -> str:
    lines = [
        "| database | messages | threads | history calls (min) | replies calls (min) | users.info (min) "
        "| seconds: total (Slack / storing / rendering) | msgs/s | peak traced | RSS before → peak |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        calls, least = run.calls, run.minimum
        lines.append(
            f"| {run.database} | {run.summary.message_count:,} | {run.threads:,} "
            f"| {calls['conversations.history']:,} ({least['conversations.history']:,}) "
            f"| {calls['conversations.replies']:,} ({least['conversations.replies']:,}) "
            f"| {calls['users.info']:,} ({least['users.info']:,}) "
            f"| {run.seconds.total:,.1f} ({run.seconds.slack:,.1f} / {run.seconds.storing:,.1f} / "
            f"{run.seconds.rendering:,.1f}) | {run.summary.message_count / run.seconds.total:,.0f} "
            f"| {run.traced_peak_mib:,.1f} MiB | {run.rss_before_mib:,.0f} → {run.rss_peak_mib:,.0f} MiB |"
        )
    first = runs[-1]
    lines.append("")
    lines.append(
        f"Page size {page} (history and replies). Threads: median {first.median_replies} replies, "
        f"longest {first.max_replies}. Renderings: {first.summary.markdown_parts} Markdown and "
        f"{first.summary.html_parts} HTML parts; {first.summary.redactions} redactions."
    )
    lines.append(
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.platform()}; "
        f"the sandbox runs in a second process on the same machine. One run, {datetime.now(UTC):%Y-%m-%d}."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.transcript", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    child = commands.add_parser("sandbox", help="(internal) the seeded Slack sandbox")
    for target in (parser, child):
        target.add_argument("--messages", type=int, default=50_000)
        target.add_argument("--threads", type=int, default=5_000)
        target.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--small", action="store_true", help="also run at a tenth of the size")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if args.command == "sandbox":
        serve_sandbox(args)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    sizes = [(args.messages // 10, args.threads // 10)] if args.small else []
    sizes.append((args.messages, args.threads))
    runs: list[Run] = []
    for messages, threads in sizes:
        runs.extend(asyncio.run(measure(messages, threads, args.page, databases, args.seed)))
    publish("transcript", table(runs, args.page), write=not args.no_write, heading="Transcript archive")


if __name__ == "__main__":
    main()
