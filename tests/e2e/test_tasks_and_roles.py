"""Tasks claimed by reaction, roles taken and handed off, all kept current in the channel."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.sandbox import Driver, FaultConfig, Sandbox
from bot.sandbox.cast import Cast
from bot.services import Services
from storage.models import RoleAssignment, SlackEvent, Swarm, Task
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Stack, settings_for, text_of


def message_with(stack: Stack, channel: str, needle: str) -> dict[str, Any]:
    return next(m for m in stack.sandbox.messages(channel, system=False) if needle in text_of(m))


def checklist(stack: Stack, channel: str) -> str:
    return text_of(message_with(stack, channel, "Checklist"))


def told(stack: Stack, who: str) -> str:
    user = stack.person(who)
    dms = [
        m
        for c in stack.sandbox.channels(include_dms=True)
        if c.get("is_im") and user in stack.sandbox.members(c["id"])
        for m in stack.sandbox.messages(c["id"], system=False)
    ]
    return json.dumps(stack.sandbox.ephemerals(user=user) + dms)


async def opened(stack: Stack, text: str = "ZD-50 sev2 outage Dashboards blank") -> str:
    await stack.escalate(text)
    return stack.channel_named("esc-" + text.split()[0].lower())["id"]


async def react(stack: Stack, who: str, channel: str, ts: str, emoji: str, *, added: bool = True) -> None:
    human = stack.sandbox.human(stack.person(who))
    await (human.react if added else human.unreact)(channel, ts, emoji)


async def task_row(stack: Stack, position: int) -> Task:
    async with stack.sessions() as session:
        return (await session.scalars(select(Task).where(Task.position == position))).one()


async def test_claim_unclaim_and_done_update_the_task_and_the_checklist_in_place(stack: Stack):
    channel = await opened(stack)
    task = message_with(stack, channel, "*Task 2*")
    await react(stack, "bob", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "claimed by" in text_of(stack.sandbox.message(channel, task["ts"])))
    assert f"claimed by <@{stack.person('bob')}>" in text_of(stack.sandbox.message(channel, task["ts"]))
    assert "2. Send the first customer update" in checklist(stack, channel)

    await react(stack, "bob", channel, task["ts"], "raising_hand", added=False)
    await stack.sandbox.wait_for(lambda: "· open ·" in text_of(stack.sandbox.message(channel, task["ts"])))
    assert (await task_row(stack, 2)).claimed_by is None

    await react(stack, "erin", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "claimed by" in text_of(stack.sandbox.message(channel, task["ts"])))
    await react(stack, "erin", channel, task["ts"], "white_check_mark")
    await stack.sandbox.wait_for(lambda: "done by" in text_of(stack.sandbox.message(channel, task["ts"])))
    await stack.sandbox.wait_for(lambda: "1 of 7 done" in checklist(stack, channel))
    row = await task_row(stack, 2)
    assert row.done and row.done_by == stack.person("erin")


async def test_the_first_of_two_claims_wins_and_the_other_is_told(stack: Stack):
    channel = await opened(stack)
    task = message_with(stack, channel, "*Task 3*")
    await react(stack, "bob", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "claimed by" in text_of(stack.sandbox.message(channel, task["ts"])))
    await react(stack, "erin", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "already claimed by" in told(stack, "erin"))
    assert (await task_row(stack, 3)).claimed_by == stack.person("bob")


async def test_only_the_claimer_or_the_commander_marks_a_task_done(stack: Stack):
    channel = await opened(stack)
    task = message_with(stack, channel, "*Task 1*")
    await react(stack, "bob", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "claimed by" in text_of(stack.sandbox.message(channel, task["ts"])))
    await react(stack, "erin", channel, task["ts"], "white_check_mark")
    await stack.sandbox.wait_for(lambda: "can mark task 1 done" in told(stack, "erin"))
    assert not (await task_row(stack, 1)).done
    await react(stack, "alice", channel, task["ts"], "white_check_mark")  # alice commands
    await stack.sandbox.wait_for(lambda: "done by" in text_of(stack.sandbox.message(channel, task["ts"])))


async def test_someone_outside_the_channel_cannot_claim_and_is_told_by_dm(stack: Stack):
    channel = await opened(stack)
    task = message_with(stack, channel, "*Task 2*")
    await react(stack, "dave", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "only people in the swarm can claim tasks" in told(stack, "dave"))
    assert (await task_row(stack, 2)).claimed_by is None


async def test_reactions_on_other_messages_and_other_emoji_are_ignored(stack: Stack):
    channel = await opened(stack)
    brief = stack.sandbox.messages(channel, system=False)[0]
    task = message_with(stack, channel, "*Task 2*")
    before = len(stack.sandbox.calls())
    await react(stack, "bob", channel, brief["ts"], "raising_hand")
    await react(stack, "bob", channel, task["ts"], "eyes")
    await asyncio.sleep(0.3)
    writes = [c for c in stack.sandbox.calls()[before:] if c["token_kind"] == "bot"]
    background = ("conversations.members", "views.publish")  # a membership check, the Home refresh
    assert [c["method"] for c in writes if c["method"] not in background] == []
    assert (await task_row(stack, 2)).claimed_by is None


async def test_a_reaction_in_a_resolved_swarm_changes_nothing_and_is_explained(stack: Stack):
    channel = await opened(stack)
    task = message_with(stack, channel, "*Task 2*")
    async with stack.sessions() as session:
        await session.execute(update(Swarm).values(status="resolved"))
        await session.commit()
    await react(stack, "bob", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "is resolved" in told(stack, "bob"))
    assert (await task_row(stack, 2)).claimed_by is None


async def test_escalate_task_adds_a_task_and_updates_the_checklist(stack: Stack):
    channel = await opened(stack)
    answer = await stack.escalate("task Check the CDN <!here> cache", user="bob", channel=channel)
    assert "Added task 8" in answer["text"]
    added = message_with(stack, channel, "*Task 8*")
    # typed `<!here>` arrives escaped and is shown literally: it pings nobody
    assert "Check the CDN &lt;!here&gt; cache" in text_of(added) and "<!here>" not in json.dumps(added)
    assert "0 of 8 done" in checklist(stack, channel)


async def test_an_open_role_is_taken_by_reaction(stack: Stack):
    channel = await opened(stack)
    role = message_with(stack, channel, "*Customer liaison* is open")
    await react(stack, "erin", channel, role["ts"], "raising_hand")
    await stack.sandbox.wait_for(
        lambda: "took *Customer liaison*" in json.dumps(stack.sandbox.messages(channel))
    )
    await stack.sandbox.wait_for(
        lambda: (
            f"*Customer liaison*: <@{stack.person('erin')}>"
            in text_of(stack.sandbox.message(channel, role["ts"]))
        )
    )
    await react(stack, "bob", channel, role["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "already taken" in told(stack, "bob"))


async def test_commander_hand_off_needs_the_commander_or_a_manager(stack: Stack):
    channel = await opened(stack)
    denied = await stack.escalate("role commander @erin", user="bob", channel=channel)
    assert "Only the commander" in text_of(denied)
    done = await stack.escalate("role commander @erin", user="alice", channel=channel)
    assert "now holds *Escalation commander*" in done["text"]
    assert stack.sandbox.channel(channel)["topic"]["value"].endswith(f"Commander: <@{stack.person('erin')}>")
    # dave is a support manager (SWARMBOT_ESCALATION_MANAGERS): he may hand it on even from outside
    by_manager = await stack.escalate("role commander @bob", user="dave", channel=channel)
    assert "now holds" in by_manager["text"]
    async with stack.sessions() as session:
        assert (await session.scalar(select(Swarm.commander))) == stack.person("bob")
        holder = await session.scalar(
            select(RoleAssignment.user_id).where(RoleAssignment.role_key == "commander")
        )
        assert holder == stack.person("bob")


async def test_unknown_role_lists_the_swarms_roles(stack: Stack):
    channel = await opened(stack)
    answer = await stack.escalate("role pilot @bob", channel=channel)
    assert "This swarm has no role `pilot`" in text_of(answer) and "`liaison`" in text_of(answer)


async def test_stakeholders_hear_when_a_swarm_opens(stack: Stack):
    await opened(stack)
    [broadcast] = stack.sandbox.messages(stack.cast.feed_channel, system=False)
    assert "Escalation opened: ZD-50" in text_of(broadcast)


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_simultaneous_claims_on_two_processes_leave_exactly_one_owner(
    sandbox: Sandbox, cast: Cast, postgres_url: str, tmp_path: Path, clock
):
    from storage.db import create_engine, empty_database, session_factory
    from tests.conftest import _flushed_redis_url
    from tests.e2e.conftest import import_demo_experts
    from tests.e2e.processes import serve_process

    await empty_database(postgres_url)
    engine = create_engine(postgres_url)
    sessions = session_factory(engine)
    await import_demo_experts(sessions, cast, clock)
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": postgres_url,
        "REDIS_URL": _flushed_redis_url(),
    }
    with serve_process(env, tmp_path / "a.log") as first, serve_process(env, tmp_path / "b.log") as second:
        sandbox.request_url = first
        alice = cast.people["alice"]
        await Driver(sandbox, request_url=first).slash_command(
            "/escalate", "ZD-60 sev2 Reports empty", user_id=alice, channel_id=cast.support_channel
        )
        await sandbox.wait_for(lambda: sandbox.responses(user=alice), timeout=30)
        [channel] = [c["id"] for c in sandbox.channels() if c["name"].startswith("esc-zd-60")]
        task = next(m for m in sandbox.messages(channel, system=False) if "*Task 2*" in text_of(m))
        claimers = ["alice", "bob", "carol", "erin"]
        for who in claimers[1:]:
            await sandbox.human(cast.people[who]).join(channel)
        events = [
            {
                "type": "reaction_added",
                "user": cast.people[who],
                "reaction": "raising_hand",
                "item": {"type": "message", "channel": channel, "ts": task["ts"]},
                "item_user": sandbox.bot_user_id,
                "event_ts": task["ts"],
            }
            for who in claimers
        ]
        drivers = [Driver(sandbox, request_url=url) for url in (first, second, first, second)]
        answers = await asyncio.gather(*(d.event(e) for d, e in zip(drivers, events, strict=True)))
        assert all(a.status == 200 for a in answers)
        await sandbox.wait_for(
            lambda: "claimed by" in text_of(sandbox.message(channel, task["ts"])), timeout=15
        )
        await sandbox.wait_for(
            lambda: sum("already claimed" in json.dumps(e) for e in sandbox.ephemerals()) == 3, timeout=15
        )
    async with sessions() as session:
        owner = await session.scalar(select(Task.claimed_by).where(Task.position == 2))
    await engine.dispose()
    assert owner in [cast.people[who] for who in claimers]
    assert f"claimed by <@{owner}>" in text_of(sandbox.message(channel, task["ts"]))


async def test_a_claim_acked_by_a_process_that_died_before_doing_it_is_replayed_once(stack: Stack):
    channel = await opened(stack)
    task = message_with(stack, channel, "*Task 2*")
    await react(stack, "bob", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "claimed by" in text_of(stack.sandbox.message(channel, task["ts"])))
    for _ in range(100):  # the work goes on after the message changed: the checklist, then done
        async with stack.sessions() as session:
            taken = (
                await session.scalars(select(SlackEvent).where(SlackEvent.event_type == "reaction_added"))
            ).all()
        if taken and taken[0].done_at is not None:
            break
        await asyncio.sleep(0.05)
    assert len(taken) == 1 and taken[0].done_at is not None  # stored before the ack, done after the work
    async with stack.sessions() as session:
        # As if the process had died right after the ack: the claim never made, the event never done.
        await session.execute(update(Task).where(Task.position == 2).values(claimed_by=None, claimed_at=None))
        await session.execute(update(SlackEvent).where(SlackEvent.id == taken[0].id).values(done_at=None))
        await session.commit()
    services = Services.create(settings_for(stack.sandbox, stack.backend), clock=stack.clock)
    try:
        assert (await services.reconciler.run()).events_replayed == []  # too fresh: it may still be at work
        stack.clock.advance(timedelta(minutes=1))
        repairs = await services.reconciler.run()
        assert [line.split()[:2] for line in repairs.lines()[:-1]] == [["replayed", "reaction_added"]]
        assert (await services.reconciler.run()).events_replayed == []  # replayed once
    finally:
        await services.aclose()
    assert (await task_row(stack, 2)).claimed_by == stack.person("bob")


async def test_a_claim_whose_work_failed_on_slack_being_away_is_replayed_once_slack_is_back(stack: Stack):
    channel = await opened(stack)
    task = message_with(stack, channel, "*Task 2*")
    # Slack fails the membership check past the gateway's retries: the claim cannot be made now.
    stack.sandbox.set_faults(
        FaultConfig(error_rate=1.0, error_kinds=("http_503",), methods=frozenset({"conversations.members"}))
    )
    await react(stack, "bob", channel, task["ts"], "raising_hand")
    await stack.sandbox.wait_for(lambda: "Slack refused" in told(stack, "bob"), timeout=60)
    stack.sandbox.set_faults(FaultConfig())
    async with stack.sessions() as session:
        [event] = (
            await session.scalars(select(SlackEvent).where(SlackEvent.event_type == "reaction_added"))
        ).all()
    assert event.done_at is None  # explained, but left for a replay: a second try may succeed
    assert (await task_row(stack, 2)).claimed_by is None
    services = Services.create(settings_for(stack.sandbox, stack.backend), clock=stack.clock)
    try:
        stack.clock.advance(timedelta(minutes=1))
        repairs = await services.reconciler.run()
        assert [line.split()[:2] for line in repairs.lines()[:-1]] == [["replayed", "reaction_added"]]
        assert (await services.reconciler.run()).events_replayed == []  # done now
    finally:
        await services.aclose()
    assert (await task_row(stack, 2)).claimed_by == stack.person("bob")
