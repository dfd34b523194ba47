"""A resolution's notices go out once each, even when Slack fails them or the process dies part-way."""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.resolution_notices import MARK
from bot.sandbox import FaultConfig
from storage.models import Job, Swarm, TimelineEntry
from tests.e2e.conftest import Scheduler, Stack, count, opened, text_of

SLACK_DOWN = FaultConfig(error_rate=1.0, error_kinds=("http_503",), methods=frozenset({"chat.postMessage"}))


def surveys_sent(stack: Stack, user: str) -> int:
    return sum(
        "How well did the swarm handle it?" in text_of(message)
        for channel in stack.sandbox.channels(include_dms=True)
        if channel.get("is_im") and user in stack.sandbox.members(channel["id"])
        for message in stack.sandbox.messages(channel["id"], system=False)
    )


def stakeholder_dms(stack: Stack, headline: str) -> int:
    return sum(
        headline in text_of(message)
        for channel in stack.sandbox.channels(include_dms=True)
        if channel.get("is_im")
        for message in stack.sandbox.messages(channel["id"], system=False)
    )


async def pending_kinds(stack: Stack) -> list[str]:
    async with stack.sessions() as session:
        return sorted((await session.scalars(select(Job.kind).where(Job.state == "pending"))).all())


async def test_notices_slack_refused_are_sent_by_the_backstop_once_slack_answers(
    stack: Stack, scheduler: Scheduler
):
    channel = await opened(stack, "ZD-60 sev2 Reports slow")
    stack.sandbox.set_faults(SLACK_DOWN)
    answer = await stack.escalate("resolve Rebuilt the index", channel=channel)
    assert "Resolved." in text_of(answer)  # the resolution is stored whatever Slack does
    assert count(stack, channel, "resolved* by") == 0
    assert await pending_kinds(stack) == ["archive_swarm", "resolution_notices"]
    stack.sandbox.set_faults(FaultConfig())
    await scheduler.after(2)
    assert count(stack, channel, "resolved* by") == 1
    assert count(stack, channel, "Review") == 1
    assert surveys_sent(stack, stack.person("alice")) == 1
    feed = [text_of(m) for m in stack.sandbox.messages(stack.cast.feed_channel, system=False)]
    assert sum("Escalation resolved: ZD-60" in text for text in feed) == 1
    async with stack.sessions() as session:
        assert (await session.scalar(select(Swarm.resolution_ts))) is not None
    assert await pending_kinds(stack) == ["archive_swarm"]
    await scheduler.after(2)
    assert count(stack, channel, "resolved* by") == 1


async def test_a_crash_after_sending_does_not_send_again(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-61 sev2 Reports slow")
    await stack.escalate("role csm @carol", channel=channel)
    await stack.escalate("resolve Rebuilt the index", channel=channel)
    assert await pending_kinds(stack) == ["archive_swarm"]  # everything went out: no backstop left
    dms_before = stakeholder_dms(stack, "Escalation resolved: ZD-61")
    assert dms_before == 1  # the account team heard
    # As if the process died after sending every notice, before recording any.
    async with stack.sessions() as session:
        swarm = await session.scalar(select(Swarm))
        marks = (await session.scalars(select(TimelineEntry).where(TimelineEntry.kind == MARK))).all()
        assert sorted(mark.detail["part"] for mark in marks) == [
            "announcement",
            "csat",
            "review",
            "stakeholders",
        ]
        await session.execute(delete(TimelineEntry).where(TimelineEntry.id.in_([m.id for m in marks])))
        await session.commit()
        assert swarm.resolved_at is not None
    services = scheduler.services
    archive_at = stack.clock.now()
    await services.resolutions.notices.guard(swarm.id, resolved_at=swarm.resolved_at, archive_at=archive_at)
    await scheduler.after(2)
    assert count(stack, channel, "resolved* by") == 1
    assert count(stack, channel, "Review") == 1
    assert surveys_sent(stack, stack.person("alice")) == 1
    feed = [text_of(m) for m in stack.sandbox.messages(stack.cast.feed_channel, system=False)]
    assert sum("Escalation resolved: ZD-61" in text for text in feed) == 1
    assert stakeholder_dms(stack, "Escalation resolved: ZD-61") == dms_before
    async with stack.sessions() as session:
        parts = (await session.scalars(select(TimelineEntry.detail).where(TimelineEntry.kind == MARK))).all()
        assert sorted(part["part"] for part in parts) == ["announcement", "csat", "review", "stakeholders"]


async def test_a_reopened_swarm_resolved_again_announces_again(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-62 sev2 Reports slow")
    await stack.escalate("resolve Rebuilt the index", channel=channel)
    await stack.escalate("reopen ZD-62", channel=channel)
    await scheduler.after(1)
    await stack.escalate("resolve Rebuilt it again", channel=channel)
    assert count(stack, channel, "resolved* by") == 2
    assert surveys_sent(stack, stack.person("alice")) == 2


async def test_the_backstop_gives_up_on_a_channel_slack_will_never_take(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-63 sev2 Reports slow")
    stack.sandbox.set_faults(SLACK_DOWN)
    await stack.escalate("resolve Rebuilt the index", channel=channel)
    stack.sandbox.set_faults(FaultConfig())
    # Someone archived it by hand before the backstop ran.
    await stack.sandbox.human(stack.person("alice")).client.conversations_archive(channel=channel)
    await scheduler.after(2)
    assert surveys_sent(stack, stack.person("alice")) == 1  # what can still go out, goes
    async with stack.sessions() as session:
        parts = (await session.scalars(select(TimelineEntry.detail).where(TimelineEntry.kind == MARK))).all()
    given_up = {part["part"]: part.get("problem") for part in parts}
    assert given_up["announcement"] == "is_archived"
    assert await pending_kinds(stack) == ["archive_swarm"]
