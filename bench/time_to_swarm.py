"""Time to swarm: from `/escalate` to a complete swarm, against the critical path of its Web API calls.

    python -m bench.time_to_swarm [--repeats 5] [--latency 0.1] [--no-write]

The real app runs in this process behind its real HTTP server (bot.server.serving, as the demo and the
end-to-end tests run it) on Postgres and Redis, with the demo world (bot/sandbox/cast.py) and its expert
directory, on the demo's clock (Monday 15:00 UTC, so the same experts are on shift every run). The
sandbox adds `--latency` seconds to every Web API call. Each repeat starts from an empty database and a
fresh sandbox, opens one warm-up swarm (not measured), then sends the demo's escalation
`/escalate ZD-… sev1 outage #postgres #billing customer:Acme …` and measures:

- complete: from sending the command to the answer of the swarm's last Web API call (channel, invites,
  topic, purpose, brief and its pin, experts note, open roles, tasks, checklist and its pin, the
  stakeholder broadcast, each expert's DM), i.e. the last call before the requester is answered (calls
  the new swarm causes afterwards, like App Home refreshes, are not part of it);
- critical path: the longest chain of calls that must wait for an earlier answer (bench/critical_path.py
  says which and why), at `--latency` a call.

Two scenarios: **as fast as the calls allow** (no rate limits, SWARMBOT_SLACK_PACING=off), against the
critical path; and **within Slack's limits** (the sandbox enforces Slack's tiers, the bot paces itself:
its default), against the same calls scheduled as early as both their dependencies and Slack's budgets
allow. Results go to the "Time to swarm" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from datetime import datetime

from bench.critical_path import Call, bot_calls, critical_path, fold, observed_chain, paced_schedule
from bench.report import machine_line, publish, ratio, seconds
from bench.world import (
    cancel_leftovers,
    fresh_redis,
    quiet,
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
from storage.db import empty_database

TARGET = 1.2
SUMMARY = "Customer cannot log in after the 14:00 deploy"


@dataclass
class Scenario:
    name: str
    limits: bool  # the sandbox enforces Slack's tiers and the bot paces itself


SCENARIOS = (Scenario("as fast as the calls allow", False), Scenario("within Slack's limits", True))


@dataclass
class Measurement:
    """One swarm."""

    complete: float  # seconds from sending /escalate to the last call's answer
    told: float  # … to the requester's answer (response_url)
    path: list[Call]
    chain: list[Call]  # what the app really ran one after another
    bound: float  # the critical path, or the paced schedule within Slack's limits
    calls: int
    latency: float

    @property
    def ratio(self) -> float:
        return self.complete / self.bound


async def measure_once(
    scenario: Scenario, database_url: str, args: argparse.Namespace, run: str, n: int
) -> Measurement:
    await empty_database(database_url)
    limits = RateLimitConfig(enabled=scenario.limits)
    config = SandboxConfig(rate_limits=limits, faults=FaultConfig(latency=args.latency))
    clock = FrozenClock(datetime.fromisoformat(DEMO_TIME))
    with Sandbox(config) as sb:
        cast = await seed_world(sb, database_url, clock)
        settings = settings_for(
            sb,
            database_url=database_url,
            redis_url=await fresh_redis(),
            pacing="on" if scenario.limits else "off",
        )
        async with serving(settings, clock=clock) as url:
            sb.request_url = url
            driver = Driver(sb, timeout=30)
            alice = cast.people["alice"]

            async def escalate(text: str) -> float:
                before = len(sb.responses(user=alice))
                sent = time.time()
                await driver.slash_command("/escalate", text, user_id=alice, channel_id=cast.support_channel)
                await until(lambda: len(sb.responses(user=alice)) > before, timeout=120, what=text)
                return sent

            await escalate(f"WARM-{run}-{n} sev3 #billing Warm-up: invoices look wrong")
            await quiet(sb, for_seconds=1.0)
            warm_up = bot_calls(sb.calls())
            sent = await escalate(f"ZD-{run}-{n} sev1 outage #postgres #billing customer:Acme {SUMMARY}")
            await quiet(sb, for_seconds=1.0)
            told_at = sb.responses(user=alice)[-1]["at"]
            # The requester is answered once the swarm is complete; later calls (App Home refreshes) are
            # what the swarm causes, not part of it.
            calls = bot_calls(sb.calls(), since=sent, until=told_at)
        await cancel_leftovers()
    path = critical_path(calls, latency=args.latency)
    if scenario.limits:
        bound = paced_schedule(calls, start=sent, latency=args.latency, before=warm_up).makespan
    else:
        bound = path.seconds
    complete = max(call.end for call in calls) - sent
    chain = observed_chain(calls, latency=args.latency, start=sent)
    return Measurement(complete, told_at - sent, path.calls, chain, bound, len(calls), args.latency)


async def run_benchmark(args: argparse.Namespace) -> dict[str, list[Measurement]]:
    run = run_id()
    results: dict[str, list[Measurement]] = {}
    async with scratch_database("swarm") as database_url:
        for scenario in SCENARIOS:
            results[scenario.name] = []
            for n in range(args.repeats):
                m = await measure_once(scenario, database_url, args, run, len(results) * 100 + n)
                results[scenario.name].append(m)
                print(
                    f"{scenario.name}: complete {seconds(m.complete)}, bound {seconds(m.bound)}, "
                    f"ratio {ratio(m.ratio)}, {m.calls} calls, requester told at {seconds(m.told)}",
                    flush=True,
                )
    return results


def report(results: dict[str, list[Measurement]], args: argparse.Namespace) -> str:
    lines = [
        "| scenario | calls | complete (median) | bound | ratio (median) | worst ratio | requester told |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, runs in results.items():
        median = statistics.median(m.complete for m in runs)
        bound = statistics.median(m.bound for m in runs)
        lines.append(
            f"| {name} | {runs[0].calls} | {seconds(median)} | {seconds(bound)} "
            f"| {ratio(statistics.median(m.ratio for m in runs))} | {ratio(max(m.ratio for m in runs))} "
            f"| {seconds(statistics.median(m.told for m in runs))} |"
        )
    fast = results[SCENARIOS[0].name]
    sample = sorted(fast, key=lambda m: m.complete)[len(fast) // 2]
    achieved = statistics.median(m.ratio for m in fast)
    verdict = "met" if achieved <= TARGET else "missed"
    extra = [call for call in sample.chain if call not in sample.path]
    overhead = (sample.complete - len(sample.chain) * sample.latency) / len(sample.chain)
    lines += [
        "",
        f"**Ratio {ratio(achieved)}** as fast as the calls allow (target ≤ {TARGET}×: {verdict}).",
        "",
        f"- Critical path, {len(sample.path)} calls × {sample.latency * 1000:.0f} ms = "
        f"{seconds(len(sample.path) * sample.latency)}: {fold(sample.path)}.",
        f"- What the app ran one after another (median swarm), {len(sample.chain)} calls: "
        f"{fold(sample.chain)}; {len(extra)} of them need not wait: {fold(extra) or 'none'}. "
        f"Between calls on it the app spends {overhead * 1000:.0f} ms a step on average (its own work: "
        "recording each answer, rendering the next message).",
        "",
        machine_line(
            extra=f"{args.repeats} swarms per scenario, {args.latency * 1000:.0f} ms added to every Web API "
            "call; app, sandbox and driver in one process, Postgres and Redis alongside"
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.time_to_swarm", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every Web API call")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    started = time.monotonic()
    results = asyncio.run(run_benchmark(args))
    publish("time_to_swarm", report(results, args), write=not args.no_write, started=started)


if __name__ == "__main__":
    main()
