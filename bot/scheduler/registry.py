"""The job kinds swarmbot knows, each with its handler. New kinds plug in here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.scheduler.context import JobContext, JobHandler
from bot.scheduler.errors import PermanentJobError
from bot.scheduler.jobs import JobView
from bot.scheduler.posting import post_once
from bot.slack.gateway import SlackGateway

if TYPE_CHECKING:
    from bot.services import Services

POST_MESSAGE = "post_message"


def job_handlers(services: Services) -> dict[str, JobHandler]:
    """Every job kind and its handler, wired to `services`."""
    return {POST_MESSAGE: PostMessage(services.gateway)}


class PostMessage:
    """`post_message`: payload {channel, text, blocks?, thread_ts?}; posted exactly once."""

    def __init__(self, gateway: SlackGateway) -> None:
        self.gateway = gateway

    async def __call__(self, job: JobView, context: JobContext) -> None:
        payload = job.payload
        channel, text = payload.get("channel"), payload.get("text")
        if not isinstance(channel, str) or not isinstance(text, str):
            raise PermanentJobError("a post_message job needs a `channel` and a `text`")
        blocks: list[dict[str, Any]] | None = payload.get("blocks")
        thread_ts: str | None = payload.get("thread_ts")
        await post_once(context, self.gateway, channel=channel, text=text, blocks=blocks, thread_ts=thread_ts)
