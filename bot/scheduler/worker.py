"""Worker: claims due jobs, runs their handlers a bounded number at a time, and finishes or fails them.

A worker holds what it claimed under a lease it renews while handlers run; if it dies the leases lapse
and any other worker takes the jobs over. It sleeps until the next job is due, a wake-up arrives (a job
due sooner was scheduled) or `poll` seconds pass, whichever comes first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress

from bot.clock import Clock
from bot.coordination import Coordinator
from bot.scheduler.context import JobContext, JobHandler
from bot.scheduler.errors import LeaseLost, PermanentJobError
from bot.scheduler.jobs import JobView
from bot.scheduler.queue import WAKE_TOPIC, JobQueue

log = logging.getLogger(__name__)

MIN_SLEEP = 0.01  # due rows another worker is claiming right now: look again shortly, do not spin
STOP_CHECK = 0.5  # longest an idle worker takes to notice it should stop


class Worker:
    """Runs due jobs with the handler registered for their kind."""

    def __init__(
        self,
        *,
        queue: JobQueue,
        handlers: Mapping[str, JobHandler],
        clock: Clock,
        coordinator: Coordinator,
        owner: str,
        batch: int = 20,
        concurrency: int | None = None,
        lease: float = 60.0,
        poll: float = 1.0,
        grace: float = 20.0,
        renew_every: float | None = None,
    ) -> None:
        if batch < 1 or (concurrency is not None and concurrency < 1):
            raise ValueError("batch and concurrency must be at least 1")
        if len(owner) > 64:
            raise ValueError("the owner id is at most 64 characters")
        self.queue = queue
        self.handlers = dict(handlers)
        self.clock = clock
        self.coordinator = coordinator
        self.owner = owner
        self.batch = batch
        self.concurrency = concurrency or batch
        self.lease = lease
        self.poll = poll
        self.grace = grace
        self.renew_every = renew_every if renew_every is not None else lease / 3
        self._slots = asyncio.Semaphore(self.concurrency)
        self._held: dict[int, JobView] = {}  # claimed and not yet finished
        self._started: set[int] = set()  # of those, the ones whose handler began
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wakes_failing = False
        self.finished = 0  # jobs this worker ran to an outcome (done, retry or failed)

    @property
    def held(self) -> frozenset[int]:
        """Ids of the jobs this worker holds right now."""
        return frozenset(self._held)

    async def run_once(self) -> int:
        """Claim one batch of due jobs, run them (at most `concurrency` at once); return how many."""
        async with self._renewing():
            jobs = await self._claim(self.batch)
            await asyncio.gather(*(self._start(job) for job in jobs))
        return len(jobs)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run jobs as they come due until `stop` is set, then finish or release what is held."""
        log.info("scheduler worker %s started", self.owner)
        async with self._renewing():
            try:
                while not stop.is_set():
                    free = self.concurrency - len(self._tasks)
                    wanted = min(self.batch, free)
                    claimed = await self._claim(wanted) if wanted > 0 else []
                    for job in claimed:
                        self._start(job)
                    if claimed and len(claimed) == wanted and len(self._tasks) < self.concurrency:
                        continue  # a full batch: more may be due already
                    await self._idle(stop)
            finally:
                await self._shut_down()
        log.info("scheduler worker %s stopped after finishing %s jobs", self.owner, self.finished)

    # -- running one job -----------------------------------------------------------------------------

    def _start(self, job: JobView) -> asyncio.Task[None]:
        task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
        self._tasks[job.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.id, None))
        return task

    async def _run(self, job: JobView) -> None:
        async with self._slots:
            self._started.add(job.id)
            try:
                await self._execute(job)
                self.finished += 1
            except Exception:  # the database failed us: the lease lapses and another worker retries
                log.exception("job %s (%s): could not record its outcome", job.id, job.kind)
            # Not on cancellation: a cancelled job stays held, for _shut_down to release.
            self._held.pop(job.id, None)
            self._started.discard(job.id)

    async def _execute(self, job: JobView) -> None:
        handler = self.handlers.get(job.kind)
        if handler is None:
            await self.queue.fail(job.id, self.owner, f"no handler for job kind {job.kind!r}", retry=False)
            return
        if job.attempts > self.queue.retry.max_attempts:
            # Each claim counts an attempt: a job whose runs keep killing their worker stops here.
            await self.queue.fail(
                job.id, self.owner, f"gave up after {job.attempts - 1} attempts ended without an outcome"
            )
            return
        context = JobContext(queue=self.queue, job=job, owner=self.owner, clock=self.clock)
        try:
            await handler(job, context)
        except LeaseLost:
            log.warning("job %s (%s): lease lost while running; its new holder finishes it", job.id, job.kind)
            return
        except PermanentJobError as error:
            await self.queue.fail(job.id, self.owner, _describe(error), retry=False)
            return
        except Exception as error:
            log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts, _describe(error))
            await self.queue.fail(job.id, self.owner, _describe(error))
            return
        if not await self.queue.complete(job.id, self.owner, repeat=context.repeat):
            log.warning("job %s (%s) ran, but was cancelled or taken over meanwhile", job.id, job.kind)

    # -- claiming, sleeping, leases, stopping --------------------------------------------------------

    async def _claim(self, limit: int) -> list[JobView]:
        try:
            jobs = await self.queue.claim(self.owner, limit=limit, lease=self.lease)
        except Exception:
            log.exception("claiming jobs failed; trying again in %s s", self.poll)
            return []
        for job in jobs:
            self._held[job.id] = job
        return jobs

    async def _idle(self, stop: asyncio.Event) -> None:
        if len(self._tasks) >= self.concurrency:  # full: wait for a free slot (or the stop)
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait(
                    {stopping, *self._tasks.values()}, timeout=self.poll, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                stopping.cancel()
            return
        # Until the next due time, a wake-up, the poll bound or the stop. The coordinator's wait is never
        # cancelled (a Redis read can swallow a cancellation and sit out its timeout): it runs in short
        # slices, and the stop is seen between them.
        deadline = time.monotonic() + await self._sleep_for()
        while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
            if await self._wake_or_sleep(min(remaining, STOP_CHECK)):
                return

    async def _sleep_for(self) -> float:
        try:
            due = await self.queue.next_due()
        except Exception:
            log.exception("reading the next due time failed")
            return self.poll
        if due is None:
            return self.poll
        return min(self.poll, max(MIN_SLEEP, (due - self.clock.now()).total_seconds()))

    async def _wake_or_sleep(self, timeout: float) -> bool:
        try:
            woken = await self.coordinator.wait_for_wake(WAKE_TOPIC, timeout)
        except Exception:
            if not self._wakes_failing:  # once per outage, not every slice
                log.warning("waiting for scheduler wake-ups failed; polling instead", exc_info=True)
            self._wakes_failing = True
            await asyncio.sleep(timeout)
            return False
        self._wakes_failing = False
        return woken

    @asynccontextmanager
    async def _renewing(self) -> AsyncIterator[None]:
        renewer = asyncio.create_task(self._renew_leases(), name=f"leases-{self.owner}")
        try:
            yield
        finally:
            renewer.cancel()
            with suppress(asyncio.CancelledError):
                await renewer

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            held = list(self._held)
            if not held:
                continue
            try:
                kept = await self.queue.renew(self.owner, held, lease=self.lease)
            except Exception:
                log.exception("renewing leases failed")
                continue
            for job_id in set(held) - kept:
                if job_id in self._held:  # not finished meanwhile: someone else has it now
                    log.warning("job %s: lease lost (taken over or cancelled)", job_id)

    async def _shut_down(self) -> None:
        """Let running handlers finish within `grace` seconds; release the rest for other workers."""
        tasks = list(self._tasks.values())
        if tasks:
            log.info("waiting up to %s s for %s running jobs", self.grace, len(tasks))
            _, unfinished = await asyncio.wait(tasks, timeout=self.grace)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        if not self._held:
            return
        started = [job_id for job_id in self._held if job_id in self._started]
        waiting = [job_id for job_id in self._held if job_id not in self._started]
        try:
            await self.queue.release(waiting, self.owner, refund=True)
            await self.queue.release(started, self.owner, refund=False)
        except Exception:
            log.exception("releasing jobs failed; their leases lapse instead")
        self._held.clear()
        self._started.clear()


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
