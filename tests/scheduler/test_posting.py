"""post_once against the local Slack sandbox: one message per job, whatever crashed where."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.sandbox import FaultConfig, Sandbox
from bot.scheduler import JobContext, JobQueue, JobView
from bot.scheduler.posting import JOB_EVENT_TYPE, post_once
from bot.scheduler.registry import PostMessage
from bot.slack.gateway import POST_ONCE_TRIES, SlackGateway
from tests.scheduler.conftest import MakeWorker, job_messages

LEASE = 60


@pytest.fixture
def channel(sandbox: Sandbox) -> str:
    return sandbox.add_channel("swarm-reminders")


def posts(sandbox: Sandbox) -> int:
    return len(sandbox.calls("chat.postMessage"))


async def test_a_post_message_job_posts_once_with_its_id_in_the_metadata_and_records_the_ts(
    queue: JobQueue,
    clock: FrozenClock,
    make_worker: MakeWorker,
    sandbox: Sandbox,
    gateway: SlackGateway,
    channel: str,
):
    worker = make_worker({"post_message": PostMessage(gateway)})
    job_id = await queue.schedule(
        "post_message", due_at=clock.now(), payload={"channel": channel, "text": "Time for a status update"}
    )

    assert await worker.run_once() == 1

    [message] = [m for m in sandbox.messages(channel) if m.get("metadata")]
    assert message["text"] == "Time for a status update"
    assert message["metadata"] == {
        "event_type": JOB_EVENT_TYPE,
        "event_payload": {"job_id": job_id, "slot": "message"},
    }
    job = await queue.get(job_id)
    assert job is not None and job.state == "done"
    assert job.result == {"message": {"channel": channel, "ts": message["ts"]}}


async def test_a_handler_that_crashes_after_recording_the_post_does_not_post_again(
    queue: JobQueue,
    clock: FrozenClock,
    make_worker: MakeWorker,
    sandbox: Sandbox,
    gateway: SlackGateway,
    channel: str,
):
    async def post_then_crash(job: JobView, context: JobContext) -> None:
        await post_once(context, gateway, channel=channel, text="reminder")
        if job.attempts == 1:
            raise RuntimeError("crashed after recording")

    worker = make_worker({"remind": post_then_crash})
    job_id = await queue.schedule("remind", due_at=clock.now())
    await worker.run_once()
    clock.advance(timedelta(hours=1))
    await worker.run_once()

    assert posts(sandbox) == 1
    assert list(job_messages(sandbox, channel)) == [job_id]
    job = await queue.get(job_id)
    assert job is not None and job.state == "done" and job.attempts == 2


async def test_after_a_crash_between_posting_and_recording_the_retry_finds_the_message_by_its_metadata(
    queue: JobQueue,
    clock: FrozenClock,
    make_worker: MakeWorker,
    sandbox: Sandbox,
    gateway: SlackGateway,
    channel: str,
):
    job_id = await queue.schedule(
        "post_message", due_at=clock.now(), payload={"channel": channel, "text": "hi"}
    )
    [held] = await queue.claim("dies", limit=1, lease=LEASE)
    # The dying worker's post reached Slack; the worker died before recording it.
    posted = await gateway.post_message(
        channel,
        text="hi",
        metadata={"event_type": JOB_EVENT_TYPE, "event_payload": {"job_id": held.id, "slot": "message"}},
    )
    for n in range(30):  # the channel moves on meanwhile
        sandbox.add_message(channel, sandbox.bot_user_id, f"chatter {n}")
    clock.advance(timedelta(seconds=LEASE + 1))

    survivor = make_worker({"post_message": PostMessage(gateway)}, owner="survivor")
    assert await survivor.run_once() == 1

    assert posts(sandbox) == 1
    assert job_messages(sandbox, channel) == {job_id: [posted]}
    job = await queue.get(job_id)
    assert job is not None and job.state == "done"
    assert job.result == {"message": {"channel": channel, "ts": posted}}


async def test_the_metadata_lookup_pages_through_a_long_history(
    sandbox: Sandbox, gateway: SlackGateway, channel: str
):
    tagged = await gateway.post_message(
        channel,
        text="x",
        metadata={"event_type": JOB_EVENT_TYPE, "event_payload": {"job_id": 7, "slot": "a"}},
    )
    await gateway.post_message(
        channel,
        text="y",
        metadata={"event_type": JOB_EVENT_TYPE, "event_payload": {"job_id": 7, "slot": "b"}},
    )
    for n in range(450):
        sandbox.add_message(channel, sandbox.bot_user_id, f"chatter {n}")

    found = await gateway.find_message_with_metadata(
        channel, event_type=JOB_EVENT_TYPE, payload={"job_id": 7, "slot": "a"}, page_size=100
    )
    missing = await gateway.find_message_with_metadata(
        channel, event_type=JOB_EVENT_TYPE, payload={"job_id": 8, "slot": "a"}, page_size=100
    )
    too_early = await gateway.find_message_with_metadata(
        channel, event_type=JOB_EVENT_TYPE, payload={"job_id": 7, "slot": "a"}, oldest=tagged
    )

    assert found == tagged and missing is None and too_early is None
    assert len(sandbox.calls("conversations.history")) == 5 + 5 + 3  # 452 messages, 100 then 200 a page


async def test_a_message_in_a_thread_is_found_among_the_replies(
    queue: JobQueue,
    clock: FrozenClock,
    make_worker: MakeWorker,
    sandbox: Sandbox,
    gateway: SlackGateway,
    channel: str,
):
    thread = await gateway.post_message(channel, text="the swarm brief")
    job_id = await queue.schedule(
        "post_message", due_at=clock.now(), payload={"channel": channel, "text": "nudge", "thread_ts": thread}
    )
    await queue.claim("dies", limit=1, lease=LEASE)
    posted = await gateway.post_message(
        channel,
        text="nudge",
        thread_ts=thread,
        metadata={"event_type": JOB_EVENT_TYPE, "event_payload": {"job_id": job_id, "slot": "message"}},
    )
    clock.advance(timedelta(seconds=LEASE + 1))

    assert await make_worker({"post_message": PostMessage(gateway)}).run_once() == 1

    assert posts(sandbox) == 2  # the brief and the one nudge
    job = await queue.get(job_id)
    assert job is not None and job.result == {"message": {"channel": channel, "ts": posted}}


async def test_a_server_error_on_posting_is_looked_for_before_each_retry_and_the_next_attempt_posts_once(
    queue: JobQueue,
    clock: FrozenClock,
    make_worker: MakeWorker,
    sandbox: Sandbox,
    gateway: SlackGateway,
    channel: str,
):
    worker = make_worker({"post_message": PostMessage(gateway)})
    job_id = await queue.schedule(
        "post_message", due_at=clock.now(), payload={"channel": channel, "text": "hi"}
    )
    sandbox.set_faults(
        FaultConfig(error_rate=1.0, error_kinds=("http_500",), methods=frozenset({"chat.postMessage"}))
    )
    await worker.run_once()

    # Slack may have posted before answering 500: never a blind retry, each one looks first.
    assert posts(sandbox) == POST_ONCE_TRIES
    assert len(sandbox.calls("conversations.history")) == POST_ONCE_TRIES - 1
    failed = await queue.get(job_id)
    assert (
        failed is not None
        and failed.state == "pending"
        and "chat.postMessage failed" in str(failed.last_error)
    )

    sandbox.set_faults(FaultConfig())
    clock.advance(timedelta(hours=1))
    await worker.run_once()

    assert len(sandbox.calls("conversations.history")) == POST_ONCE_TRIES  # looked before posting again
    assert list(job_messages(sandbox, channel)) == [job_id]
    done = await queue.get(job_id)
    assert done is not None and done.state == "done"


async def test_posting_to_a_channel_that_does_not_exist_fails_the_job_at_once(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker, gateway: SlackGateway
):
    job_id = await queue.schedule(
        "post_message", due_at=clock.now(), payload={"channel": "C0NOPE", "text": "hi"}
    )
    await make_worker({"post_message": PostMessage(gateway)}).run_once()
    job = await queue.get(job_id)
    assert job is not None and job.state == "failed" and "channel_not_found" in str(job.last_error)


async def test_a_post_message_job_without_channel_or_text_fails_at_once(
    queue: JobQueue, clock: FrozenClock, make_worker: MakeWorker, gateway: SlackGateway
):
    job_id = await queue.schedule("post_message", due_at=clock.now(), payload={"text": "hi"})
    await make_worker({"post_message": PostMessage(gateway)}).run_once()
    job = await queue.get(job_id)
    assert job is not None and job.state == "failed" and "needs a `channel`" in str(job.last_error)
