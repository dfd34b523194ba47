"""Replaying an event from the inbox: its listener runs as if Slack had just delivered it.

The stored body goes through a Bolt app of the replaying process (the worker, or `swarmbot doctor`) as
a Socket Mode request, which Bolt does not check for a signature: it was checked when Slack sent it. The
app waits for the work before answering, so the replay is done when this returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

if TYPE_CHECKING:
    from bot.services import Services


class EventReplayer:
    """Runs stored events through the app's own listeners."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._app: AsyncApp | None = None

    async def __call__(self, body: dict[str, Any]) -> None:
        if self._app is None:
            from bot.app import build_app  # the app is built from the services: import when first needed

            self._app = build_app(self._services, process_before_response=True)
        request = AsyncBoltRequest(body=body, mode="socket_mode", context={"replaying": True})
        await self._app.async_dispatch(request)
