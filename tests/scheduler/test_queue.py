"""The job queue and one worker on a frozen clock: due times, keys, cancelling, retries, leases, repeats."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.scheduler import JobContext, JobQueue, JobView, PermanentJobError, RetryPolicy
from bot.scheduler.errors import LeaseLost
from tests.scheduler.conftest import AddSwarm, MakeWorker, Recorder

MINUTE = timedelta(minutes=1)


async def test_a_job_runs_once_it_is_due_and_not_before(queue: JobQueue, clock: FrozenClock, make_worker):
    recorder = Recorder()
    worker = make_worker({"ping": recorder})
    job_id = await queue.schedule("ping", due_at=clock.now() + 5 * MINUTE, payload={"n": 1})

    clock.advance(5 * MINUTE - timedelta(seconds=1))
    assert await worker.run_once() == 0
    clock.advance(timedelta(seconds=1))
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0

    assert recorder.ids == [job_id]
    assert recorder.runs[0].payload == {"n": 1}
    done = await queue.get(job_id)
    assert done is not None and done.state == "done" and done.finished_at == clock.now()
    assert done.attempts == 1 and done.lease_owner is None


async def test_due_jobs_run_soonest_first_one_batch_at_a_time(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    recorder = Recorder()
    worker = make_worker({"ping": recorder}, batch=2)
    late = await queue.schedule("ping", due_at=clock.now() - MINUTE)
    early = await queue.schedule("ping", due_at=clock.now() - 3 * MINUTE)
    middle = await queue.schedule("ping", due_at=clock.now() - 2 * MINUTE)

    assert await worker.run_once() == 2
    assert sorted(recorder.ids) == sorted([early, middle])
    assert await worker.run_once() == 1
    assert recorder.ids[-1] == late


async def test_scheduling_a_pending_key_again_moves_that_job_instead_of_adding_one(
    queue: JobQueue, clock: FrozenClock
):
    first = await queue.schedule("remind", key="remind:1", due_at=clock.now() + 10 * MINUTE, payload={"v": 1})
    again = await queue.schedule("remind", key="remind:1", due_at=clock.now() + 20 * MINUTE, payload={"v": 2})

    assert again == first
    [job] = await queue.pending()
    assert job.id == first and job.key == "remind:1"
    assert job.due_at == clock.now() + 20 * MINUTE and job.payload == {"v": 2}


async def test_scheduling_a_running_key_returns_the_running_job_unchanged(
    queue: JobQueue, clock: FrozenClock
):
    job_id = await queue.schedule("remind", key="remind:1", due_at=clock.now())
    [claimed] = await queue.claim("worker-1", limit=5, lease=60)

    again = await queue.schedule("remind", key="remind:1", due_at=clock.now() + 30 * MINUTE)

    assert again == job_id == claimed.id
    [job] = await queue.pending()
    assert job.state == "running" and job.due_at == claimed.due_at


async def test_a_finished_job_retires_its_key_so_the_next_job_can_hold_it(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    first = await queue.schedule("remind", key="remind:1", due_at=clock.now())
    assert await make_worker({"remind": Recorder()}).run_once() == 1

    second = await queue.schedule("remind", key="remind:1", due_at=clock.now() + MINUTE)

    assert second != first
    finished = await queue.get(first)
    assert finished is not None and finished.key == f"remind:1#{first}"
    [live] = await queue.pending()
    assert live.id == second and live.key == "remind:1"


async def test_a_key_belongs_to_one_kind_and_has_a_length_limit(queue: JobQueue, clock: FrozenClock):
    await queue.schedule("remind", key="k", due_at=clock.now())
    with pytest.raises(ValueError, match="belongs to a 'remind' job"):
        await queue.schedule("escalate", key="k", due_at=clock.now())
    with pytest.raises(ValueError, match="1 to 140 characters"):
        await queue.schedule("remind", key="x" * 141, due_at=clock.now())


async def test_reschedule_moves_a_pending_job_and_reports_when_there_is_none(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    recorder = Recorder()
    worker = make_worker({"remind": recorder})
    job_id = await queue.schedule("remind", key="remind:1", due_at=clock.now() + MINUTE)

    assert await queue.reschedule("remind:1", clock.now() + 10 * MINUTE)
    assert not await queue.reschedule("remind:2", clock.now())

    clock.advance(5 * MINUTE)
    assert await worker.run_once() == 0
    clock.advance(5 * MINUTE)
    assert await worker.run_once() == 1
    assert recorder.ids == [job_id]
    assert not await queue.reschedule("remind:1", clock.now())  # done: nothing pending holds the key


async def test_cancel_stops_a_live_job_and_frees_its_key(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    recorder = Recorder()
    job_id = await queue.schedule("remind", key="remind:1", due_at=clock.now())

    assert await queue.cancel("remind:1")
    assert not await queue.cancel("remind:1")
    assert await make_worker({"remind": recorder}).run_once() == 0
    assert recorder.runs == []
    cancelled = await queue.get(job_id)
    assert cancelled is not None and cancelled.state == "cancelled" and cancelled.key == f"remind:1#{job_id}"
    assert await queue.schedule("remind", key="remind:1", due_at=clock.now()) != job_id


async def test_a_job_cancelled_while_running_cannot_be_completed_by_its_worker(
    queue: JobQueue, clock: FrozenClock
):
    job_id = await queue.schedule("remind", key="remind:1", due_at=clock.now())
    await queue.claim("worker-1", limit=1, lease=60)

    assert await queue.cancel("remind:1")

    assert not await queue.complete(job_id, "worker-1")
    with pytest.raises(LeaseLost):
        await queue.record_result(job_id, "worker-1", {"ts": "1.2"})
    job = await queue.get(job_id)
    assert job is not None and job.state == "cancelled"


async def test_cancel_for_swarm_cancels_only_that_swarms_live_jobs_of_the_given_kinds(
    queue: JobQueue, clock: FrozenClock, add_swarm: AddSwarm
):
    ours, theirs = await add_swarm("ZD-1"), await add_swarm("ZD-2")
    reminder = await queue.schedule("status_reminder", swarm_id=ours, due_at=clock.now() + MINUTE)
    level = await queue.schedule("escalation_level", swarm_id=ours, due_at=clock.now() + MINUTE)
    sla = await queue.schedule("sla_alert", swarm_id=ours, due_at=clock.now() + MINUTE)
    other = await queue.schedule("status_reminder", swarm_id=theirs, due_at=clock.now() + MINUTE)

    assert await queue.cancel_for_swarm(ours, kinds=["status_reminder", "escalation_level"]) == 2
    assert [job.id for job in await queue.pending(swarm_id=ours)] == [sla]
    assert await queue.cancel_for_swarm(ours) == 1
    assert await queue.pending(swarm_id=ours) == []
    assert [job.id for job in await queue.pending()] == [other]
    for job_id in (reminder, level, sla):
        job = await queue.get(job_id)
        assert job is not None and job.state == "cancelled"


async def test_pending_lists_live_jobs_soonest_first_by_swarm_and_kind(
    queue: JobQueue, clock: FrozenClock, add_swarm: AddSwarm
):
    swarm = await add_swarm("ZD-1")
    later = await queue.schedule("a", swarm_id=swarm, due_at=clock.now() + 2 * MINUTE)
    sooner = await queue.schedule("b", swarm_id=swarm, due_at=clock.now() + MINUTE)
    unrelated = await queue.schedule("a", due_at=clock.now())

    assert [job.id for job in await queue.pending()] == [unrelated, sooner, later]
    assert [job.id for job in await queue.pending(swarm_id=swarm)] == [sooner, later]
    assert [job.id for job in await queue.pending(kind="a")] == [unrelated, later]
    assert [job.id for job in await queue.pending(swarm_id=swarm, kind="b")] == [sooner]


async def test_next_due_is_when_the_earliest_pending_job_is_due(queue: JobQueue, clock: FrozenClock):
    assert await queue.next_due() is None
    await queue.schedule("a", due_at=clock.now() + 2 * MINUTE)
    await queue.schedule("a", due_at=clock.now() + MINUTE)
    assert await queue.next_due() == clock.now() + MINUTE


async def test_a_failing_job_backs_off_exponentially_then_fails_for_good_with_its_error(
    sessions, clock: FrozenClock
):
    from bot.coordination import MemoryCoordinator
    from bot.scheduler import Worker

    retry = RetryPolicy(max_attempts=4, first_delay=timedelta(seconds=10), max_delay=timedelta(seconds=30))
    queue = JobQueue(sessions=sessions, clock=clock, coordinator=MemoryCoordinator(), retry=retry)
    recorder = Recorder(fail_with=RuntimeError("slack is down"))
    worker = Worker(
        queue=queue, handlers={"ping": recorder}, clock=clock, coordinator=queue.coordinator, owner="w"
    )
    job_id = await queue.schedule("ping", due_at=clock.now())

    delays = []
    for _ in range(3):
        assert await worker.run_once() == 1
        job = await queue.get(job_id)
        assert job is not None and job.state == "pending"
        assert job.last_error == "RuntimeError: slack is down"
        delays.append(job.due_at - clock.now())
        clock.advance(job.due_at - clock.now() - timedelta(seconds=1))
        assert await worker.run_once() == 0  # not before its backoff is over
        clock.advance(timedelta(seconds=1))
    assert delays == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=30)]

    assert await worker.run_once() == 1
    failed = await queue.get(job_id)
    assert failed is not None and failed.state == "failed" and failed.attempts == 4
    assert failed.last_error == "RuntimeError: slack is down" and failed.finished_at == clock.now()
    clock.advance(timedelta(days=1))
    assert await worker.run_once() == 0
    assert len(recorder.runs) == 4


async def test_a_permanent_error_fails_the_job_at_once(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    recorder = Recorder(fail_with=PermanentJobError("channel is archived"))
    job_id = await queue.schedule("ping", due_at=clock.now())
    assert await make_worker({"ping": recorder}).run_once() == 1
    job = await queue.get(job_id)
    assert job is not None and job.state == "failed"
    assert job.last_error == "PermanentJobError: channel is archived"


async def test_a_job_of_an_unknown_kind_fails_clearly(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    job_id = await queue.schedule("no_such_kind", due_at=clock.now())
    assert await make_worker({"ping": Recorder()}).run_once() == 1
    job = await queue.get(job_id)
    assert job is not None and job.state == "failed"
    assert job.last_error == "no handler for job kind 'no_such_kind'"


async def test_a_lapsed_lease_is_taken_over_and_the_old_holder_can_no_longer_write(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    recorder = Recorder()
    survivor = make_worker({"ping": recorder}, owner="survivor", lease=60)
    job_id = await queue.schedule("ping", due_at=clock.now())
    [held] = await queue.claim("dead", limit=10, lease=60)  # then the "dead" worker dies

    clock.advance(timedelta(seconds=59))
    assert await survivor.run_once() == 0
    clock.advance(timedelta(seconds=2))
    assert await survivor.run_once() == 1

    assert recorder.runs[0].id == held.id and recorder.runs[0].attempts == 2
    with pytest.raises(LeaseLost):
        await queue.record_result(job_id, "dead", {"ts": "1.0"})
    assert not await queue.complete(job_id, "dead")
    assert await queue.fail(job_id, "dead", "late") is None
    job = await queue.get(job_id)
    assert job is not None and job.state == "done"


async def test_a_renewed_lease_keeps_a_long_job_from_being_taken_over(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    started, release = asyncio.Event(), asyncio.Event()

    async def long_job(job: JobView, context: JobContext) -> None:
        started.set()
        await release.wait()

    slow = make_worker({"long": long_job}, owner="slow", lease=60, renew_every=0.02)
    other = make_worker({"long": Recorder()}, owner="other", lease=60)
    job_id = await queue.schedule("long", due_at=clock.now())
    running = asyncio.create_task(slow.run_once())
    await asyncio.wait_for(started.wait(), 5)

    for _ in range(4):  # four lease lengths pass, renewed all along
        clock.advance(timedelta(seconds=30))
        await asyncio.sleep(0.1)
        assert await other.run_once() == 0
        clock.advance(timedelta(seconds=30))
        await asyncio.sleep(0.1)
        assert await other.run_once() == 0

    release.set()
    assert await running == 1
    job = await queue.get(job_id)
    assert job is not None and job.state == "done" and job.attempts == 1


async def test_jobs_that_keep_killing_their_worker_end_up_failed(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    job_id = await queue.schedule("ping", due_at=clock.now())
    for n in range(queue.retry.max_attempts):
        await queue.claim(f"dies-{n}", limit=1, lease=60)
        clock.advance(timedelta(seconds=61))

    recorder = Recorder()
    assert await make_worker({"ping": recorder}).run_once() == 1
    assert recorder.runs == []
    job = await queue.get(job_id)
    assert job is not None and job.state == "failed"
    assert job.last_error is not None and "ended without an outcome" in job.last_error


async def test_repeat_at_creates_the_next_occurrence_under_the_same_key(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    seen: list[JobView] = []

    async def every_half_hour(job: JobView, context: JobContext) -> None:
        seen.append(job)
        if len(seen) < 3:
            context.repeat_at(clock.now() + 30 * MINUTE, payload={"n": len(seen) + 1})

    worker = make_worker({"remind": every_half_hour})
    first = await queue.schedule("remind", key="remind:7", due_at=clock.now(), payload={"n": 1})
    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(30 * MINUTE)
    assert await worker.run_once() == 0

    assert [job.payload["n"] for job in seen] == [1, 2, 3]
    assert len({job.id for job in seen}) == 3 and seen[0].id == first
    assert all(job.key == "remind:7" for job in seen)
    assert await queue.pending() == []


async def test_record_result_merges_what_a_handler_did_and_a_retry_sees_it(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    seen: list[dict[str, object]] = []

    async def two_steps(job: JobView, context: JobContext) -> None:
        seen.append(dict(context.result))
        if "first" not in context.result:
            await context.record({"first": "done"})
        await context.record({"second": job.attempts})
        if job.attempts == 1:
            raise RuntimeError("crash after recording")

    worker = make_worker({"steps": two_steps})
    job_id = await queue.schedule("steps", due_at=clock.now())
    await worker.run_once()
    clock.advance(timedelta(hours=1))
    await worker.run_once()

    assert seen == [{}, {"first": "done", "second": 1}]
    job = await queue.get(job_id)
    assert job is not None and job.state == "done" and job.result == {"first": "done", "second": 2}


async def test_stopping_lets_running_jobs_finish_and_claims_no_more(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    started = asyncio.Event()
    finish = asyncio.Event()
    ran: list[int] = []

    async def slow(job: JobView, context: JobContext) -> None:
        started.set()
        await finish.wait()
        ran.append(job.id)

    worker = make_worker({"slow": slow}, batch=3, concurrency=1, grace=5)
    ids = [await queue.schedule("slow", due_at=clock.now()) for _ in range(3)]
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    await asyncio.wait_for(started.wait(), 5)
    assert worker.held == {ids[0]}  # it claims only what it can start

    stop.set()
    await asyncio.sleep(0.05)
    finish.set()
    await asyncio.wait_for(running, 5)

    assert ran == [ids[0]]
    first = await queue.get(ids[0])
    assert first is not None and first.state == "done"
    for job_id in ids[1:]:
        job = await queue.get(job_id)
        assert job is not None and job.state == "pending" and job.attempts == 0 and job.lease_owner is None


async def test_releasing_hands_jobs_back_and_refunds_the_attempt_of_one_never_started(
    queue: JobQueue, clock: FrozenClock
):
    started = await queue.schedule("ping", due_at=clock.now() - MINUTE)
    waiting = await queue.schedule("ping", due_at=clock.now())
    await queue.claim("w", limit=2, lease=60)

    assert await queue.release([waiting], "w", refund=True) == 1
    assert await queue.release([started], "w", refund=False) == 1
    assert await queue.release([started], "w", refund=False) == 0  # not held any more

    by_id = {job.id: job for job in await queue.pending()}
    assert by_id[waiting].state == "pending" and by_id[waiting].attempts == 0
    assert by_id[started].state == "pending" and by_id[started].attempts == 1
    assert by_id[started].due_at == clock.now() - MINUTE  # keeps its place in line


async def test_stopping_after_the_grace_period_releases_a_stuck_job_for_another_worker(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker
):
    started = asyncio.Event()

    async def stuck(job: JobView, context: JobContext) -> None:
        started.set()
        await asyncio.Event().wait()

    worker = make_worker({"stuck": stuck}, grace=0.1)
    job_id = await queue.schedule("stuck", due_at=clock.now())
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_forever(stop))
    await asyncio.wait_for(started.wait(), 5)
    stop.set()
    await asyncio.wait_for(running, 5)

    job = await queue.get(job_id)
    assert job is not None and job.state == "pending" and job.attempts == 1  # it did start
    recorder = Recorder()
    assert await make_worker({"stuck": recorder}, owner="next").run_once() == 1
    assert recorder.runs[0].attempts == 2
