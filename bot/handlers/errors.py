"""The one error path: a domain exception becomes an ephemeral message that says how to fix it."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond

from bot.errors import SlackCallFailed, UserError
from bot.rendering import render
from bot.slack.gateway import SlackGateway

log = logging.getLogger(__name__)


def who_and_where(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The person and the channel a Slack payload is about (either may be unknown)."""
    event = body.get("event") or {}
    user = body.get("user_id") or (body.get("user") or {}).get("id") or event.get("user")
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or event.get("channel")
        or (event.get("item") or {}).get("channel")
    )
    return user, channel


def error_message(error: Exception) -> dict[str, Any]:
    """The ephemeral message that explains `error` (and logs what the person should not see)."""
    if isinstance(error, UserError):
        return render("messages/error", message=error.message, hint=error.hint)
    if isinstance(error, SlackCallFailed):  # Slack said no (after the gateway's retries): not our bug
        log.warning("explaining a failed Slack call: %s", error)
        return render(
            "messages/error",
            message=f"Slack refused part of that ({error.method}: {error.error}).",
            hint="Try again in a moment; if it keeps failing, check swarmbot is still in the channel.",
        )
    reference = uuid.uuid4().hex[:8]
    log.error("unhandled error (ref %s)", reference, exc_info=error)
    return render(
        "messages/error",
        message=f"Something went wrong on our side (reference {reference}). Nothing was lost.",
        hint="Try again in a moment; if it keeps failing, give your admin the reference.",
    )


async def explain_error(
    error: Exception, *, body: dict[str, Any], respond: AsyncRespond | None, gateway: SlackGateway
) -> None:
    """Tell the person who caused `error` what went wrong, by response_url or an ephemeral message."""
    message = error_message(error)
    try:
        # Bolt hands every listener a `respond`, but only payloads with a response_url can use it.
        if respond is not None and getattr(respond, "response_url", None):
            await respond(**message)
            return
        user, channel = who_and_where(body)
        message.pop("response_type", None)
        if user and channel:
            await gateway.tell(channel, user, **message)
        elif user:  # a modal submission: no channel to show it in, so a DM
            await gateway.post_message(await gateway.open_dm(user), **message)
    except (SlackCallFailed, OSError, ValueError) as failure:  # explaining must never raise in turn
        log.warning("could not explain an error to the user: %s", failure)


def register(app: AsyncApp, gateway: SlackGateway) -> None:
    """Attach the error handler for errors raised before a listener acks (middleware, parsing)."""

    @app.error
    async def explain(error: Exception, body: dict[str, Any], respond: AsyncRespond | None) -> None:
        await explain_error(error, body=body, respond=respond, gateway=gateway)
