"""Ack latency: signed slash commands, reactions and button clicks against `swarmbot serve` and the floor.

    python -m bench.ack_latency [--requests 1000] [--concurrency 50] [--rounds 3] [--rate 300] [--no-write]

Three processes on one machine: this driver (which also runs the Slack sandbox, in a thread), the server
under test (`swarmbot serve` on Postgres and Redis, or `python -m bench.floor_app`: Bolt on the same
Starlette + uvicorn stack, listeners that only ack), and a load generator (`python -m bench.ack_latency
load`: one aiohttp session, `--concurrency` requests in flight, each signed with the v0 HMAC scheme just
before it is sent). Latency is the load generator's wall time from sending a request to reading the
whole answer; signing is outside it.

Before the load, ten outage swarms are opened through swarmbot (so reactions land on real task messages
and clicks on real invitations) and the bot is left to finish them. Each round then sends, in a shuffled
order, a third each of `/escalate` for a new ticket (the app acks, then plans and opens a whole swarm),
:raising_hand: / :white_check_mark: reactions on those tasks, and Accept / Decline clicks on those
invitations; 50 warm-up requests first, not counted. The floor gets requests of the same shapes. All floor
rounds run first, then the swarmbot rounds, each against a fresh `swarmbot serve` (same database and
workspace), so swarmbot's work after its acks never slows the floor nor a later round. Two more kinds of
round isolate what the ratio is made of: reactions swarmbot acks and ignores (its ack path alone), and
both servers at a fixed `--rate` (an open loop, as Slack sends). Slack's tier limits are enforced by the
sandbox and the bot paces itself to them (SWARMBOT_SLACK_PACING on, its default), as against Slack.
Results go to the "Ack latency" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import select

from bench.report import machine_line, ms, percentile, publish, ratio
from bench.world import (
    environment,
    fresh_redis,
    quiet,
    run_id,
    scratch_database,
    seed_world,
    settings_for,
    until,
)
from bot.clock import SystemClock
from bot.sandbox import Driver, RateLimitConfig, Sandbox, SandboxConfig
from bot.sandbox import payloads as sandbox_payloads
from bot.sandbox.cast import Cast
from bot.sandbox.signing import signed_headers
from storage.db import create_engine, session_factory
from storage.models import Invitation, Swarm, Task

REPO = Path(__file__).parents[1]
KINDS = ("command", "reaction", "click")
FORM = "application/x-www-form-urlencoded"
SETUP_SWARMS = 10
WARMUP = 50
TARGET = 1.5  # p99 at most 1.5 times the floor's
FLOOR, ACK_PATH, SWARMBOT = "floor", "swarmbot ack path", "swarmbot"
FLOOR_OPEN, SWARMBOT_OPEN = "floor open loop", "swarmbot open loop"
OPEN = (FLOOR_OPEN, SWARMBOT_OPEN)
EXPERTS = {"sre": 40, "networking": 20, "postgres": 20}


# -- the load generator (its own process) --------------------------------------------------------------


async def generate_load(
    url: str, secret: str, requests: list[dict[str, str]], concurrency: int, rate: float = 0.0
) -> list[tuple[str, float, int, float]]:
    """Send every request; (kind, seconds, status, when sent) for each.

    Closed loop (`rate` 0): `concurrency` requests in flight, each followed at once by the next. Open
    loop: one request every 1/`rate` seconds whatever the answers do, as Slack sends.
    """
    results: list[tuple[str, float, int, float]] = []
    origin = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency if not rate else 0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def send(request: dict[str, str]) -> None:
            body = request["body"].encode()
            headers = signed_headers(
                secret, body, timestamp=int(time.time()), content_type=request["content_type"]
            )
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            ended = time.perf_counter()
            results.append((request["kind"], ended - started, status, started - origin))

        if rate:
            sent: list[asyncio.Task[None]] = []
            for n, request in enumerate(requests):
                await asyncio.sleep(max(0.0, origin + n / rate - time.perf_counter()))
                sent.append(asyncio.create_task(send(request)))
            await asyncio.gather(*sent)
            return results
        pending = iter(requests)

        async def worker() -> None:
            for request in pending:
                await send(request)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load_process(args: argparse.Namespace) -> None:
    """`load`: warm up, then the measured requests; write the results and the server's CPU time."""
    batch = json.loads(Path(args.requests).read_text())
    secret = os.environ["SLACK_SIGNING_SECRET"]
    asyncio.run(generate_load(args.url, secret, batch["warmup"], min(10, args.concurrency)))
    cpu = cpu_seconds(args.server_pid)
    started = time.perf_counter()
    results = asyncio.run(generate_load(args.url, secret, batch["measured"], args.concurrency, args.rate))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(args.server_pid) - cpu
    Path(args.out).write_text(json.dumps({"results": results, "seconds": elapsed, "server_cpu": cpu}))


# -- requests of the three kinds ---------------------------------------------------------------------


@dataclass
class Targets:
    """What the requests point at: people, task messages and invitations of the setup swarms."""

    cast: Cast
    people: list[str]
    tasks: list[tuple[str, str]]  # (channel, ts)
    invitations: list[tuple[int, str, str, str]]  # (id, expert, dm channel, dm ts)


class RequestFactory:
    """Builds Slack's request bodies from the sandbox's state (response URLs and triggers registered)."""

    def __init__(self, sb: Sandbox, targets: Targets, *, run: str, seed: int) -> None:
        self.sb = sb
        self.targets = targets
        self.run = run
        self.rng = random.Random(seed)
        self.tickets = 0

    def command(self) -> dict[str, str]:
        sb, cast = self.sb, self.targets.cast
        user = self.rng.choice([cast.people[name] for name in ("alice", "bob", "carol", "dave")])
        self.tickets += 1
        text = f"ACK-{self.run}-{self.tickets} sev2 outage #postgres customer:Acme Checkout fails"
        ws = sb.ws
        form = {
            "token": sandbox_payloads.VERIFICATION_TOKEN,
            "team_id": ws.team_id,
            "team_domain": ws.team_domain,
            "channel_id": cast.support_channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": ws.users[user].name,
            "command": "/escalate",
            "text": text,
            "api_app_id": ws.app_id,
            "is_enterprise_install": "false",
            "response_url": sb.register_response_url(
                user=user, channel=cast.support_channel, source="slash_command"
            ),
            "trigger_id": sb.register_trigger(user),
        }
        return {"kind": "command", "body": urlencode(form), "content_type": FORM}

    def reaction(self) -> dict[str, str]:
        sb = self.sb
        channel, ts = self.rng.choice(self.targets.tasks)
        event = {
            "type": "reaction_added",
            "user": self.rng.choice(self.targets.people),
            "reaction": self.rng.choice(("raising_hand", "raising_hand", "white_check_mark")),
            "item": {"type": "message", "channel": channel, "ts": ts},
            "item_user": sb.bot_user_id,
        }
        with sb.ws.lock:
            envelope = sb.bus.envelope({**event, "event_ts": sb.svc.ts.next()})
        return {"kind": "reaction", "body": json.dumps(envelope), "content_type": "application/json"}

    def click(self) -> dict[str, str]:
        sb = self.sb
        invitation, expert, channel, ts = self.rng.choice(self.targets.invitations)
        action = self.rng.choice(("invitation_accept", "invitation_accept", "invitation_decline"))
        trigger = sb.register_trigger(expert)
        with sb.ws.lock:
            payload = sandbox_payloads.block_actions(
                sb.ws,
                user_id=expert,
                trigger_id=trigger,
                action_ts=sb.svc.ts.next(),
                action_id=action,
                value=str(invitation),
                block_id=None,
                channel_id=channel,
                message_ts=ts,
                view_id=None,
                action_type="button",
                action=None,
            )
        payload["response_url"] = sb.register_response_url(
            user=expert, channel=channel, source="block_actions", message_ts=ts
        )
        body = urlencode({"payload": json.dumps(payload)})
        return {"kind": "click", "body": body, "content_type": FORM}

    def ignored(self) -> dict[str, str]:
        """A reaction swarmbot acks and then ignores (not a claim or done emoji): its ack path alone."""
        request = self.reaction()
        envelope = json.loads(request["body"])
        envelope["event"]["reaction"] = "eyes"
        return {"kind": "ignored", "body": json.dumps(envelope), "content_type": "application/json"}

    def batch(self, count: int, *, ignored: bool = False) -> list[dict[str, str]]:
        if ignored:
            return [self.ignored() for _ in range(count)]
        kinds = [KINDS[n % len(KINDS)] for n in range(count)]
        self.rng.shuffle(kinds)
        return [getattr(self, kind)() for kind in kinds]


# -- the servers ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server_process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        # In a folder of its own (no stray .env), with this checkout importable (bench.floor_app).
        env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
        process = subprocess.Popen(command, env=env, cwd=log.parent, stdout=output, stderr=output)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def tail(log: Path) -> str:
    return log.read_text()[-2000:]


async def wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {tail(log)}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the server never became healthy: {tail(log)}")


def swarmbot_command(port: int) -> list[str]:
    script = Path(sys.executable).parent / "swarmbot"
    entry = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    return [*entry, "serve", "--port", str(port), "--without-worker"]


def floor_command(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.floor_app", "--port", str(port)]


# -- the driver ----------------------------------------------------------------------------------------


async def open_setup_swarms(sb: Sandbox, cast: Cast, run: str) -> None:
    driver = Driver(sb, timeout=30)
    alice = cast.people["alice"]
    before = len(sb.responses(user=alice))
    await asyncio.gather(
        *(
            driver.slash_command(
                "/escalate",
                f"SETUP-{run}-{n} sev2 outage #postgres customer:Acme Checkout fails",
                user_id=alice,
                channel_id=cast.support_channel,
            )
            for n in range(SETUP_SWARMS)
        )
    )
    await until(
        lambda: len(sb.responses(user=alice)) >= before + SETUP_SWARMS, timeout=300, what="setup swarms"
    )
    await quiet(sb, for_seconds=2.0)


async def find_targets(sb: Sandbox, cast: Cast, database_url: str) -> Targets:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            tasks = (
                await session.execute(
                    select(Swarm.channel_id, Task.message_ts)
                    .join(Swarm, Swarm.id == Task.swarm_id)
                    .where(Task.message_ts.is_not(None))
                )
            ).all()
            invitations = (
                await session.execute(
                    select(Invitation.id, Invitation.user_id, Invitation.dm_channel, Invitation.dm_ts).where(
                        Invitation.dm_ts.is_not(None)
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    if not tasks or not invitations:
        raise RuntimeError("the setup swarms have no task messages or no invitations")
    experts = sorted({str(row[1]) for row in invitations})
    return Targets(
        cast=cast,
        people=[*cast.people.values(), *experts],
        tasks=[(str(c), str(ts)) for c, ts in tasks],
        invitations=[(int(i), str(u), str(c), str(ts)) for i, u, c, ts in invitations],
    )


@dataclass
class Round:
    """One target's measured requests in one round."""

    target: str
    results: list[tuple[str, float, int]]
    seconds: float
    server_cpu: float  # CPU seconds the server process used while the measured requests ran

    def latencies(self, kind: str | None = None) -> list[float]:
        return [latency for k, latency, _ in self.results if kind is None or k == kind]

    @property
    def failures(self) -> int:
        return sum(1 for _, _, status in self.results if status != 200)


async def run_round(
    target: str,
    server: tuple[str, int],
    factory: RequestFactory,
    args: argparse.Namespace,
    folder: Path,
    n: int,
) -> Round:
    url, pid = server
    ignored = target == ACK_PATH
    rate = args.rate if target in OPEN else 0.0
    batch = {
        "warmup": factory.batch(WARMUP, ignored=ignored),
        "measured": factory.batch(args.requests, ignored=ignored),
    }
    requests = folder / f"{target.replace(' ', '-')}-{n}.json"
    out = folder / f"{target.replace(' ', '-')}-{n}-out.json"
    requests.write_text(json.dumps(batch))
    command = [sys.executable, "-m", "bench.ack_latency", "load", "--url", url]
    command += ["--requests", str(requests), "--out", str(out), "--concurrency", str(args.concurrency)]
    command += ["--server-pid", str(pid), "--rate", str(rate)]
    process = await asyncio.create_subprocess_exec(
        *command, cwd=REPO, env={**os.environ, "SLACK_SIGNING_SECRET": factory.sb.signing_secret}
    )
    if await process.wait() != 0:
        raise RuntimeError(f"the load generator failed for {target}")
    data = json.loads(out.read_text())
    results = [(str(k), float(s), int(c)) for k, s, c, _ in data["results"]]
    return Round(target, results, float(data["seconds"]), float(data["server_cpu"]))


@asynccontextmanager
async def running(
    target: str, command: list[str], env: dict[str, str], port: int, folder: Path
) -> AsyncIterator[tuple[str, int]]:
    log = folder / f"{target}.log"
    with server_process(command, env, log) as process:
        await wait_healthy(port, process, log)
        yield f"http://127.0.0.1:{port}/slack/events", process.pid


async def run_benchmark(args: argparse.Namespace) -> list[Round]:
    run = run_id()
    folder = Path(tempfile.mkdtemp(prefix="swarmbot-ack-"))
    limits = RateLimitConfig(enabled=True)
    async with scratch_database("ack") as database_url:
        with Sandbox(SandboxConfig(rate_limits=limits)) as sb:
            cast = await seed_world(sb, database_url, SystemClock(), extra_experts=EXPERTS)
            env = environment(settings_for(sb, database_url=database_url, redis_url=await fresh_redis()))
            rounds: list[Round] = []
            setup_port = free_port()
            async with running(
                "swarmbot-setup", swarmbot_command(setup_port), env, setup_port, folder
            ) as bot:
                sb.request_url = bot[0]
                print("opening the setup swarms …", flush=True)
                await open_setup_swarms(sb, cast, run)
            targets = await find_targets(sb, cast, database_url)
            factory = RequestFactory(sb, targets, run=run, seed=args.seed)
            floor_port = free_port()
            async with running("floor", floor_command(floor_port), env, floor_port, folder) as floor:
                for target in (FLOOR, FLOOR_OPEN) if args.rate else (FLOOR,):
                    for n in range(args.rounds):
                        rounds.append(await run_round(target, floor, factory, args, folder, n))
                        print(summary_line(rounds[-1]), flush=True)
            # Every swarmbot round gets a fresh `swarmbot serve` (same database, same workspace), so none
            # inherits the swarms another round left being built at Slack's pace.
            for target in (ACK_PATH, SWARMBOT_OPEN, SWARMBOT) if args.rate else (ACK_PATH, SWARMBOT):
                for n in range(args.rounds):
                    port = free_port()
                    name = f"{target.replace(' ', '-')}-{n}"
                    async with running(name, swarmbot_command(port), env, port, folder) as bot:
                        sb.request_url = bot[0]
                        rounds.append(await run_round(target, bot, factory, args, folder, n))
                        print(summary_line(rounds[-1]), flush=True)
            print(f"logs in {folder}")
    return rounds


def summary_line(r: Round) -> str:
    values = r.latencies()
    return (
        f"{r.target:20} p50 {ms(percentile(values, 0.5))}  p99 {ms(percentile(values, 0.99))}  "
        f"max {ms(max(values))}  {len(values) / r.seconds:,.0f} req/s  "
        f"server CPU {ms(r.server_cpu / len(values))}/request  failures {r.failures}"
    )


def report(rounds: list[Round], args: argparse.Namespace) -> str:
    def chosen(target: str) -> list[Round]:
        return [r for r in rounds if r.target == target]

    def pooled(target: str, kind: str | None = None) -> list[float]:
        return [v for r in chosen(target) for v in r.latencies(kind)]

    lines = [
        "| server | requests | p50 | p99 | max | p99 / floor p99 (same load) | req/s "
        "| server CPU per request | non-200 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        FLOOR: "bare Bolt, acks only (floor)",
        ACK_PATH: "swarmbot, reactions it ignores (ack path alone)",
        SWARMBOT: "**swarmbot serve: commands, reactions, clicks**",
        FLOOR_OPEN: f"floor, open loop at {args.rate:g} requests/s",
        SWARMBOT_OPEN: f"swarmbot serve, open loop at {args.rate:g} requests/s",
    }
    for target, name in names.items():
        values, runs = pooled(target), chosen(target)
        if not runs:
            continue
        floor_p99 = percentile(pooled(FLOOR_OPEN if target in OPEN else FLOOR), 0.99)
        rate = sum(len(r.results) for r in runs) / sum(r.seconds for r in runs)
        cpu = sum(r.server_cpu for r in runs) / sum(len(r.results) for r in runs)
        lines.append(
            f"| {name} | {len(values):,} | {ms(percentile(values, 0.5))} | {ms(percentile(values, 0.99))} "
            f"| {ms(max(values))} | {ratio(percentile(values, 0.99) / floor_p99)} | {rate:,.0f} "
            f"| {ms(cpu)} | {sum(r.failures for r in runs)} |"
        )
    lines += [
        "",
        "| swarmbot serve, by request | p50 | p99 | max | floor p99, same requests |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in KINDS:
        values = pooled(SWARMBOT, kind)
        lines.append(
            f"| {kind} | {ms(percentile(values, 0.5))} | {ms(percentile(values, 0.99))} | {ms(max(values))} "
            f"| {ms(percentile(pooled(FLOOR, kind), 0.99))} |"
        )
    per_round = "; ".join(
        f"{target} " + ", ".join(ms(percentile(r.latencies(), 0.99)) for r in chosen(target))
        for target in names
        if chosen(target)
    )
    achieved = percentile(pooled(SWARMBOT), 0.99) / percentile(pooled(FLOOR), 0.99)
    verdict = "met" if achieved <= TARGET else "missed"
    lines += [
        "",
        f"**p99 ratio {ratio(achieved)}** (target ≤ {TARGET}×: {verdict}). p99 of each round: {per_round}.",
        "",
        machine_line(
            extra=f"{args.rounds} rounds × {args.requests:,} requests at concurrency {args.concurrency} per "
            "row; the driver with the sandbox, the server and the load generator are three processes, "
            "Postgres and Redis run alongside"
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ack_latency", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command")
    load = commands.add_parser("load", help="(internal) the load generator")
    load.add_argument("--url", required=True)
    load.add_argument("--requests", required=True)
    load.add_argument("--out", required=True)
    load.add_argument("--concurrency", type=int, default=50)
    load.add_argument("--server-pid", type=int, required=True)
    load.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--rate", type=float, default=300.0, help="requests a second of the open-loop rows (0: none)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    if args.command == "load":
        run_load_process(args)
        return
    started = time.monotonic()
    rounds = asyncio.run(run_benchmark(args))
    publish("ack_latency", report(rounds, args), write=not args.no_write, started=started)


if __name__ == "__main__":
    main()
