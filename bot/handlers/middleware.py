"""Global middleware: put the services into every listener's context; drop Slack's retries of events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.logs import new_request_id
from bot.services import Services

log = logging.getLogger(__name__)

EVENT_DEDUPE_TTL = 60 * 60  # Slack retries an event for up to about 5 minutes; keep ids well past that

Next = Callable[[], Awaitable[None]]


def register(app: AsyncApp, services: Services) -> None:
    """Attach the middleware to `app`."""

    @app.middleware
    async def request_id(context: AsyncBoltContext, next: Next) -> None:
        # Every log line this request causes, here and in its background work, carries the same id.
        context["request_id"] = new_request_id()
        await next()

    @app.middleware
    async def inject_services(context: AsyncBoltContext, next: Next) -> None:
        # Listeners name what they need (`swarms`, `gateway`, …) and Bolt passes it from the context.
        context["services"] = services
        context["swarms"] = services.swarms
        context["gateway"] = services.gateway
        context["categories"] = services.categories
        await next()

    @app.middleware
    async def drop_event_retries(
        req: AsyncBoltRequest,
        body: dict[str, Any],
        next: Next,
    ) -> BoltResponse | None:
        # An event Slack retries carries the same event_id: process it once, ack every copy.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await services.coordinator.dedupe(f"event:{event_id}", EVENT_DEDUPE_TTL):
            retry = req.headers.get("x-slack-retry-num", ["?"])[0]
            log.info("dropping repeated event %s (retry %s)", event_id, retry)
            return BoltResponse(status=200, body="")
        await next()
        return None
