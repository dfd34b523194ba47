"""Middleware that puts the Slack surfaces' services into every listener's context as `surfaces`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.surfaces import Surfaces


def register(app: AsyncApp, surfaces: Surfaces) -> None:
    """Attach the middleware to `app`."""

    @app.middleware
    async def inject_surfaces(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context["surfaces"] = surfaces
        await next()
