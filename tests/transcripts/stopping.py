"""A gateway that stops a transcript run at an exact point: a process killed there, or Slack giving up."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import SlackCallFailed
from bot.sandbox import Sandbox
from bot.slack.client import build_client
from bot.slack.gateway import SlackGateway
from bot.transcripts import TranscriptArchive


class StoppingGateway(SlackGateway):
    """The real gateway, except that the n-th read of one method hangs after Slack answered (a process about
    to be killed) or fails (Slack gave up), so a test can stop a run at an exact point."""

    def __init__(self, sandbox: Sandbox, *, method: str, call: int, fail: bool = False) -> None:
        super().__init__(build_client(token=sandbox.bot_token, base_url=sandbox.api_url))
        self.method, self.call, self.fail = method, call, fail
        self.counts: dict[str, int] = {}
        self.stopped = asyncio.Event()

    async def _stop_point(self, method: str) -> None:
        self.counts[method] = self.counts.get(method, 0) + 1
        if method == self.method and self.counts[method] == self.call:
            self.stopped.set()
            if self.fail:
                raise SlackCallFailed(method, "internal_error")
            await asyncio.Event().wait()  # hangs until the task is cancelled

    async def history_page(self, channel, cursor, limit):  # type: ignore[no-untyped-def]
        page = await super().history_page(channel, cursor, limit)
        await self._stop_point("conversations.history")
        return page

    async def replies_page(self, channel, thread_ts, cursor, limit, *, oldest=None):  # type: ignore[no-untyped-def]
        page = await super().replies_page(channel, thread_ts, cursor, limit, oldest=oldest)
        await self._stop_point("conversations.replies")
        return page


async def run_until_stopped(
    archive: TranscriptArchive, gateway: StoppingGateway, swarm_id: int, channel: str
) -> None:
    """Run collect until the gateway's stop point, then cancel it there (or let its failure surface)."""
    task = asyncio.create_task(archive.collect(swarm_id, channel))
    stopped = asyncio.create_task(gateway.stopped.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if gateway.fail:
        with pytest.raises(SlackCallFailed):
            await task
        return
    assert not task.done(), "the run finished before its stop point"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
