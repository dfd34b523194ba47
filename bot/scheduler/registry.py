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
    from bot import levels, reconciler, reminders, resolution_notices, sla
    from bot.archiving import DELIVER
    from bot.experts import SYNC_EVERY, SYNC_KIND
    from bot.poster import JobPoster
    from bot.resolution import ARCHIVE
    from bot.swarm_clocks import INVITATION_TIMEOUT, START

    gateway = services.gateway

    async def status_reminder(job: JobView, context: JobContext) -> None:
        await services.reminders.run(job, context, JobPoster(context, gateway))

    async def escalation_level(job: JobView, context: JobContext) -> None:
        await services.levels.run(job, context, JobPoster(context, gateway))

    async def sla_alert(job: JobView, context: JobContext) -> None:
        await services.sla.run(job, context, JobPoster(context, gateway))

    async def invitation_timeout(job: JobView, context: JobContext) -> None:
        await services.invitations.expire(int(job.payload["invitation"]))

    async def start_clocks(job: JobView, context: JobContext) -> None:
        assert job.swarm_id is not None
        await services.clocks.start_late(job.swarm_id)

    async def archive(job: JobView, context: JobContext) -> None:
        await services.archiver.archive(job, context, JobPoster(context, gateway))

    async def resolution_notices_backstop(job: JobView, context: JobContext) -> None:
        await services.resolutions.notices.run(job)

    async def deliver(job: JobView, context: JobContext) -> None:
        await services.archiver.deliver(job, context)

    async def directory_sync(job: JobView, context: JobContext) -> None:
        if services.directory.skill_groups:
            await services.directory.sync_usergroups(gateway)
            context.repeat_at(services.clock.now() + SYNC_EVERY)

    async def reconcile(job: JobView, context: JobContext) -> None:
        await services.reconciler.run()
        context.repeat_at(services.clock.now() + reconciler.EVERY)

    handlers: dict[str, JobHandler] = {
        POST_MESSAGE: PostMessage(gateway),
        reminders.KIND: status_reminder,
        levels.KIND: escalation_level,
        sla.KIND: sla_alert,
        INVITATION_TIMEOUT: invitation_timeout,
        START: start_clocks,
        reconciler.KIND: reconcile,
        SYNC_KIND: directory_sync,
        ARCHIVE: archive,
        resolution_notices.KIND: resolution_notices_backstop,
        DELIVER: deliver,
    }
    return {kind: _refreshing_homes(handler, services) for kind, handler in handlers.items()}


def _refreshing_homes(handler: JobHandler, services: Services) -> JobHandler:
    """A job that touched a swarm refreshes the Home tabs of its people afterwards."""

    async def run(job: JobView, context: JobContext) -> None:
        await handler(job, context)
        if job.swarm_id is not None:
            services.home.refresh_swarm(job.swarm_id)

    return run


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
