"""JobQueue: jobs as rows. Services schedule, move and cancel them; workers claim, record and finish them.

Keys. A job may carry a logical key (e.g. `status_reminder:42`); at most one *live* (pending or running)
job holds a key. `schedule(kind, key=K, …)`:
- no live job holds K: a new job is created;
- a pending job holds K: that job is moved in place to the new `due_at`, `payload` and `swarm_id` (the
  latest call wins; its attempts and recorded result are kept) and its id returned — so repeating a
  call is harmless;
- a running job holds K: nothing changes and its id is returned; the run under way is the occurrence.
  A handler that wants another occurrence after itself asks for it with `JobContext.repeat_at`.
When a job finishes (done, cancelled or failed) its key is retired to `K#<id>`, freeing K for the next
job while keeping the history readable. Keys are at most 140 characters, and belong to one kind.

Leases. `record_result`, `renew`, `complete`, `fail` and `release` write only while `owner` still holds
the job (`state = 'running' AND lease_owner = owner`); otherwise they change nothing and say so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, String, func, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from bot.clock import Clock
from bot.coordination import Coordinator
from bot.scheduler.claims import JOBS, claim_due
from bot.scheduler.errors import LeaseLost, SchedulerError
from bot.scheduler.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    KEY_LIMIT,
    LIVE_STATES,
    PENDING,
    RUNNING,
    JobView,
    Repeat,
    RetryPolicy,
)
from storage.db import SessionFactory

log = logging.getLogger(__name__)

WAKE_TOPIC = "scheduler"
ERROR_LIMIT = 4000


class JobQueue:
    """Durable jobs in the database; `coordinator` wakes sleeping workers when a job comes due sooner."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        clock: Clock,
        coordinator: Coordinator,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.coordinator = coordinator
        self.retry = retry or RetryPolicy()

    # -- services: schedule, move, cancel, look ------------------------------------------------------

    async def schedule(
        self,
        kind: str,
        *,
        due_at: datetime,
        swarm_id: int | None = None,
        payload: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> int:
        """Schedule a job of `kind` at `due_at` and return its id; idempotent on `key` (see the module)."""
        _check_aware(due_at)
        if key is not None and not 0 < len(key) <= KEY_LIMIT:
            raise ValueError(f"job keys are 1 to {KEY_LIMIT} characters, not {len(key)}")
        earliest = await self.next_due()
        values = {"due_at": due_at, "swarm_id": swarm_id, "payload": dict(payload or {})}
        # Two schedulers of a new key race on the unique index; the loser reads what the winner wrote.
        for _ in range(5):
            try:
                async with self.sessions.begin() as session:
                    live = None
                    if key is not None:
                        found = await session.execute(
                            select(JOBS.c.id, JOBS.c.kind, JOBS.c.state).where(
                                JOBS.c.key == key, JOBS.c.state.in_(LIVE_STATES)
                            )
                        )
                        live = found.first()
                    if live is not None:
                        if live.kind != kind:
                            raise ValueError(f"job key {key!r} belongs to a {live.kind!r} job, not {kind!r}")
                        if live.state == RUNNING:
                            return int(live.id)
                        moved = await session.execute(
                            update(JOBS).where(JOBS.c.id == live.id, JOBS.c.state == PENDING).values(**values)
                        )
                        if _rowcount(moved) == 0:
                            continue  # claimed or cancelled meanwhile: look again
                        job_id = int(live.id)
                    else:
                        created = await session.execute(
                            insert(JOBS)
                            .values(
                                kind=kind,
                                key=key,
                                state=PENDING,
                                attempts=0,
                                created_at=self.clock.now(),
                                **values,
                            )
                            .returning(JOBS.c.id)
                        )
                        job_id = int(created.scalar_one())
            except IntegrityError:
                if key is None:
                    raise
                continue
            await self._wake_if_sooner(due_at, earliest)
            return job_id
        raise SchedulerError(f"could not schedule the job with key {key!r}: it keeps changing")

    async def reschedule(self, key: str, due_at: datetime) -> bool:
        """Move the pending job holding `key` to `due_at`; False if no pending job holds it."""
        _check_aware(due_at)
        earliest = await self.next_due()
        async with self.sessions.begin() as session:
            moved = await session.execute(
                update(JOBS).where(JOBS.c.key == key, JOBS.c.state == PENDING).values(due_at=due_at)
            )
        if _rowcount(moved) == 0:
            return False
        await self._wake_if_sooner(due_at, earliest)
        return True

    async def cancel(self, key: str) -> bool:
        """Cancel the live job holding `key` (a running one cannot finish it any more); False if none."""
        return await self._cancel(JOBS.c.key == key) > 0

    async def cancel_for_swarm(self, swarm_id: int, kinds: Iterable[str] | None = None) -> int:
        """Cancel the swarm's live jobs (only those of `kinds`, if given); return how many."""
        condition = JOBS.c.swarm_id == swarm_id
        if kinds is not None:
            condition = condition & JOBS.c.kind.in_(list(kinds))
        return await self._cancel(condition)

    async def _cancel(self, condition: ColumnElement[bool]) -> int:
        async with self.sessions.begin() as session:
            cancelled = await session.execute(
                update(JOBS)
                .where(condition, JOBS.c.state.in_(LIVE_STATES))
                .values(**self._finished(CANCELLED), lease_owner=None, lease_until=None)
            )
        return _rowcount(cancelled)

    async def next_due(self) -> datetime | None:
        """When the earliest pending job is due, or None when nothing is pending."""
        async with self.sessions() as session:
            earliest: datetime | None = await session.scalar(
                select(func.min(JOBS.c.due_at)).where(JOBS.c.state == PENDING)
            )
        return earliest

    async def pending(self, swarm_id: int | None = None, kind: str | None = None) -> list[JobView]:
        """Live jobs (pending or running), soonest first, optionally of one swarm and one kind."""
        query = select(JOBS).where(JOBS.c.state.in_(LIVE_STATES))
        if swarm_id is not None:
            query = query.where(JOBS.c.swarm_id == swarm_id)
        if kind is not None:
            query = query.where(JOBS.c.kind == kind)
        async with self.sessions() as session:
            rows = (await session.execute(query.order_by(JOBS.c.due_at, JOBS.c.id))).mappings()
            return [JobView.from_row(row) for row in rows]

    async def get(self, job_id: int) -> JobView | None:
        """One job by id, whatever its state."""
        async with self.sessions() as session:
            row = (await session.execute(select(JOBS).where(JOBS.c.id == job_id))).mappings().first()
        return JobView.from_row(row) if row is not None else None

    # -- workers: claim, record, renew, finish -------------------------------------------------------

    async def claim(self, owner: str, *, limit: int, lease: float) -> list[JobView]:
        """Atomically take up to `limit` due jobs for `owner`, leased for `lease` seconds."""
        now = self.clock.now()
        async with self.sessions.begin() as session:
            return await claim_due(session, owner=owner, now=now, lease_until=_after(now, lease), limit=limit)

    async def record_result(self, job_id: int, owner: str, result: Mapping[str, Any]) -> None:
        """Replace the job's `result` (what it did so far); raise LeaseLost unless `owner` holds it."""
        async with self.sessions.begin() as session:
            written = await session.execute(
                update(JOBS).where(self._held(job_id, owner)).values(result=dict(result))
            )
        if _rowcount(written) == 0:
            raise LeaseLost(job_id, owner)

    async def renew(self, owner: str, job_ids: Sequence[int], *, lease: float) -> set[int]:
        """Extend `owner`'s leases on `job_ids` by `lease` seconds from now; return the ids still held."""
        if not job_ids:
            return set()
        async with self.sessions.begin() as session:
            renewed = await session.execute(
                update(JOBS)
                .where(JOBS.c.id.in_(list(job_ids)), JOBS.c.state == RUNNING, JOBS.c.lease_owner == owner)
                .values(lease_until=_after(self.clock.now(), lease))
                .returning(JOBS.c.id)
            )
            return set(renewed.scalars())

    async def complete(self, job_id: int, owner: str, *, repeat: Repeat | None = None) -> bool:
        """Mark the job done (and create its next occurrence, if asked, in the same transaction)."""
        async with self.sessions.begin() as session:
            done = await session.execute(
                update(JOBS)
                .where(self._held(job_id, owner))
                .values(**self._finished(DONE), lease_owner=None, lease_until=None)
                .returning(JOBS.c.kind, JOBS.c.swarm_id, JOBS.c.payload, JOBS.c.key)
            )
            finished = done.first()
            if finished is None:
                return False
            if repeat is not None:
                _check_aware(repeat.due_at)
                key = finished.key.rsplit("#", 1)[0] if finished.key else None
                payload = dict(repeat.payload) if repeat.payload is not None else finished.payload
                await session.execute(
                    insert(JOBS).values(
                        kind=finished.kind,
                        swarm_id=finished.swarm_id,
                        key=key,
                        due_at=repeat.due_at,
                        payload=payload,
                        state=PENDING,
                        attempts=0,
                        created_at=self.clock.now(),
                    )
                )
        # No wake-up for the next occurrence: it is due later, and workers look again within their poll.
        return True

    async def fail(self, job_id: int, owner: str, error: str, *, retry: bool = True) -> str | None:
        """Record a failed attempt: back to `pending` after a backoff, or `failed` once attempts run out.

        Returns the job's new state, or None if `owner` no longer held it.
        """
        error = error[:ERROR_LIMIT]
        async with self.sessions.begin() as session:
            attempts = await session.scalar(select(JOBS.c.attempts).where(self._held(job_id, owner)))
            if attempts is None:
                return None
            if retry and attempts < self.retry.max_attempts:
                values: dict[str, Any] = {
                    "state": PENDING,
                    "due_at": self.clock.now() + self.retry.delay(attempts),
                    "last_error": error,
                }
            else:
                values = {**self._finished(FAILED), "last_error": error}
            changed = await session.execute(
                update(JOBS)
                .where(self._held(job_id, owner), JOBS.c.attempts == attempts)
                .values(**values, lease_owner=None, lease_until=None)
            )
            if _rowcount(changed) == 0:
                return None
        if values["state"] == FAILED:
            log.error("job %s failed for good after %s attempts: %s", job_id, attempts, error)
        return str(values["state"])

    async def release(self, job_ids: Sequence[int], owner: str, *, refund: bool) -> int:
        """Hand held jobs back as pending, due as before; `refund` gives back the attempt (never started)."""
        if not job_ids:
            return 0
        values: dict[str, Any] = {"state": PENDING, "lease_owner": None, "lease_until": None}
        if refund:
            values["attempts"] = JOBS.c.attempts - 1
        async with self.sessions.begin() as session:
            released = await session.execute(
                update(JOBS)
                .where(JOBS.c.id.in_(list(job_ids)), JOBS.c.state == RUNNING, JOBS.c.lease_owner == owner)
                .values(**values)
            )
        if _rowcount(released):
            await self.coordinator.wake(WAKE_TOPIC)
        return _rowcount(released)

    # -- helpers -------------------------------------------------------------------------------------

    def _held(self, job_id: int, owner: str) -> ColumnElement[bool]:
        return (JOBS.c.id == job_id) & (JOBS.c.state == RUNNING) & (JOBS.c.lease_owner == owner)

    def _finished(self, state: str) -> dict[str, Any]:
        # Retire the key so the next job may hold it; NULL stays NULL.
        return {
            "state": state,
            "finished_at": self.clock.now(),
            "key": JOBS.c.key + "#" + sql_cast(JOBS.c.id, String),
        }

    async def _wake_if_sooner(self, due_at: datetime, earliest: datetime | None) -> None:
        # Workers sleep until the earliest pending job (or their poll bound): only a sooner one needs them.
        if earliest is None or due_at < earliest:
            try:
                await self.coordinator.wake(WAKE_TOPIC)
            except Exception:  # the job is stored; a missed wake-up costs at most one poll interval
                log.warning("could not wake the scheduler workers", exc_info=True)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("due times must be timezone-aware")
