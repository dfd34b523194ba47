"""Fault suite: two dozen escalations worked through a Slack that fails a fifth of the bot's calls.

The sandbox answers 20% of Web API calls with HTTP 500, 502, 503 or 429 `ratelimited` (Retry-After),
delays some by 2 seconds, and restarts in the middle of the opening burst (connections refused while it
is down, then the same workspace on the same port). People then claim tasks by reaction, accept
invitations and resolve a third of the swarms. Afterwards — after the gateway's retries, the worker's job
retries and the reconciler (`swarmbot doctor`) — every swarm must be whole, nothing posted twice and
nothing anyone did lost. Faults stay on to the end: the repairs run through the same failing Slack.

Run: pytest -m slow tests/reliability/test_faults.py -s   (figures: printed, and JSON in the tmp dir)
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.experts import ExpertDirectory
from bot.resolution import ARCHIVE
from bot.sandbox import FaultConfig, Sandbox, SandboxConfig
from bot.sandbox.cast import DEMO_TIME, Cast, seed_demo
from bot.scheduler import Worker
from bot.scheduler.registry import job_handlers
from bot.server import serving
from bot.services import Services
from bot.tickets import ticket_record
from storage.db import create_engine, empty_database, session_factory
from storage.models import Invitation, Swarm, Task, Ticket
from tests.conftest import Backend
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, settings_for, text_of
from tests.reliability.observations import duplicate_posts, own_redis_url, roomy_experts_file, write_figures

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(480)]

SWARMS = 24
RESOLVE_EVERY = 3  # every third swarm is resolved and archived
FAULTS = FaultConfig(
    seed=8,
    error_rate=0.2,
    error_kinds=("http_500", "http_502", "http_503", "ratelimited"),
    retry_after=1,
    spike_probability=0.03,
    spike_latency=2.0,
)
DOWN_FOR = 5.0  # longer than slack-sdk's connection retries wait (0.5 + 1 + 2 s): some steps must fail
REQUESTERS = ("alice", "dave")
SHAPES = (
    "sev1 outage #postgres Checkout fails",
    "sev2 billing #billing Invoices doubled",
    "sev3 #sre Dashboards slow",
    "sev2 security Suspicious logins",
    "sev4 defect Export misses a column",
    "sev1 #networking #sre API timeouts",
)
REPAIR_ROUNDS = 10
ARCHIVE_AFTER = timedelta(minutes=11)  # SWARMBOT_ARCHIVE_AFTER's 10 minutes, and one more


@dataclass
class World:
    """The app served in this loop, a worker and reconciler of our own, the faulty sandbox."""

    sandbox: Sandbox
    cast: Cast
    clock: FrozenClock
    services: Services
    worker: Worker
    repairs: list[str] = field(default_factory=list)
    reconciler_passes: int = 0

    def person(self, name: str) -> str:
        return self.cast.people[name]


@pytest.fixture
async def world(postgres_url: str) -> AsyncIterator[World]:
    config = SandboxConfig(
        signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, event_retry_schedule=(0.0, 1.0, 2.0)
    )
    sandbox = Sandbox(config).start()
    cast = seed_demo(sandbox)
    clock = FrozenClock(datetime.fromisoformat(DEMO_TIME))
    await empty_database(postgres_url)
    backend = Backend("postgres+redis", postgres_url, own_redis_url(13))
    engine = create_engine(backend.database_url)
    directory = ExpertDirectory(sessions=session_factory(engine), clock=clock, skill_groups={})
    await directory.import_file(roomy_experts_file(cast))
    await engine.dispose()
    settings = settings_for(sandbox, backend)
    services = Services.create(settings, clock=clock)
    worker = Worker(
        queue=services.jobs,
        handlers=job_handlers(services),
        clock=clock,
        coordinator=services.coordinator,
        owner="fault-suite-worker",
    )
    try:
        async with serving(settings, clock=clock) as url:
            sandbox.request_url = url
            yield World(sandbox, cast, clock, services, worker)
    finally:
        await services.aclose()
        sandbox.stop()


def call_count(sandbox: Sandbox) -> int:
    with sandbox.ws.lock:
        return len(sandbox.ws.calls)


async def settle(sandbox: Sandbox, *, quiet: float = 4.0, limit: float = 150.0) -> None:
    """Wait until nobody has called the Web API for `quiet` seconds: every retry and backoff is over."""
    deadline = time.monotonic() + limit
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now_count = call_count(sandbox)
        if now_count != seen:
            seen, since = now_count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the Web API never went quiet within {limit}s")


async def as_a_person(action: Callable[[], Awaitable[Any]]) -> None:
    """People retry what Slack failed (the sandbox's injected faults never half-apply a call)."""
    for _ in range(12):
        try:
            await action()
            return
        except SlackApiError as error:
            if error.response.status_code < 429 and error.response.get("error") != "internal_error":
                raise
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.3)
    raise AssertionError("Slack kept failing a person's action")


async def run_due_jobs(world: World) -> int:
    ran = 0
    while done := await world.worker.run_once():
        ran += done
    return ran


async def repair(world: World, *, minutes: float = 3) -> None:
    """What swarmbot's own machinery does later: due jobs (and their retries), then the reconciler."""
    for _ in range(REPAIR_ROUNDS):
        world.clock.advance(timedelta(minutes=minutes))
        await run_due_jobs(world)
        repairs = await world.services.reconciler.run()
        world.reconciler_passes += 1
        lines = repairs.lines()
        world.repairs.extend(line for line in lines if line != "all swarms are whole")
        await settle(world.sandbox, quiet=2.5)
        due = await run_due_jobs(world)
        # An archive that Slack failed waits for its retry: whole means archived, not merely scheduled.
        archiving = await world.services.jobs.pending(kind=ARCHIVE)
        if lines == ["all swarms are whole"] and not due and not archiving:
            return
    raise AssertionError(f"not whole after {REPAIR_ROUNDS} repair rounds: {world.repairs[-5:]}")


def escalation(index: int) -> str:
    return f"ZD-{7001 + index} {SHAPES[index % len(SHAPES)]} for customer {index + 1}"


async def swarm_rows(world: World) -> list[tuple[str, Swarm]]:
    async with world.services.sessions() as session:
        rows = await session.execute(select(Ticket.ticket_id, Swarm).join(Swarm).order_by(Swarm.id))
        return [(ticket_id, swarm) for ticket_id, swarm in rows.all()]


async def tasks_of(world: World, swarm_id: int) -> list[Task]:
    async with world.services.sessions() as session:
        return list(
            (
                await session.scalars(select(Task).where(Task.swarm_id == swarm_id).order_by(Task.position))
            ).all()
        )


async def invitations_of(world: World, swarm_id: int) -> list[Invitation]:
    async with world.services.sessions() as session:
        return list(
            (
                await session.scalars(
                    select(Invitation).where(Invitation.swarm_id == swarm_id).order_by(Invitation.id)
                )
            ).all()
        )


@dataclass
class Intent:
    """What people did to one swarm, to look for afterwards."""

    claims: list[tuple[int, str]] = field(default_factory=list)  # (task position, who)
    accepted: list[int] = field(default_factory=list)  # invitation ids
    resolution: str | None = None


async def work_the_swarm(world: World, swarm: Swarm, intent: Intent) -> None:
    """The commander claims two tasks by reaction; the first invited expert presses Accept."""
    assert swarm.channel_id is not None
    human = world.sandbox.human(swarm.commander)
    for task in (await tasks_of(world, swarm.id))[:2]:
        assert task.message_ts is not None
        channel, ts = swarm.channel_id, task.message_ts
        await as_a_person(lambda channel=channel, ts=ts: human.react(channel, ts, "raising_hand"))
        intent.claims.append((task.position, swarm.commander))
    invited = [i for i in await invitations_of(world, swarm.id) if i.status == "invited" and i.dm_ts]
    if invited:
        first = invited[0]
        answer = await world.sandbox.driver().block_action(
            first.user_id,
            action_id="invitation_accept",
            value=str(first.id),
            channel_id=first.dm_channel,
            message_ts=first.dm_ts,
        )
        assert answer.status == 200, answer
        intent.accepted.append(first.id)


def visible_messages(sandbox: Sandbox, channel: str) -> int:
    kept = [m for m in sandbox.messages(channel) if m.get("subtype") != "channel_archive"]
    return sum(1 + len(m.get("replies") or []) for m in kept)


async def whole_or_why(world: World, ticket_id: str, intent: Intent) -> tuple[list[str], list[str]]:
    """(what is missing or lost, what is duplicated) for one ticket."""
    sandbox, lost, doubled = world.sandbox, [], []
    async with world.services.sessions() as session:
        record = await ticket_record(session, ticket_id)
    if record is None:
        return [f"{ticket_id}: no record"], []
    if len(record["swarms"]) != 1:
        doubled.append(f"{ticket_id}: {len(record['swarms'])} swarms")
    swarm = record["swarms"][-1]
    channel = swarm["channel_id"]
    if channel is None or sandbox.channel(channel) is None:
        return [f"{ticket_id}: no channel"], doubled
    prefix = f"esc-{ticket_id.lower()}-"
    named = [c for c in sandbox.channels() if c["name"].startswith(prefix)]
    if len(named) != 1:
        doubled.append(f"{ticket_id}: {len(named)} channels")
    async with world.services.sessions() as session:
        row = await session.scalar(select(Swarm).where(Swarm.channel_id == channel))
    assert row is not None
    expected_status = "resolved" if intent.resolution else "open"
    if swarm["status"] != expected_status:
        lost.append(f"{ticket_id}: status {swarm['status']}, expected {expected_status}")
    for flag in ("people_invited", "topic_set", "purpose_set", "brief_pinned", "checklist_pinned"):
        if not getattr(row, flag):
            lost.append(f"{ticket_id}: {flag} is false")
    info = sandbox.channel(channel) or {}
    if ticket_id not in str(info.get("topic")) or ticket_id not in str(info.get("purpose")):
        lost.append(f"{ticket_id}: topic or purpose not set in Slack")
    members = set(sandbox.members(channel))
    experts = [i for i in swarm["invitations"] if i["status"] in ("invited", "accepted")]
    wanted = {swarm["requested_by"], swarm["commander"], *(i["user"] for i in experts)}
    if not wanted <= members:
        lost.append(f"{ticket_id}: not invited {sorted(wanted - members)}")
    pinned = {m["ts"] for m in sandbox.pins(channel)}
    if row.brief_ts not in pinned or row.checklist_ts not in pinned:
        lost.append(f"{ticket_id}: brief or checklist not pinned")
    posted = [text_of(m) for m in sandbox.messages(channel, system=False)]
    for task in await tasks_of(world, row.id):
        if task.message_ts is None or sandbox.message(channel, task.message_ts) is None:
            lost.append(f"{ticket_id}: task {task.position} not posted")
        copies = sum(f"*Task {task.position}* ·" in text for text in posted)
        if copies > 1:
            doubled.append(f"{ticket_id}: task {task.position} posted {copies} times")
    if (checklists := sum("*Checklist*" in text for text in posted)) > 1:
        doubled.append(f"{ticket_id}: {checklists} checklists")
    for invitation in await invitations_of(world, row.id):
        if invitation.status in ("invited", "accepted") and (
            invitation.dm_ts is None or sandbox.message(invitation.dm_channel or "", invitation.dm_ts) is None
        ):
            lost.append(f"{ticket_id}: {invitation.user_id} was never told")
    by_position = swarm["tasks"]
    for position, who in intent.claims:
        if by_position[position - 1]["claimed_by"] != who:
            lost.append(f"{ticket_id}: the claim of task {position} by {who} was lost")
        task_row = (await tasks_of(world, row.id))[position - 1]
        shown = text_of(sandbox.message(channel, task_row.message_ts or "") or {})
        if f"claimed by <@{who}>" not in shown:
            lost.append(f"{ticket_id}: task {position} does not show its claim")
    for invitation_id in intent.accepted:
        match = [i for i in await invitations_of(world, row.id) if i.id == invitation_id]
        if not match or match[0].status != "accepted":
            lost.append(f"{ticket_id}: accepted invitation {invitation_id} not recorded")
        elif "You accepted" not in text_of(
            sandbox.message(match[0].dm_channel or "", match[0].dm_ts or "") or {}
        ):
            lost.append(f"{ticket_id}: the accepted DM was not updated")
    playbook = world.services.playbooks.get(swarm["playbook"])
    feed = playbook.stakeholders.channel if playbook.stakeholders else None
    if feed is not None:
        told = [text_of(m) for m in sandbox.messages(world.cast.feed_channel, system=False)]
        events = [("Escalation opened", True), ("Escalation resolved", intent.resolution is not None)]
        for headline, expected in events:
            copies = sum(f"{headline}: {ticket_id}*" in text for text in told)
            if copies > 1:
                doubled.append(f"{ticket_id}: {headline} told {copies} times")
            elif expected and copies == 0:
                lost.append(f"{ticket_id}: {headline} never told to #{feed}")
    if intent.resolution:
        resolution = swarm["resolution"] or {}
        transcript = swarm["transcript"]
        if resolution.get("text") != intent.resolution:
            lost.append(f"{ticket_id}: resolution text lost")
        if not info.get("is_archived") or not resolution.get("channel_archived"):
            lost.append(f"{ticket_id}: resolved but not archived")
        if transcript is None or transcript["message_count"] != visible_messages(sandbox, channel):
            got = transcript and transcript["message_count"]
            lost.append(f"{ticket_id}: transcript has {got} of {visible_messages(sandbox, channel)} messages")
    return lost, doubled


async def test_every_swarm_completes_under_faults_rate_limits_latency_and_a_restart(
    world: World, tmp_path: Path
) -> None:
    started = time.monotonic()
    sandbox, driver = world.sandbox, world.sandbox.driver()
    sandbox.set_faults(FAULTS)
    tickets = [escalation(i).split()[0] for i in range(SWARMS)]
    intents = {ticket: Intent() for ticket in tickets}

    # 1. The opening burst, with Slack going down for a few seconds in the middle of it.
    answers = await asyncio.gather(
        *(
            driver.slash_command(
                "/escalate",
                escalation(i),
                user_id=world.person(REQUESTERS[i % len(REQUESTERS)]),
                channel_id=world.cast.support_channel,
            )
            for i in range(SWARMS)
        )
    )
    assert [a.status for a in answers] == [200] * SWARMS
    await asyncio.sleep(1.0)
    await sandbox.restart(down_for=DOWN_FOR)
    await settle(sandbox)
    opened_before_repair = sum(swarm.status == "open" for _, swarm in await swarm_rows(world))
    await repair(world)

    # 2. People work the swarms: claims by reaction and Accept clicks, all at once.
    rows = await swarm_rows(world)
    assert sorted(ticket for ticket, _ in rows) == sorted(tickets)
    await asyncio.gather(*(work_the_swarm(world, swarm, intents[ticket]) for ticket, swarm in rows))
    await settle(sandbox)

    # 3. A third are resolved; the archive job stores the transcript, then archives the channel.
    resolving = [(ticket, swarm) for index, (ticket, swarm) in enumerate(rows) if index % RESOLVE_EVERY == 0]
    for ticket, _ in resolving:
        intents[ticket].resolution = f"Fixed during the fault drill ({ticket})"
    resolved = await asyncio.gather(
        *(
            driver.slash_command(
                "/escalate",
                f"resolve {intents[ticket].resolution}",
                user_id=swarm.commander,
                channel_id=swarm.channel_id or "",
            )
            for ticket, swarm in resolving
        )
    )
    assert [a.status for a in resolved] == [200] * len(resolving)
    await settle(sandbox)
    world.clock.advance(ARCHIVE_AFTER)
    await repair(world)

    # 4. Count and judge.
    lost: list[str] = []
    doubled: list[str] = []
    for ticket in tickets:
        missing, twice = await whole_or_why(world, ticket, intents[ticket])
        lost += missing
        doubled += twice
    doubled += duplicate_posts(sandbox)
    creates = [c for c in sandbox.calls("conversations.create") if c["response"].get("ok")]
    if len(creates) != SWARMS:
        doubled.append(f"{len(creates)} channels created for {SWARMS} swarms")
    calls = sandbox.calls()
    bot_calls = [c for c in calls if c["token_kind"] == "bot"]
    figures = {
        "swarms": SWARMS,
        "swarms_open_before_repair": opened_before_repair,
        "resolved_and_archived": len(resolving),
        "claims_by_reaction": sum(len(i.claims) for i in intents.values()),
        "accept_clicks": sum(len(i.accepted) for i in intents.values()),
        "requests_to_the_app": len(sandbox.deliveries()),
        "web_api_calls": len(calls),
        "web_api_calls_by_the_bot": len(bot_calls),
        "requests_tried": len(sandbox.deliveries()) + len(calls),
        "faults_injected": dict(sorted(sandbox.faults.injected.items())),
        "faults_injected_total": sum(sandbox.faults.injected.values()),
        "bot_calls_failed_by_status": dict(
            sorted(Counter(str(c["status"]) for c in bot_calls if c["status"] != 200).items())
        ),
        "sandbox_restarts": sandbox.restarts,
        "sandbox_down_seconds": DOWN_FOR,
        "reconciler_passes": world.reconciler_passes,
        "reconciler_repairs": world.repairs,
        "duplicates": len(doubled),
        "duplicates_seen": doubled,
        "data_lost": len(lost),
        "data_lost_seen": lost,
        "seconds": round(time.monotonic() - started, 1),
    }
    write_figures(tmp_path, "faults", figures)
    assert figures["faults_injected"].get("ratelimited") and figures["faults_injected"].get("latency_spike")
    assert doubled == []
    assert lost == []
