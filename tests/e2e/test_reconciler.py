"""The reconciler (`swarmbot doctor` and a periodic job) finishes what a crash or an outage left half-done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from bot.sandbox import FaultConfig
from bot.scheduler import Worker
from bot.scheduler.registry import job_handlers
from bot.services import Services
from bot.swarm_clocks import START, SwarmClocks
from storage.models import Invitation, Job, RoleAssignment, Swarm, Task
from tests.e2e.conftest import Stack, settings_for, text_of


async def test_a_half_built_swarm_is_finished_and_lost_clocks_restarted(stack: Stack):
    stack.sandbox.set_faults(
        FaultConfig(error_rate=1.0, error_kinds=("internal_error",), methods=frozenset({"pins.add"}))
    )
    answer = await stack.escalate("ZD-95 sev2 Exports slow")
    assert "Slack failed" in str(answer)
    stack.sandbox.set_faults(FaultConfig())
    services = Services.create(settings_for(stack.sandbox, stack.backend), clock=stack.clock)
    try:
        nothing_yet = await services.reconciler.run()  # too fresh: someone may still be building it
        assert nothing_yet.finished == []
        stack.clock.advance(timedelta(minutes=3))
        repairs = await services.reconciler.run()
        assert [line.split()[0] for line in repairs.lines()[:-1]] == ["finished"]
        channel = stack.channel_named("esc-zd-95")
        assert len(stack.sandbox.pins(channel["id"])) == 2
        async with stack.sessions() as session:
            assert (await session.scalar(select(Swarm.status))) == "open"
            await session.execute(delete(Job))  # as if the clocks were lost with a database restore
            await session.commit()
        again = await services.reconciler.run()
        assert again.clocks_started and not again.finished
        assert await services.jobs.pending(kind="status_reminder")
        assert (await services.reconciler.run()).lines() == ["all swarms are whole"]
    finally:
        await services.aclose()


async def test_a_resolved_swarm_without_its_archive_job_gets_one(stack: Stack):
    await stack.escalate("ZD-96 sev2 Exports slow")
    async with stack.sessions() as session:
        await session.execute(update(Swarm).values(status="resolved"))
        await session.execute(delete(Job))
        await session.commit()
    services = Services.create(settings_for(stack.sandbox, stack.backend), clock=stack.clock)
    try:
        repairs = await services.reconciler.run()
        assert len(repairs.archives_scheduled) == 1
        assert await services.jobs.pending(kind="archive_swarm")
    finally:
        await services.aclose()


async def test_messages_posted_by_a_build_that_died_before_recording_them_are_not_posted_again(stack: Stack):
    await stack.escalate("ZD-97 sev1 outage #postgres Checkout down")
    channel = stack.channel_named("esc-zd-97")["id"]
    posted = [m["ts"] for m in stack.sandbox.messages(channel, system=False)]
    async with stack.sessions() as session:
        # As if the process died after Slack answered each post but before the ts was written down.
        await session.execute(
            update(Swarm).values(
                status="opening",
                brief_ts=None,
                experts_posted=False,
                checklist_ts=None,
                open_broadcast_sent=False,
            )
        )
        await session.execute(update(Task).values(message_ts=None))
        await session.execute(update(RoleAssignment).values(message_ts=None))
        dms = {i.id: (i.dm_channel, i.dm_ts) for i in await session.scalars(select(Invitation))}
        assert dms and all(channel and ts for channel, ts in dms.values())
        await session.execute(update(Invitation).values(dm_ts=None))  # the DMs went out, unrecorded
        await session.commit()
    services = Services.create(settings_for(stack.sandbox, stack.backend), clock=stack.clock)
    try:
        stack.clock.advance(timedelta(minutes=3))
        repairs = await services.reconciler.run()
        assert [line.split()[0] for line in repairs.lines()[:-1]] == ["finished"]
    finally:
        await services.aclose()
    assert [m["ts"] for m in stack.sandbox.messages(channel, system=False)] == posted
    feed = [text_of(m) for m in stack.sandbox.messages(stack.cast.feed_channel, system=False)]
    assert sum("Escalation opened: ZD-97" in text for text in feed) == 1
    for dm in {channel for channel, _ in dms.values()}:  # found, not sent again
        recorded = sorted(ts for channel, ts in dms.values() if channel == dm)
        assert [m["ts"] for m in stack.sandbox.messages(dm, system=False)] == recorded
    async with stack.sessions() as session:
        assert {i.id: (i.dm_channel, i.dm_ts) for i in await session.scalars(select(Invitation))} == dms
    async with stack.sessions() as session:
        swarm = await session.scalar(select(Swarm))
        assert swarm is not None and swarm.status == "open"
        assert swarm.brief_ts in posted and swarm.checklist_ts in posted
        task_ts = (await session.scalars(select(Task.message_ts))).all()
        assert len(task_ts) > 1 and set(task_ts) <= set(posted)


async def test_clocks_a_crash_kept_from_starting_are_started_by_the_backstop_within_a_minute(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
):
    stack.sandbox.set_faults(
        FaultConfig(error_rate=1.0, error_kinds=("internal_error",), methods=frozenset({"pins.add"}))
    )
    await stack.escalate("ZD-98 sev2 Exports slow")  # half built: finished below by the reconciler
    stack.sandbox.set_faults(FaultConfig())

    async def dies(self: SwarmClocks, swarm_id: int) -> None:
        raise ProcessDied("killed between marking the swarm ready and starting its clocks")

    monkeypatch.setattr(SwarmClocks, "start", dies)
    services = Services.create(settings_for(stack.sandbox, stack.backend), clock=stack.clock)
    try:
        stack.clock.advance(timedelta(minutes=3))
        with pytest.raises(ProcessDied):
            await services.reconciler.run()
        async with stack.sessions() as session:
            assert (await session.scalar(select(Swarm.status))) == "open"
        assert [job.kind for job in await services.jobs.pending()] == [START]
    finally:
        await services.aclose()
    monkeypatch.undo()

    services = Services.create(settings_for(stack.sandbox, stack.backend), clock=stack.clock)
    try:
        worker = Worker(
            queue=services.jobs,
            handlers=job_handlers(services),
            clock=stack.clock,
            coordinator=services.coordinator,
            owner="test-worker",
        )
        stack.clock.advance(timedelta(minutes=1))
        assert await worker.run_once() == 1
        kinds = sorted(job.kind for job in await services.jobs.pending())
        assert "status_reminder" in kinds and START not in kinds
        assert (await services.reconciler.run()).lines() == ["all swarms are whole"]
    finally:
        await services.aclose()


async def test_a_swarm_whose_clocks_started_leaves_no_backstop_behind(stack: Stack):
    await stack.escalate("ZD-99 sev2 Exports slow")
    async with stack.sessions() as session:
        kinds = (await session.scalars(select(Job.kind).where(Job.state == "pending"))).all()
    assert "status_reminder" in kinds and START not in kinds


class ProcessDied(Exception):
    pass
