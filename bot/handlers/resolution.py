"""The resolve form, and the requester's satisfaction survey (1–5 buttons, an optional comment)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import SlackCallFailed, UserError
from bot.handlers.acking import ack_first, after_ack
from bot.handlers.payloads import number, optional_text, text_at
from bot.rendering import render, render_view
from bot.services import Services
from bot.swarm_views import SwarmView, load_swarm_view

FIELD_MAX = 2000


def _text(view: dict[str, Any], block: str) -> str:
    return str(
        view.get("state", {}).get("values", {}).get(block, {}).get("value", {}).get("value") or ""
    ).strip()


async def _open(services: Services, trigger_id: str, view: dict[str, Any]) -> None:
    try:
        await services.gateway.open_view(trigger_id, view)
    except SlackCallFailed as failure:
        if failure.error not in ("expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"):
            raise
        raise UserError(
            "The form took too long to open (Slack allows 3 seconds).", hint="Try again."
        ) from failure


async def open_resolve_form(services: Services, swarm: SwarmView, trigger_id: str, user: str) -> None:
    """`/escalate resolve` without text: the form (after the permission check, so nobody fills it in vain)."""
    if swarm.status == "resolved":
        raise UserError(f"{swarm.ticket_id} is already resolved; its channel is being archived.")
    await services.permissions.steer(swarm, user, "resolve")
    await _open(services, trigger_id, render_view("modals/resolve", swarm=swarm))


async def resolve_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services
) -> None:
    """The resolve form: a resolution is required; the rest is optional."""
    resolution, cause, follow_ups = (
        _text(view, "resolution"),
        _text(view, "root_cause"),
        _text(view, "follow_ups"),
    )
    errors = {} if resolution else {"resolution": "Say how it was resolved."}
    for block, text in (("resolution", resolution), ("root_cause", cause), ("follow_ups", follow_ups)):
        if len(text) > FIELD_MAX:
            errors[block] = f"Keep this under {FIELD_MAX} characters."
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()

    async def resolve() -> None:
        async with services.sessions() as session:
            swarm = await load_swarm_view(
                session, number(text_at(view, "private_metadata"), "the form's swarm")
            )
        await services.resolutions.resolve(
            swarm,
            by=text_at(body, "user", "id"),
            resolution=resolution,
            root_cause=cause,
            follow_ups=follow_ups,
        )

    await after_ack(resolve(), body=body, respond=None, gateway=services.gateway)


async def rated(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    """A CSAT button: record the score and thank them in place."""
    swarm_part, _, score_part = text_at(action, "value").partition(":")
    swarm_id, score = number(swarm_part, "the survey"), number(score_part, "the score")
    swarm = await services.resolutions.rate(swarm_id, by=text_at(body, "user", "id"), score=score)
    message = render("messages/csat_survey", swarm=swarm, answered=score, commented=False)
    await services.gateway.update_message(
        text_at(body, "channel", "id"), text_at(body, "message", "ts"), **message
    )


async def comment_clicked(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    """Add a comment: the comment form."""
    async with services.sessions() as session:
        swarm = await load_swarm_view(session, number(text_at(action, "value"), "the survey"))
    await _open(services, text_at(body, "trigger_id"), render_view("modals/csat_comment", swarm=swarm))


async def comment_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services
) -> None:
    """The CSAT comment form."""
    comment = _text(view, "comment")
    if not comment or len(comment) > FIELD_MAX:
        await ack(response_action="errors", errors={"comment": f"Write up to {FIELD_MAX} characters."})
        return
    await ack()
    user = optional_text(body, "user", "id")
    metadata = optional_text(view, "private_metadata") or ""
    if user is None or not metadata.isdigit():
        return  # acked above; a malformed submission has nobody to tell
    work = services.resolutions.comment(int(metadata), by=user, text=comment)
    await after_ack(work, body=body, respond=None, gateway=services.gateway)


def register(app: AsyncApp) -> None:
    """Attach the resolve form and the survey."""
    app.view("resolve")(resolve_submitted)
    for score in range(1, 6):
        app.action(f"csat_{score}")(ack_first(rated))
    app.action("csat_add_comment")(ack_first(comment_clicked))
    app.view("csat_comment")(comment_submitted)
