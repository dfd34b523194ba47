"""The one global middleware: a request id and the services in every listener's context.

A plain `AsyncMiddleware` rather than `@app.middleware` functions: Bolt inspects and injects keyword
arguments for each decorated middleware on every request, which was most of the ack path's own cost
(BENCHMARKS.md, "Ack latency"). Slack's retries of events are dropped after the ack, in `ack_first`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.logs import new_request_id
from bot.services import Services
from bot.surfaces import Surfaces


class ListenerContext(AsyncMiddleware):
    """Listeners name what they need (`swarms`, `gateway`, `surfaces`, …) and find it in the context."""

    def __init__(self, services: Services, surfaces: Surfaces) -> None:
        self._values = {
            "services": services,
            "swarms": services.swarms,
            "gateway": services.gateway,
            "categories": services.categories,
            "surfaces": surfaces,
        }

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        # Every log line this request causes, here and in its background work, carries the same id.
        req.context["request_id"] = new_request_id()
        req.context.update(self._values)
        return await next()


def register(app: AsyncApp, services: Services, surfaces: Surfaces) -> None:
    """Attach the middleware to `app`."""
    app.use(ListenerContext(services, surfaces))
