"""post_once: a job's Slack message, posted exactly once whatever crashes and retries happen.

The message carries the job in its metadata (`{"event_type": "swarmbot_job", "event_payload": {"job_id":
…, "slot": …}}`) and its ts is recorded in the job's result before the job is marked done. A retry finds
the ts in the result; if a crash fell between posting and recording, it finds the message in the
channel's history by that metadata (SlackGateway.post_once, which also looks before it retries a post
Slack failed). Only a worker that lost its lease while still alive (a pause longer
than the lease) could post beside its successor.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.errors import SlackCallFailed
from bot.scheduler.context import JobContext
from bot.scheduler.errors import PermanentJobError
from bot.slack.gateway import SlackGateway

JOB_EVENT_TYPE = "swarmbot_job"
# Lower bound of the history search: the job's creation on our clock, less any plausible skew to Slack's.
CLOCK_SKEW = timedelta(minutes=5)
# Answers that no retry can change: the job fails at once instead of backing off for half an hour.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "too_many_attachments",
        "restricted_action",
        "thread_not_found",
        "cannot_reply_to_message",
    }
)


async def post_once(
    context: JobContext,
    gateway: SlackGateway,
    *,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    slot: str = "message",
) -> str:
    """Post this job's message in `channel` once and return its ts, recorded as `result[slot]`.

    `slot` names the message when one job posts several (e.g. "channel" and "feed"). `channel` must be
    a conversation id (C…, G…, D…), not a user id, so the history can be searched.
    """
    recorded = context.result.get(slot)
    if isinstance(recorded, dict) and recorded.get("ts"):
        return str(recorded["ts"])
    job = context.job
    marker: dict[str, Any] = {"job_id": job.id, "slot": slot}
    try:
        ts = await gateway.post_once(
            channel,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            event_type=JOB_EVENT_TYPE,
            payload=marker,
            again=job.attempts > 1,  # an earlier attempt may have posted, then died before recording
            oldest=slack_ts(job.created_at - CLOCK_SKEW),
        )
    except SlackCallFailed as failure:
        if failure.error in PERMANENT_ERRORS:
            raise PermanentJobError(str(failure)) from failure
        raise
    await context.record({slot: {"channel": channel, "ts": ts}})
    return ts


def slack_ts(moment: datetime) -> str:
    """A time as Slack writes message timestamps (seconds.microseconds)."""
    return f"{moment.timestamp():.6f}"
