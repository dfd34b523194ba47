"""Burst: 100 escalations for distinct tickets at once, with Slack's tier limits enforced by the sandbox.

    python -m bench.burst [--escalations 100] [--scale 1] [--latency 0.1] [--no-write]

The real app runs in this process behind its real HTTP server (bot.server.serving) on Postgres and Redis,
in the demo world plus 200 synthetic experts who are always on shift (100 #sre, 50 #networking, 50
#postgres, each in at most three swarms), so every swarm gets its four experts. The sandbox enforces
Slack's per-method tiers (Tier 2 for conversations.create, setTopic, setPurpose and pins.add: 20 a
minute; Tier 3 for conversations.invite and conversations.open: 50; chat.postMessage about one a second
per channel, bursts of three) times `--scale`, and adds `--latency` to every call; the bot paces itself to
the same budgets (SWARMBOT_SLACK_PACING=`--scale`). Every `/escalate … outage #postgres …` is sent at
once; the run ends when every requester has been answered.

- zero failures: every requester told "Opened …", every swarm `open` with `ready_at` in storage;
- time: from sending the commands to the last call of the last swarm;
- rate-limit bound: for each budget, its burst goes at once and every further call one interval later
  (after the calls that must precede its first, at `--latency` each); the most binding budget bounds
  the run. Also: the same calls scheduled as early as their dependencies (bench/critical_path.py) and
  every budget allow, in the order they were made.

At `--scale 1` (Slack's own budgets) the run takes about ten minutes. A larger scale is faster but not
the same experiment: bursts grow with the scale, so fewer budgets bind. Results go to the "Burst"
section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bench.critical_path import BucketBound, Call, bot_calls, bucket_bounds, paced_schedule
from bench.report import machine_line, publish, ratio, seconds
from bench.world import (
    cancel_leftovers,
    fresh_redis,
    run_id,
    scratch_database,
    seed_world,
    settings_for,
    until,
)
from bot.clock import FrozenClock
from bot.sandbox import Driver, FaultConfig, RateLimitConfig, Sandbox, SandboxConfig
from bot.sandbox.cast import DEMO_TIME
from bot.server import serving
from bot.slack.budgets import budget_for
from storage.db import create_engine, session_factory
from storage.models import Swarm

TARGET = 1.1
EXPERTS = {"sre": 100, "networking": 50, "postgres": 50}


@dataclass
class Outcome:
    """One burst."""

    escalations: int
    seconds: float  # from sending to the last call of the last swarm
    told: float  # from sending to the last requester's answer
    opened: int  # requesters told "Opened …"
    ready: int  # swarms open with ready_at in storage
    limited: Counter[str]  # 429 answers to the bot, by method (slack-sdk retried each)
    calls: list[Call]
    everything: list[Call]  # with the App Home refreshes the swarms caused
    bounds: list[BucketBound]
    schedule: float
    latency: float
    scale: float

    @property
    def bound(self) -> float:
        return self.bounds[0].seconds(self.latency)

    @property
    def failures(self) -> int:
        return self.escalations - min(self.opened, self.ready)


async def run_benchmark(args: argparse.Namespace) -> Outcome:
    run = run_id()
    clock = FrozenClock(datetime.fromisoformat(DEMO_TIME))
    limits = RateLimitConfig(enabled=True, scale=args.scale)
    config = SandboxConfig(rate_limits=limits, faults=FaultConfig(latency=args.latency))
    async with scratch_database("burst") as database_url:
        with Sandbox(config) as sb:
            cast = await seed_world(sb, database_url, clock, extra_experts=EXPERTS)
            settings = settings_for(
                sb, database_url=database_url, redis_url=await fresh_redis(), pacing=f"{args.scale:g}"
            )
            async with serving(settings, clock=clock) as url:
                sb.request_url = url
                driver = Driver(sb, timeout=30)
                users = [cast.people[name] for name in ("alice", "bob", "carol", "dave")]
                texts = [
                    f"BURST-{run}-{n} sev2 outage #postgres customer:Customer-{n} Checkout fails for everyone"
                    for n in range(args.escalations)
                ]
                sent = time.time()
                answers = await asyncio.gather(
                    *(
                        driver.slash_command(
                            "/escalate",
                            text,
                            user_id=users[n % len(users)],
                            channel_id=cast.support_channel,
                        )
                        for n, text in enumerate(texts)
                    )
                )
                if not all(answer.ok for answer in answers):
                    raise RuntimeError("the app did not ack every command")
                print(f"{args.escalations} commands acked in {time.time() - sent:.2f} s", flush=True)

                def answered() -> int:
                    return sum(1 for r in sb.responses() if r["source"] == "slash_command")

                last_report = time.monotonic()

                def progress() -> bool:
                    nonlocal last_report
                    count = answered()
                    if time.monotonic() - last_report > 30:
                        last_report = time.monotonic()
                        print(f"  {time.time() - sent:5.0f} s: {count} swarms complete", flush=True)
                    return bool(count >= args.escalations)

                await until(progress, timeout=args.timeout, what="every swarm", every=0.2)
                responses = [r for r in sb.responses() if r["source"] == "slash_command"]
                told_at = max(r["at"] for r in responses)
                opened = sum(1 for r in responses if "Opened <#" in (r["payload"].get("text") or ""))
                log = sb.calls()
            await cancel_leftovers()
        calls = bot_calls(log, since=sent, until=told_at)
        everything = bot_calls(log, since=sent, until=told_at, after_effects=True)
        limited = Counter(
            c["method"]
            for c in log
            if c["token_kind"] == "bot" and c["status"] == 429 and sent <= c["at"] <= told_at
        )
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                ready = await session.scalar(
                    select(func.count()).where(Swarm.status == "open", Swarm.ready_at.is_not(None))
                )
        finally:
            await engine.dispose()
    schedule = paced_schedule(calls, start=sent, latency=args.latency, scale=args.scale).makespan
    return Outcome(
        escalations=args.escalations,
        seconds=max(c.end for c in calls) - sent,
        told=told_at - sent,
        opened=opened,
        ready=int(ready or 0),
        limited=limited,
        calls=calls,
        everything=everything,
        bounds=bucket_bounds(calls, scale=args.scale),
        schedule=schedule,
        latency=args.latency,
        scale=args.scale,
    )


def method_table(outcome: Outcome) -> list[str]:
    counts = Counter(call.method for call in outcome.everything)
    by_method: dict[str, list[BucketBound]] = {}
    for bound in bucket_bounds(outcome.everything, scale=outcome.scale):
        by_method.setdefault(bound.key.split(":", 1)[0], []).append(bound)
    lines = [
        "| method | calls | budget (before scale) | least time for its calls |",
        "|---|---:|---|---:|",
    ]
    for method, count in counts.most_common():
        budget = budget_for(method)
        per = " per channel" if budget.per_channel else ""
        burst = f", bursts of {budget.burst:g}" if budget.burst is not None else ""
        least = max(b.seconds(outcome.latency) for b in by_method[method])
        lines.append(f"| {method} | {count:,} | {budget.per_minute:g}/min{per}{burst} | {seconds(least)} |")
    return lines


def report(outcome: Outcome, args: argparse.Namespace) -> str:
    binding = outcome.bounds[0]
    achieved = outcome.seconds / outcome.bound
    verdict = "met" if achieved <= TARGET and outcome.failures == 0 else "missed"
    lines = [
        "| escalations | failures | 429s | complete | rate-limit bound | ratio | schedule bound | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {outcome.escalations} | {outcome.failures} | {outcome.limited.total()} "
        f"| {seconds(outcome.seconds)} | {seconds(outcome.bound)} | {ratio(achieved)} "
        f"| {seconds(outcome.schedule)} "
        f"| {ratio(outcome.seconds / outcome.schedule)} |",
        "",
        f"**Ratio {ratio(achieved)}** against the rate-limit bound (target ≤ {TARGET}×, zero failures: "
        f"{verdict}). The binding budget is `{binding.key}`: {binding.calls} calls, {binding.burst} at once, "
        f"then one every {binding.interval:g} s. {outcome.opened} of {outcome.escalations} requesters were "
        f"told “Opened …”, {outcome.ready} swarms are open and ready in storage; the last requester was "
        f"answered after {seconds(outcome.told)}."
        + (
            " Answered 429 (and retried after Retry-After): "
            + ", ".join(f"{method} {n}" for method, n in outcome.limited.most_common())
            + "."
            if outcome.limited
            else ""
        ),
        "",
        *method_table(outcome),
        "",
        machine_line(
            extra=f"Slack's tiers × {outcome.scale:g}, {outcome.latency * 1000:.0f} ms added to every call; "
            "app, sandbox and driver in one process, Postgres and Redis alongside"
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__.split("\n")[0])
    parser.add_argument("--escalations", type=int, default=100)
    parser.add_argument("--scale", type=float, default=1.0, help="times Slack's budgets (sandbox and bot)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every Web API call")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    started = time.monotonic()
    outcome = asyncio.run(run_benchmark(args))
    publish("burst", report(outcome, args), write=not args.no_write, started=started)


if __name__ == "__main__":
    main()
