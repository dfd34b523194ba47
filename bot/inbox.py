"""The inbox of Slack events: written down before the ack, marked done after the work.

Slack needs an event acknowledged within 3 seconds, and it never sends an acknowledged event again. The
work after the ack (claiming a task, recording who joined) may outlive the process doing it: a deploy, a
crash or kill -9 between the ack and the end of the work would lose the event. So each event is stored
before its ack; its work marks it done; the reconciler replays events left undone for longer than any
work takes (`REPLAY_AFTER`), at most `MAX_ATTEMPTS` times. The unique event_id also recognises Slack's
retries of an event (same event_id), which are acknowledged and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.records import affected
from storage.db import SessionFactory
from storage.models import SlackEvent

REPLAY_AFTER = timedelta(seconds=10)  # work on an event takes a second or two; ten is long dead
MAX_ATTEMPTS = 3  # the first delivery and two replays; an event that kills its process is not tried forever
KEEP_DONE = timedelta(days=1)  # Slack retries for minutes; a day of done events is plenty to recognise them


@dataclass(frozen=True)
class PendingEvent:
    """An event whose work never finished."""

    id: int
    event_id: str
    event_type: str
    body: dict[str, Any]
    attempts: int


class Inbox:
    """Stores events before their ack; hands back the ones whose work died."""

    def __init__(self, *, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def take(self, body: dict[str, Any]) -> bool:
        """Store the event of `body`; False if it was stored before (a retry of an event already taken)."""
        event = body.get("event") or {}
        async with self._sessions() as session:
            try:
                await session.execute(
                    insert(SlackEvent).values(
                        event_id=str(body["event_id"]),
                        event_type=str(event.get("type") or "")[:64],
                        body=body,
                        received_at=self._clock.now(),
                        attempts=1,
                    )
                )
                await session.commit()
            except IntegrityError:
                return False
        return True

    async def take_again(self, event_id: str) -> bool:
        """Take a stored event again for Slack's retry of it, if its work never finished.

        Slack retries only when it did not get the ack: the process that stored the event died before
        answering (or answered too late). False when the work is done, or was tried too often.
        """
        async with self._sessions() as session:
            taken = await session.execute(
                update(SlackEvent)
                .where(
                    SlackEvent.event_id == event_id,
                    SlackEvent.done_at.is_(None),
                    SlackEvent.attempts < MAX_ATTEMPTS,
                )
                .values(attempts=SlackEvent.attempts + 1, received_at=self._clock.now())
            )
            await session.commit()
        return affected(taken) == 1

    async def done(self, event_id: str) -> None:
        """The event's work has finished (or failed and was explained): never replay it."""
        async with self._sessions() as session:
            await session.execute(
                update(SlackEvent)
                .where(SlackEvent.event_id == event_id, SlackEvent.done_at.is_(None))
                .values(done_at=self._clock.now())
            )
            await session.commit()

    async def abandoned(self, limit: int = 100) -> list[PendingEvent]:
        """Events whose work started over `REPLAY_AFTER` ago and never finished, oldest first."""
        cutoff = self._clock.now() - REPLAY_AFTER
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(SlackEvent)
                    .where(
                        SlackEvent.done_at.is_(None),
                        SlackEvent.received_at < cutoff,
                        SlackEvent.attempts < MAX_ATTEMPTS,
                    )
                    .order_by(SlackEvent.received_at)
                    .limit(limit)
                )
            ).all()
        return [PendingEvent(r.id, r.event_id, r.event_type, r.body, r.attempts) for r in rows]

    async def retake(self, event: PendingEvent) -> bool:
        """Claim an abandoned event for a replay; False if another process claimed it first."""
        async with self._sessions() as session:
            claimed = await session.execute(
                update(SlackEvent)
                .where(
                    SlackEvent.id == event.id,
                    SlackEvent.done_at.is_(None),
                    SlackEvent.attempts == event.attempts,
                )
                .values(attempts=event.attempts + 1, received_at=self._clock.now())
            )
            await session.commit()
        return affected(claimed) == 1

    async def forget_done(self) -> int:
        """Delete events done more than `KEEP_DONE` ago; how many."""
        async with self._sessions() as session:
            deleted = await session.execute(
                delete(SlackEvent).where(SlackEvent.done_at < self._clock.now() - KEEP_DONE)
            )
            await session.commit()
        return affected(deleted)
