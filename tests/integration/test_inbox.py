"""The inbox of Slack events: stored once before the ack, handed back when their work died, then forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FrozenClock
from bot.inbox import KEEP_DONE, MAX_ATTEMPTS, REPLAY_AFTER, Inbox
from storage.db import create_engine, session_factory

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)


def event(event_id: str) -> dict[str, object]:
    return {"type": "event_callback", "event_id": event_id, "event": {"type": "reaction_added"}}


@pytest.fixture
async def inbox(database_url):
    engine = create_engine(database_url)
    clock = FrozenClock(NOW)
    yield Inbox(sessions=session_factory(engine), clock=clock), clock
    await engine.dispose()


async def test_an_event_is_taken_once_and_a_retry_of_it_is_recognised(inbox):
    events, _ = inbox
    assert await events.take(event("Ev1"))
    assert not await events.take(event("Ev1"))  # Slack's retry: same event_id
    assert await events.take(event("Ev2"))


async def test_only_events_left_undone_past_the_grace_are_handed_back_each_to_one_replayer(inbox):
    events, clock = inbox
    for event_id in ("Ev1", "Ev2"):
        await events.take(event(event_id))
    await events.done("Ev2")
    assert await events.abandoned() == []  # Ev1 may still be at work
    clock.advance(REPLAY_AFTER + timedelta(seconds=1))
    (pending,) = await events.abandoned()
    assert pending.event_id == "Ev1" and pending.event_type == "reaction_added"
    assert await events.retake(pending)
    assert not await events.retake(pending)  # a second replayer loses
    assert await events.abandoned() == []  # the replay has its own grace


async def test_an_event_is_given_up_after_its_attempts(inbox):
    events, clock = inbox
    await events.take(event("Ev1"))
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(REPLAY_AFTER * 2)
        (pending,) = await events.abandoned()
        assert await events.retake(pending)
    clock.advance(REPLAY_AFTER * 2)
    assert await events.abandoned() == []


async def test_done_events_are_forgotten_after_a_day_and_undone_ones_kept(inbox):
    events, clock = inbox
    await events.take(event("Ev1"))
    await events.take(event("Ev2"))
    await events.done("Ev1")
    clock.advance(KEEP_DONE + timedelta(minutes=1))
    assert await events.forget_done() == 1
    assert not await events.take(event("Ev2"))
    assert await events.take(event("Ev1"))  # forgotten: Slack stopped retrying it long ago


async def test_slacks_retry_takes_an_event_again_only_while_its_work_is_unfinished(inbox):
    events, _ = inbox
    await events.take(event("Ev1"))
    assert await events.take_again("Ev1")  # stored, then the process died before its ack
    await events.done("Ev1")
    assert not await events.take_again("Ev1")  # done: the retry is a duplicate
    await events.take(event("Ev2"))
    for _ in range(MAX_ATTEMPTS - 1):
        assert await events.take_again("Ev2")
    assert not await events.take_again("Ev2")  # tried enough
