"""What the scheduler passes around: a job as handlers see it, its states, the retry policy, a repeat."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

PENDING = "pending"
RUNNING = "running"
DONE = "done"
CANCELLED = "cancelled"
FAILED = "failed"
LIVE_STATES = (PENDING, RUNNING)
FINISHED_STATES = (DONE, CANCELLED, FAILED)

KEY_LIMIT = 140  # the column holds 160: a finished job's key is retired as "<key>#<id>"


@dataclass(frozen=True)
class JobView:
    """One job row, read-only: what a handler is given and what the queue answers with."""

    id: int
    kind: str
    swarm_id: int | None
    key: str | None
    due_at: datetime
    payload: Mapping[str, Any]
    state: str
    attempts: int
    result: Mapping[str, Any] | None
    last_error: str | None
    lease_owner: str | None
    lease_until: datetime | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> JobView:
        """Build a view from a row mapping of the `jobs` table."""
        return cls(
            id=row["id"],
            kind=row["kind"],
            swarm_id=row["swarm_id"],
            key=row["key"],
            due_at=row["due_at"],
            payload=dict(row["payload"] or {}),
            state=row["state"],
            attempts=row["attempts"],
            result=dict(row["result"]) if row["result"] is not None else None,
            last_error=row["last_error"],
            lease_owner=row["lease_owner"],
            lease_until=row["lease_until"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff after a failed attempt; after `max_attempts` attempts the job is `failed`."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=15)
    factor: float = 2.0
    max_delay: timedelta = timedelta(minutes=15)

    def delay(self, attempts: int) -> timedelta:
        """How long to wait before the next attempt, after `attempts` attempts have failed."""
        seconds = self.first_delay.total_seconds() * self.factor ** max(0, attempts - 1)
        return min(self.max_delay, timedelta(seconds=seconds))


@dataclass(frozen=True)
class Repeat:
    """The next occurrence a handler asked for: created, under the same key, as the job completes."""

    due_at: datetime
    payload: Mapping[str, Any] | None = field(default=None)
