"""Atomic claiming of due jobs with a lease, one strategy per dialect.

Postgres: one statement, `WITH picked AS (SELECT id … FOR UPDATE SKIP LOCKED LIMIT n) UPDATE … RETURNING`.
Row locks make the pick and the update one step: a row another transaction is claiming is skipped, and a
row it claimed and committed is re-checked against the WHERE clause (READ COMMITTED re-evaluates locked
rows) and no longer matches. Any number of workers can claim at once and never share a row.

SQLite: one `UPDATE … WHERE state = 'pending' AND id IN (SELECT … LIMIT n) RETURNING` — a compare-and-set
over the picked rows. SQLite runs one writer at a time and evaluates the WHERE clause under the write
lock, so two claimers (threads, engines or processes on one file) serialise and the second sees the
first one's `running` rows as taken. The statement writes first, so it never has to upgrade a read
snapshot to a write (which SQLite refuses with "database is locked" instead of waiting).

Both: before claiming, rows whose lease lapsed (`running` with `lease_until < now`, their worker died)
become `pending` again in the same transaction, keeping their due time, so they are picked first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, Update, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler.jobs import PENDING, RUNNING, JobView
from storage.models import Job

JOBS = cast(Table, Job.__table__)


async def claim_due(
    session: AsyncSession, *, owner: str, now: datetime, lease_until: datetime, limit: int
) -> list[JobView]:
    """Claim up to `limit` jobs due at `now` for `owner` until `lease_until`; commit is the caller's."""
    if limit <= 0:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    await session.execute(_reclaim_lapsed(now=now, postgres=postgres))
    claim = _claim_postgres if postgres else _claim_sqlite
    rows = (
        await session.execute(claim(owner=owner, now=now, lease_until=lease_until, limit=limit))
    ).mappings()
    return sorted((JobView.from_row(row) for row in rows), key=lambda job: (job.due_at, job.id))


def _reclaim_lapsed(*, now: datetime, postgres: bool) -> Update:
    lapsed = select(JOBS.c.id).where(JOBS.c.state == RUNNING, JOBS.c.lease_until < now)
    if postgres:
        lapsed = lapsed.with_for_update(skip_locked=True)
    return (
        update(JOBS)
        .where(JOBS.c.id.in_(lapsed.scalar_subquery()), JOBS.c.state == RUNNING, JOBS.c.lease_until < now)
        .values(state=PENDING, lease_owner=None, lease_until=None)
    )


def _claimed(owner: str, lease_until: datetime) -> dict[str, Any]:
    return {
        "state": RUNNING,
        "lease_owner": owner,
        "lease_until": lease_until,
        "attempts": JOBS.c.attempts + 1,  # counted at claim, so a job that kills its worker runs out
    }


def _due(now: datetime, limit: int) -> Any:
    return (
        select(JOBS.c.id)
        .where(JOBS.c.state == PENDING, JOBS.c.due_at <= now)
        .order_by(JOBS.c.due_at, JOBS.c.id)
        .limit(limit)
    )


def _claim_postgres(*, owner: str, now: datetime, lease_until: datetime, limit: int) -> Any:
    picked = _due(now, limit).with_for_update(skip_locked=True).cte("picked")
    return (
        update(JOBS).where(JOBS.c.id == picked.c.id).values(**_claimed(owner, lease_until)).returning(*JOBS.c)
    )


def _claim_sqlite(*, owner: str, now: datetime, lease_until: datetime, limit: int) -> Any:
    return (
        update(JOBS)
        .where(JOBS.c.id.in_(_due(now, limit).scalar_subquery()), JOBS.c.state == PENDING)
        .values(**_claimed(owner, lease_until))
        .returning(*JOBS.c)
    )
