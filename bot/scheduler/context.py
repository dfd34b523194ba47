"""What a job handler is given: the job, and a context to record what it did and ask to run again."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import Clock
from bot.scheduler.jobs import JobView, Repeat

if TYPE_CHECKING:
    from bot.scheduler.queue import JobQueue


class JobContext:
    """A handler's link to its job while this worker holds the lease."""

    def __init__(self, *, queue: JobQueue, job: JobView, owner: str, clock: Clock) -> None:
        self.job = job
        self.owner = owner
        self.clock = clock
        self._queue = queue
        self._result: dict[str, Any] = dict(job.result or {})
        self.repeat: Repeat | None = None

    @property
    def result(self) -> Mapping[str, Any]:
        """What this job recorded so far, in this run or an earlier one."""
        return MappingProxyType(self._result)

    async def record(self, values: Mapping[str, Any]) -> None:
        """Merge `values` into the job's result and store it now; raises LeaseLost if the lease is gone.

        Record each outside effect (a posted ts, a created id) as soon as it happens, so a retry after a
        crash sees it and does not repeat it.
        """
        merged = {**self._result, **values}
        await self._queue.record_result(self.job.id, self.owner, merged)
        self._result = merged

    def repeat_at(self, due_at: datetime, *, payload: Mapping[str, Any] | None = None) -> None:
        """Run this job again at `due_at` (same kind, swarm and key; `payload` replaces it if given).

        The next occurrence is created in the transaction that marks this one done, so it exists exactly
        once whatever crashes.
        """
        if due_at.tzinfo is None:
            raise ValueError("due times must be timezone-aware")
        self.repeat = Repeat(due_at=due_at, payload=payload)


class JobHandler(Protocol):
    """Runs one kind of job. It must be idempotent: a job can run again after a crash."""

    async def __call__(self, job: JobView, context: JobContext) -> None: ...
