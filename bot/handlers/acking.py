"""Ack first, then work: the wrapper every command, action and event listener is registered through.

Slack needs the ack within 3 seconds; the work after it may take longer. Errors raised after the ack are
explained here, through the same `explain_error` as Bolt's @app.error, and never re-raised into Bolt: its
asyncio runner replaces an already-sent ack with None when a listener raises right after acking, which
turns a delivered answer into a 404 (and a Slack "dispatch_failed").
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.handlers.errors import explain_error, who_and_where
from bot.slack.gateway import SlackGateway

if TYPE_CHECKING:
    from bot.services import Services

Listener = Callable[..., Awaitable[None]]


def _argument(args: AsyncArgs, name: str) -> Any:
    # Bolt's own arguments are attributes of AsyncArgs; our services live in the context.
    return getattr(args, name) if hasattr(args, name) else args.context.get(name)


async def after_ack(
    work: Awaitable[None], *, body: dict[str, Any], respond: AsyncRespond | None, gateway: SlackGateway
) -> None:
    """Run work that follows an ack; explain any error to the person instead of raising it into Bolt."""
    try:
        await work
    except Exception as error:  # the one place post-ack errors are explained
        await explain_error(error, body=body, respond=respond, gateway=gateway)


def refresh_homes(services: Services | None, body: dict[str, Any]) -> None:
    """After a request changed something, the Home tabs of the person and of the swarm it touched."""
    if services is None:
        return
    user, channel = who_and_where(body)
    if user:
        services.home.refresh([user])
    if channel:
        services.home.refresh_channel(channel)


def ack_first(listener: Listener) -> Callable[[AsyncArgs], Awaitable[None]]:
    """A Bolt listener that acks at once, then runs `listener` with the arguments it names."""
    names = list(inspect.signature(listener).parameters)

    async def acknowledged(args: AsyncArgs) -> None:
        await args.ack()
        work = listener(**{name: _argument(args, name) for name in names})
        await after_ack(work, body=args.body, respond=args.respond, gateway=args.context["gateway"])
        refresh_homes(args.context.get("services"), args.body)

    acknowledged.__name__ = listener.__name__
    acknowledged.__qualname__ = listener.__qualname__
    return acknowledged
