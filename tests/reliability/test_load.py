"""Load: 500 concurrent, correctly signed requests against one `swarmbot serve` on Postgres and Redis.

The mix is what a bad afternoon looks like: `/escalate` for thirty new tickets, each typed three times at
once, `/escalate` for tickets already open, :raising_hand: reactions racing for the same task messages
(some delivered twice, as Slack retries with the same event_id), and Accept pressed two or three times on
the same invitation DMs. Every request must be answered 200 within Slack's 3 seconds, and afterwards every
effect must exist exactly once: one swarm and one channel per ticket, one claim per task, one acceptance
per invitation, no message posted twice.

Run: pytest -m slow tests/reliability/test_load.py -s   (figures: printed, and JSON in the tmp dir)
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import SystemClock
from bot.experts import ExpertDirectory
from bot.sandbox import Driver, DriverResponse, Sandbox, SandboxConfig
from bot.sandbox.cast import Cast, experts_file, seed_demo
from storage.db import SessionFactory, create_engine, empty_database, session_factory
from storage.models import Invitation, Swarm, Task, Ticket, TimelineEntry
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, text_of
from tests.e2e.processes import serve_process
from tests.reliability.observations import duplicate_posts, own_redis_url, write_figures

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(300)]

REQUESTS = 500
ACK_LIMIT = 3.0  # seconds: Slack's deadline for every ack
SETUP_SWARMS = 10  # open before the burst: their task messages and invitations are what people click
NEW_TICKETS = 30
COPIES = 3  # each new ticket typed this many times at once
LINKS = 60  # `/escalate` for a ticket already open
REACTIONS = 200
CLICKS = REQUESTS - NEW_TICKETS * COPIES - LINKS - REACTIONS
SHAPES = (
    "sev1 outage #postgres Checkout fails",
    "sev2 #sre #billing Invoices doubled",
    "sev3 #sre Reports slow",
)


@dataclass
class Load:
    """One `swarmbot serve`, the sandbox it talks to, and a way to read its storage."""

    sandbox: Sandbox
    cast: Cast
    driver: Driver
    sessions: SessionFactory
    log: Path


def all_day_experts(cast: Cast) -> str:
    """The demo directory, on shift all day (the server runs on the wall clock), with room to spare."""
    text = experts_file(cast).replace("max_active_swarms: 3", "max_active_swarms: 200")
    for hours in ("08:00-20:00", "07:00-19:00", "09:00-18:00"):
        text = text.replace(hours, "00:00-24:00")
    return text


@pytest.fixture
async def load(postgres_url: str, tmp_path: Path) -> AsyncIterator[Load]:
    config = SandboxConfig(
        signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, event_retry_schedule=(60.0, 120.0, 300.0)
    )
    sandbox = Sandbox(config).start()
    cast = seed_demo(sandbox)
    await empty_database(postgres_url)
    engine: AsyncEngine = create_engine(postgres_url)
    sessions = session_factory(engine)
    await ExpertDirectory(sessions=sessions, clock=SystemClock(), skill_groups={}).import_file(
        all_day_experts(cast)
    )
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": postgres_url,
        "REDIS_URL": own_redis_url(11),
        "SWARMBOT_ESCALATION_MANAGERS": "usergroup:support-managers",
        "SWARMBOT_SLACK_PACING": "off",  # the sandbox enforces no rate limits here; pacing has its own tests
    }
    log = tmp_path / "serve.log"
    try:
        with serve_process(env, log) as url:
            sandbox.request_url = url
            yield Load(sandbox, cast, Driver(sandbox, request_url=url, timeout=30), sessions, log)
    finally:
        await engine.dispose()
        sandbox.stop()


async def settle(sandbox: Sandbox, *, quiet: float = 3.0, limit: float = 120.0) -> None:
    """Wait until the app has made no Web API call for `quiet` seconds."""
    deadline, seen, since = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < deadline:
        with sandbox.ws.lock:
            count = len(sandbox.ws.calls)
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the app never went quiet within {limit}s")


async def open_setup_swarms(load: Load) -> list[str]:
    """Swarms that exist before the burst; returns their tickets."""
    tickets = [f"ZD-{8001 + i}" for i in range(SETUP_SWARMS)]
    people = list(load.cast.people.values())
    answers = await asyncio.gather(
        *(
            load.driver.slash_command(
                "/escalate",
                f"{ticket} {SHAPES[i % len(SHAPES)]} before the rush {i}",
                user_id=people[i % 2],
                channel_id=load.cast.support_channel,
            )
            for i, ticket in enumerate(tickets)
        )
    )
    assert all(a.status == 200 for a in answers)

    async def ready() -> bool:
        async with load.sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(Swarm).where(Swarm.status == "open", Swarm.checklist_pinned)
            )
            pending_dms = await session.scalar(
                select(func.count())
                .select_from(Invitation)
                .where(Invitation.status == "invited", Invitation.dm_ts.is_(None))
            )
        return count == SETUP_SWARMS and pending_dms == 0

    await load.sandbox.wait_for(ready, timeout=90, interval=0.3, message="setup swarms")
    await settle(load.sandbox)
    return tickets


Send = Callable[[], Awaitable[DriverResponse]]


async def burst_plan(load: Load, setup: list[str]) -> tuple[list[tuple[str, Send]], dict[str, Any]]:
    """The 500 requests, shuffled, and what each kind is meant to do."""
    driver, cast, rng = load.driver, load.cast, random.Random(500)
    people = list(cast.people.values())
    plan: list[tuple[str, Send]] = []
    new_tickets = [f"ZD-{9001 + i}" for i in range(NEW_TICKETS)]
    for i, ticket in enumerate(new_tickets):
        text = f"{ticket} {SHAPES[i % len(SHAPES)]} in the rush {i}"
        for copy in range(COPIES):
            user = people[(i + copy) % len(people)]
            plan.append(
                (
                    "command",
                    lambda text=text, user=user: driver.slash_command(
                        "/escalate", text, user_id=user, channel_id=cast.support_channel
                    ),
                )
            )
    for i in range(LINKS):
        ticket, user = setup[i % len(setup)], people[i % len(people)]
        plan.append(
            (
                "command",
                lambda ticket=ticket, user=user: driver.slash_command(
                    "/escalate", ticket, user_id=user, channel_id=cast.support_channel
                ),
            )
        )
    async with load.sessions() as session:
        swarms = (await session.scalars(select(Swarm).order_by(Swarm.id))).all()
        tasks = (await session.scalars(select(Task).where(Task.message_ts.is_not(None)))).all()
        invitations = (
            await session.scalars(
                select(Invitation).where(Invitation.dm_ts.is_not(None)).order_by(Invitation.id)
            )
        ).all()
    channel_of = {swarm.id: swarm.channel_id for swarm in swarms}
    members = {swarm.id: load.sandbox.members(swarm.channel_id or "") for swarm in swarms}
    reactors: dict[int, set[str]] = {}
    previous: tuple[dict[str, Any], str] | None = None
    for i in range(REACTIONS):
        if i % 10 == 9 and previous is not None:
            # Slack retrying the previous event (it thinks the ack timed out): same event_id, Retry-Num 1.
            event, event_id = previous
            plan.append(
                ("event", lambda event=event, eid=event_id: driver.event(event, event_id=eid, retry_num=1))
            )
            continue
        task = tasks[i % len(tasks)]
        candidates = [m for m in members[task.swarm_id] if m != load.sandbox.bot_user_id]
        user = rng.choice(candidates)
        reactors.setdefault(task.id, set()).add(user)
        event = {
            "type": "reaction_added",
            "user": user,
            "reaction": "raising_hand",
            "item": {"type": "message", "channel": channel_of[task.swarm_id] or "", "ts": task.message_ts},
            "item_user": load.sandbox.bot_user_id,
        }
        previous = (event, f"EvLOAD{i:04d}")
        plan.append(("event", lambda event=event, eid=previous[1]: driver.event(event, event_id=eid)))
    clicked: set[int] = set()
    for i in range(CLICKS):
        invitation = invitations[i % len(invitations)]
        clicked.add(invitation.id)
        plan.append(
            (
                "action",
                lambda inv=invitation: driver.block_action(
                    inv.user_id,
                    action_id="invitation_accept",
                    value=str(inv.id),
                    channel_id=inv.dm_channel,
                    message_ts=inv.dm_ts,
                ),
            )
        )
    rng.shuffle(plan)
    intents = {"new_tickets": new_tickets, "reactors": reactors, "clicked": clicked}
    return plan, intents


async def timed(kind: str, send: Send) -> tuple[str, int | None, float]:
    started = time.perf_counter()
    response = await send()
    return kind, response.status, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def test_five_hundred_concurrent_requests_are_acked_in_time_and_take_effect_once(
    load: Load, tmp_path: Path
) -> None:
    setup = await open_setup_swarms(load)
    plan, intents = await burst_plan(load, setup)
    assert len(plan) == REQUESTS
    calls_before = len(load.sandbox.calls())

    started = time.monotonic()
    results = await asyncio.gather(*(timed(kind, send) for kind, send in plan))
    burst_seconds = time.monotonic() - started
    await settle(load.sandbox)

    acks = [seconds for _, _, seconds in results]
    statuses = Counter(status for _, status, _ in results)
    lost: list[str] = []
    doubled: list[str] = []
    async with load.sessions() as session:
        for ticket in intents["new_tickets"]:
            swarms = (
                await session.scalars(select(Swarm).join(Ticket).where(Ticket.ticket_id == ticket))
            ).all()
            if len(swarms) != 1:
                (doubled if swarms else lost).append(f"{ticket}: {len(swarms)} swarms")
            elif swarms[0].status != "open" or not swarms[0].checklist_pinned:
                lost.append(f"{ticket}: swarm left {swarms[0].status}, not whole")
            named = [c for c in load.sandbox.channels() if c["name"].startswith(f"esc-{ticket.lower()}-")]
            if len(named) != 1:
                (doubled if named else lost).append(f"{ticket}: {len(named)} channels")
        for task_id, reactors in intents["reactors"].items():
            task = await session.get_one(Task, task_id)
            if task.claimed_by not in reactors:
                lost.append(f"task {task_id}: claimed by {task.claimed_by}, reactors {sorted(reactors)}")
            entries = await session.scalar(
                select(func.count())
                .select_from(TimelineEntry)
                .where(
                    TimelineEntry.swarm_id == task.swarm_id,
                    TimelineEntry.kind == "task_claimed",
                    TimelineEntry.detail["task"].as_integer() == task.position,
                )
            )
            if entries != 1:
                (doubled if entries else lost).append(f"task {task_id}: claimed {entries} times")
        for invitation_id in intents["clicked"]:
            invitation = await session.get_one(Invitation, invitation_id)
            if invitation.status != "accepted":
                lost.append(f"invitation {invitation_id}: {invitation.status}")
            accepted = await session.scalar(
                select(func.count())
                .select_from(TimelineEntry)
                .where(
                    TimelineEntry.swarm_id == invitation.swarm_id,
                    TimelineEntry.kind == "expert_accepted",
                    TimelineEntry.actor == invitation.user_id,
                )
            )
            if accepted != 1:
                (doubled if accepted else lost).append(
                    f"invitation {invitation_id}: accepted {accepted} times"
                )
            swarm = await session.get_one(Swarm, invitation.swarm_id)
            notes = sum(
                f"<@{invitation.user_id}> accepted" in text_of(m)
                for m in load.sandbox.messages(swarm.channel_id or "", system=False)
            )
            if notes != 1:
                (doubled if notes else lost).append(
                    f"invitation {invitation_id}: {notes} notes in the channel"
                )
    doubled += duplicate_posts(load.sandbox)
    creates = [c for c in load.sandbox.calls("conversations.create") if c["response"].get("ok")]
    if len(creates) != SETUP_SWARMS + NEW_TICKETS:
        doubled.append(f"{len(creates)} channels created for {SETUP_SWARMS + NEW_TICKETS} swarms")
    opened = sum("Opened" in str(r["payload"].get("text")) for r in load.sandbox.responses())
    if opened != SETUP_SWARMS + NEW_TICKETS:
        doubled.append(f"{opened} 'Opened' answers for {SETUP_SWARMS + NEW_TICKETS} swarms")

    figures = {
        "requests": len(results),
        "requests_by_kind": dict(Counter(kind for kind, _ in plan)),
        "statuses": {str(status): count for status, count in statuses.items()},
        "ack_p50_ms": round(statistics.median(acks) * 1000),
        "ack_p99_ms": round(percentile(acks, 0.99) * 1000),
        "ack_max_ms": round(max(acks) * 1000),
        "acks_over_3s": sum(seconds >= ACK_LIMIT for seconds in acks),
        "burst_seconds": round(burst_seconds, 2),
        "new_tickets": NEW_TICKETS,
        "copies_per_new_ticket": COPIES,
        "tasks_raced": len(intents["reactors"]),
        "invitations_clicked": len(intents["clicked"]),
        "web_api_calls_after_the_burst": len(load.sandbox.calls()) - calls_before,
        "duplicates": len(doubled),
        "duplicates_seen": doubled,
        "data_lost": len(lost),
        "data_lost_seen": lost,
    }
    write_figures(tmp_path, "load", figures)
    assert statuses == {200: REQUESTS}, load.log.read_text()[-3000:]
    assert max(acks) < ACK_LIMIT
    assert doubled == []
    assert lost == []
