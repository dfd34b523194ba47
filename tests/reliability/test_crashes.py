"""Crash suite: kill -9 the web process and the worker at seeded random points across 50 escalations.

Real `swarmbot serve` and `swarmbot worker` processes run on Postgres and Redis against the sandbox,
which lives in this test process so its state survives the bot's deaths and which retries event
deliveries as Slack does. Afterwards every swarm must be whole, every reminder posted once per due time,
no channel orphaned, no ticket swarmed twice: duplicates and data lost must both be zero.

    pytest -m slow tests/reliability/test_crashes.py -s     # SWARMBOT_CRASH_SEED=N for another run
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.clock import SystemClock
from bot.experts import ExpertDirectory
from bot.inbox import REPLAY_AFTER
from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.cast import Cast, seed_demo
from storage.db import SessionFactory, create_engine, empty_database, session_factory
from storage.models import (
    Job,
    Swarm,
)
from tests.e2e.processes import REPO
from tests.reliability.crash_checks import Findings, inspect
from tests.reliability.crash_harness import ActionLog, Bot, Kill, PlannedKill, plan_kills, run_kills
from tests.reliability.crash_script import Escalation, People, Tally, actions_in, write_script
from tests.reliability.observations import own_redis_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(900)]

SEED = int(os.environ.get("SWARMBOT_CRASH_SEED", "8"))
ESCALATIONS = 50
LANES = 3  # people working escalations side by side
WEB_KILLS = 4
WORKER_KILLS = 4
LEASE = 3.0  # seconds: a dead worker's jobs move on quickly
CATCH_UP = 90.0
REDIS_DATABASE = 12  # a database of its own: other suites flush theirs while this one runs
SIGNING_SECRET = "crash-signing-secret"
BOT_TOKEN = "xoxb-crash-bot-token"

# Short cadences so reminders and escalation levels fire many times while processes die.
PLAYBOOK = """\
name: default
title: Standard escalation (crash suite)
default: true
roles:
  - {key: commander, title: Escalation commander, fill: requester}
  - {key: liaison, title: Customer liaison, fill: claim}
tasks:
  - {title: Confirm the problem with the customer, role: commander}
  - {title: Look up the customer's previous tickets, role: liaison}
status_updates:
  every: {sev1: 6s, sev2: 6s, sev3: 8s, sev4: 8s}
  remind: commander
  missed_before_escalating: 3
escalation:
  - {after: 20s, notify: ["usergroup:support-leads"]}
"""
# Everyone on shift all day with room for every drill, so each escalation pulls someone in.
EXPERTS = (
    ("bob", "L3", "[postgres, sre]"),
    ("carol", "L2", "[billing, payments]"),
    ("erin", "L3", "[sre, networking]"),
    ("frank", "L2", "[postgres, identity]"),
    ("grace", "L2", "[sre, networking]"),
)


def experts_file(cast: Cast) -> str:
    """The directory `swarmbot experts import` would read for EXPERTS."""
    lines = ["experts:"]
    for name, tier, skills in EXPERTS:
        lines += [
            f"  - {{slack_id: {cast.people[name]}, name: {name.title()}, skills: {skills}, tier: {tier},",
            '     timezone: UTC, hours: "00:00-24:00", max_active_swarms: 100}',
        ]
    return "\n".join(lines) + "\n"


async def test_kill_9_of_web_and_worker_across_50_escalations_repeats_nothing_and_loses_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    await empty_database(postgres_url)
    redis_url = own_redis_url(REDIS_DATABASE)
    # Slack retries at once, after 1 and after 5 minutes; shorter here, but long enough to outlive a restart.
    config = SandboxConfig(
        signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, event_retry_schedule=(0.5, 1.0, 2.0, 4.0, 8.0)
    )
    engine = create_engine(postgres_url)
    sessions = session_factory(engine)
    with Sandbox(config) as sandbox:
        cast = seed_demo(sandbox)
        await ExpertDirectory(sessions=sessions, clock=SystemClock(), skill_groups={}).import_file(
            experts_file(cast)
        )
        playbooks = tmp_path / "playbooks"
        playbooks.mkdir()
        (playbooks / "default.yaml").write_text(PLAYBOOK)
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": sandbox.api_url,
            "DATABASE_URL": postgres_url,
            "REDIS_URL": redis_url,
            "SWARMBOT_PLAYBOOKS_DIR": str(playbooks),
            "SWARMBOT_ESCALATION_MANAGERS": "usergroup:support-managers",
            "SWARMBOT_ARCHIVE_AFTER": "3s",
            "SWARMBOT_SLACK_PACING": "off",
        }
        bot = Bot.create(env, tmp_path, lease=LEASE)
        sandbox.request_url = bot.events_url
        try:
            await bot.start_all()
            rng = random.Random(SEED)
            script = write_script(rng, ESCALATIONS)
            plan = plan_kills(rng, web=WEB_KILLS, worker=WORKER_KILLS, actions=actions_in(script))
            actions = ActionLog()
            people = People(sandbox, cast, sessions, actions, bot.events_url)
            kills, script_seconds = await run_script(bot, people, script, plan, actions, sessions)
            # The reconciler's own pass comes every 5 minutes: run it now (as `swarmbot doctor`), then let
            # the worker run whatever was due, including archives the doctor scheduled.
            killing_stopped = SystemClock().now()
            # An event acked by a web process killed before its work was done is replayed once it has been
            # left undone for longer than any work takes.
            await asyncio.sleep(REPLAY_AFTER.total_seconds() + 1)
            doctor = await asyncio.to_thread(run_doctor, env)
            catch_up_seconds, behind = await catch_up(sessions, since=killing_stopped)
        finally:
            bot.stop_all()
        findings = await inspect(sandbox, sessions, script, people.tally)
        findings.lost += [f"after catching up: {item}" for item in behind]
    await engine.dispose()
    figures = report(
        script=script,
        tally=people.tally,
        kills=kills,
        findings=findings,
        script_seconds=script_seconds,
        catch_up_seconds=catch_up_seconds,
        doctor=doctor,
        runtime=time.monotonic() - started,
        path=Path(os.environ.get("SWARMBOT_CRASH_FIGURES") or tmp_path / "crashes.json"),
    )
    assert len(kills) == WEB_KILLS + WORKER_KILLS, "every planned kill happened"
    assert not findings.duplicates, "\n".join(findings.duplicates)
    assert not findings.lost, "\n".join(findings.lost)
    assert not findings.incomplete, "\n".join(findings.incomplete)
    assert not findings.orphans, "\n".join(findings.orphans)
    assert figures["reminders_fired"] > 0


async def run_script(
    bot: Bot,
    people: People,
    script: list[Escalation],
    plan: list[PlannedKill],
    actions: ActionLog,
    sessions: SessionFactory,
) -> tuple[list[Kill], float]:
    """The people work the script in lanes while the kill plan runs beside them."""
    finished = asyncio.Event()

    async def jobs_running() -> int:
        async with sessions() as session:
            return int(await session.scalar(select(func.count()).where(Job.state == "running")) or 0)

    async def lane(escalations: list[Escalation]) -> None:
        for escalation in escalations:
            await people.work(escalation, random.Random(SEED * 1000 + escalation.number))

    killer = asyncio.create_task(
        run_kills(bot, plan, actions, script_done=finished.is_set, jobs_running=jobs_running)
    )
    try:
        await asyncio.gather(*(lane(script[k::LANES]) for k in range(LANES)))
    finally:
        finished.set()
    kills = await killer
    return kills, actions.elapsed()


async def catch_up(sessions: SessionFactory, *, since: datetime) -> tuple[float, list[str]]:
    """Wait until the worker has run every job due by `since` (reminders keep coming due after it: those
    are not waited for) and archived every resolved swarm; say what it never did."""
    started = time.monotonic()
    while True:
        async with sessions() as session:
            behind = (
                await session.scalars(
                    select(Job).where(
                        (Job.state == "pending") & (Job.due_at < since)
                        | (Job.state == "running") & (Job.lease_until < SystemClock().now())
                    )
                )
            ).all()
            unarchived = (
                await session.scalars(
                    select(Swarm.id).where(Swarm.status == "resolved", Swarm.channel_archived.is_(False))
                )
            ).all()
        left = [f"job {j.id} ({j.kind}, {j.state}, due {j.due_at:%H:%M:%S})" for j in behind]
        left += [f"swarm {swarm_id} resolved but not archived" for swarm_id in unarchived]
        if not left or time.monotonic() - started > CATCH_UP:
            return time.monotonic() - started, left
        await asyncio.sleep(0.5)


def run_doctor(env: dict[str, str]) -> list[str]:
    """`swarmbot doctor`: what the reconciler finds to repair once the killing stopped."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "doctor"],
        env={**os.environ, **env},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()


def report(
    *,
    script: list[Escalation],
    tally: Tally,
    kills: list[Kill],
    findings: Findings,
    script_seconds: float,
    catch_up_seconds: float,
    doctor: list[str],
    runtime: float,
    path: Path,
) -> dict[str, Any]:
    """Print the figures and write them as JSON to `path` (SWARMBOT_CRASH_FIGURES, else tmp_path)."""
    figures: dict[str, Any] = {
        "seed": SEED,
        "escalations": len(script),
        "kills": {
            "web": sum(k.target == "web" for k in kills),
            "worker": sum(k.target == "worker" for k in kills),
        },
        "kill_log": [asdict(k) for k in kills],
        "actions": {
            "commands": tally.commands,
            "command_retries": tally.command_retries,
            "clicks": tally.clicks,
            "click_retries": tally.click_retries,
            "reactions": tally.reactions,
            "claims": len(tally.claims),
            "accepts": len(tally.accepts),
            "updates": len(tally.updates),
            "resolves": len(tally.resolves),
        },
        "swarms": findings.swarms,
        "resolved": findings.resolved,
        "archived_with_transcript": findings.archived,
        "reminders_fired": findings.reminders_fired,
        "reminder_due_times": findings.reminder_due_times,
        "duplicates": len(findings.duplicates),
        "data_lost": len(findings.lost),
        "incomplete": len(findings.incomplete),
        "orphan_channels": len(findings.orphans),
        "doctor_after_catch_up": doctor,
        "script_seconds": round(script_seconds, 1),
        "catch_up_seconds": round(catch_up_seconds, 1),
        "runtime_seconds": round(runtime, 1),
        "findings": asdict(findings),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\ncrash suite, seed {SEED}; figures in {path}")
    for kill in kills:
        print(" ", kill.line())
    shown = {k: v for k, v in figures.items() if k not in ("kill_log", "findings")}
    print(json.dumps(shown, indent=2))
    for problem in findings.duplicates + findings.lost + findings.incomplete + findings.orphans:
        print("  PROBLEM", problem)
    return figures
