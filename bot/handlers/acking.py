"""Ack first, then work: the wrapper every command, action and event listener is registered through.

Slack needs the ack within 3 seconds; the work after it may take longer. Errors raised after the ack are
explained here, through the same `explain_error` as Bolt's @app.error, and never re-raised into Bolt: its
asyncio runner replaces an already-sent ack with None when a listener raises right after acking, which
turns a delivered answer into a 404 (and a Slack "dispatch_failed").
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncRespond
from slack_bolt.kwargs_injection.async_args import AsyncArgs

from bot.errors import SlackCallFailed, UserError
from bot.handlers.errors import explain_error, who_and_where
from bot.slack.gateway import SlackGateway

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

Listener = Callable[..., Awaitable[None]]


def _argument(args: AsyncArgs, name: str) -> Any:
    # Bolt's own arguments are attributes of AsyncArgs; our services live in the context.
    return getattr(args, name) if hasattr(args, name) else args.context.get(name)


async def after_ack(
    work: Awaitable[None], *, body: dict[str, Any], respond: AsyncRespond | None, gateway: SlackGateway
) -> bool:
    """Run work that follows an ack; explain any error to the person instead of raising it into Bolt.

    True when the work is settled: done, or refused for a reason a second try would meet again. False
    when it failed on something passing (storage or Slack away for a moment, a bug hit by a race): an
    event is then left for the reconciler to replay.
    """
    try:
        await work
    except Exception as error:  # the one place post-ack errors are explained
        await explain_error(error, body=body, respond=respond, gateway=gateway)
        return _settled(error)
    return True


def _settled(error: Exception) -> bool:
    if isinstance(error, UserError):
        return True
    if isinstance(error, SlackCallFailed):
        return not error.transient
    return False


def refresh_homes(services: Services | None, body: dict[str, Any]) -> None:
    """After a request changed something, the Home tabs of the person and of the swarm it touched."""
    if services is None:
        return
    user, channel = who_and_where(body)
    if user:
        services.home.refresh([user])
    if channel:
        services.home.refresh_channel(channel)


def event_id_of(body: dict[str, Any]) -> str | None:
    """The event_id of an Events API body; None for commands, clicks and forms."""
    if body.get("type") != "event_callback" or not body.get("event_id"):
        return None
    return str(body["event_id"])


async def kept_in_inbox(args: AsyncArgs, services: Services, event_id: str) -> bool:
    """Store the event before its ack (bot/inbox.py); False for a copy of one already stored.

    Commands and clicks carry no event_id; their effects are made exactly-once by compare-and-set in
    storage.
    """
    retried = bool(args.request.headers.get("x-slack-retry-num"))
    try:
        if await services.inbox.take(args.body):
            return True
        # Slack retries only when it got no ack: the process that stored it may have died before acking.
        if retried and await services.inbox.take_again(event_id):
            return True
    except Exception:  # storage unreachable: the work will say so; the ack must still go out
        log.warning("could not store event %s; processing it", event_id, exc_info=True)
        return True
    retry = args.request.headers.get("x-slack-retry-num", ["?"])[0]
    log.info("dropping repeated event %s (retry %s)", event_id, retry)
    return False


async def _mark_done(services: Services, event_id: str) -> None:
    try:
        await services.inbox.done(event_id)
    except Exception:  # the reconciler will replay it; the work is safe to repeat
        log.warning("could not mark event %s done", event_id, exc_info=True)


def ack_first(listener: Listener) -> Callable[[AsyncArgs], Awaitable[None]]:
    """A Bolt listener that acks at once, then runs `listener` with the arguments it names.

    An event is stored in the inbox before the ack and marked done after its work (or a refusal a retry
    would meet again), so one whose process dies in between, or whose work failed on something passing,
    is replayed by the reconciler (`replaying` in the context: already stored).
    """
    names = list(inspect.signature(listener).parameters)

    async def acknowledged(args: AsyncArgs) -> None:
        services: Services | None = args.context.get("services")
        event_id = event_id_of(args.body) if services is not None else None
        fresh = True
        if services is not None and event_id is not None and not args.context.get("replaying"):
            fresh = await kept_in_inbox(args, services, event_id)  # before the ack: nothing acked is lost
        await args.ack()
        if not fresh:
            return
        work = listener(**{name: _argument(args, name) for name in names})
        settled = await after_ack(work, body=args.body, respond=args.respond, gateway=args.context["gateway"])
        if services is not None and event_id is not None and settled:
            await _mark_done(services, event_id)
        refresh_homes(services, args.body)

    acknowledged.__name__ = listener.__name__
    acknowledged.__qualname__ = listener.__qualname__
    return acknowledged
