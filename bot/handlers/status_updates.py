"""Status updates from the reminder's buttons and the update form (a modal)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.errors import SlackCallFailed, UserError
from bot.handlers.acking import ack_first, after_ack
from bot.handlers.payloads import MalformedPayload, json_object, number, optional_text, text_at
from bot.rendering import render, render_view
from bot.services import Services
from bot.swarm_views import SwarmView
from bot.updates import UpdateView

NEXT_UPDATE = [
    ("15", "15 minutes"),
    ("30", "30 minutes"),
    ("60", "1 hour"),
    ("120", "2 hours"),
    ("240", "4 hours"),
    ("1440", "1 day"),
]
FIELD_MAX = 1000


def update_form(swarm: SwarmView, *, default_minutes: int = 30) -> dict[str, Any]:
    """The modal for a status update on `swarm`."""
    default = min(NEXT_UPDATE, key=lambda option: abs(int(option[0]) - default_minutes))[0]
    return render_view("modals/status_update", swarm=swarm, next_options=NEXT_UPDATE, next_default=default)


def read_form(view: dict[str, Any], *, by: str, now: datetime) -> tuple[UpdateView | None, dict[str, str]]:
    """The update a submitted form describes, or the errors to show next to its fields."""
    values = view.get("state", {}).get("values", {})

    def field(block: str) -> str:
        element = values.get(block, {}).get("value", {})
        chosen = element.get("selected_option") or {}
        return str(chosen.get("value") or element.get("value") or "").strip()

    errors: dict[str, str] = {}
    status, impact, steps, minutes = (
        field("status"),
        field("impact"),
        field("next_steps"),
        field("next_update"),
    )
    if not status:
        errors["status"] = "Pick where things stand."
    if not impact:
        errors["impact"] = "Say how customers are affected (or “none”)."
    for block, text in (("impact", impact), ("next_steps", steps)):
        if len(text) > FIELD_MAX:
            errors[block] = f"Keep this under {FIELD_MAX} characters."
    if minutes not in {value for value, _ in NEXT_UPDATE}:
        errors["next_update"] = "Pick when the next update is due."
    if errors:
        return None, errors
    update = UpdateView(
        author=by,
        text="",
        status=status,
        impact=impact,
        next_steps=steps or None,
        next_update_at=now + timedelta(minutes=int(minutes)),
    )
    return update, {}


async def open_form(services: Services, swarm: SwarmView, trigger_id: str, user: str) -> None:
    """Open the form; when the trigger expired, say how to post the update by typing instead."""
    await services.permissions.post_update(swarm, user)
    try:
        await services.gateway.open_view(trigger_id, update_form(swarm))
    except SlackCallFailed as failure:
        if failure.error not in ("expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"):
            raise
        raise UserError(
            "The form took too long to open (Slack allows 3 seconds).",
            hint="Click *Post update* again, or type `/escalate update TEXT` in the channel.",
        ) from failure


async def reminder_snoozed(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    """Snooze 15 min on a reminder."""
    value = json_object(text_at(action, "value"), "the reminder on this button")
    user = text_at(body, "user", "id")
    try:
        swarm_id, reminded_at = int(value["swarm"]), datetime.fromisoformat(str(value["at"]))
    except (KeyError, TypeError, ValueError):
        raise MalformedPayload("the reminder on this button") from None
    if reminded_at.tzinfo is None:  # we always write UTC offsets; a naive time is not ours
        raise MalformedPayload("the reminder on this button")
    until = await services.reminders.snooze(swarm_id, by=user, reminded_at=reminded_at)
    channel, ts = text_at(body, "channel", "id"), text_at(body, "message", "ts")
    line = f":zzz: Snoozed by <@{user}>: the next reminder comes at {until:%H:%M} UTC."
    await services.gateway.update_message(channel, ts, **render("messages/notice", line=line))


async def reminder_update_clicked(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    """Post update on a reminder: open the form."""
    swarm = await services.swarms.in_channel(text_at(body, "channel", "id"))
    await open_form(services, swarm, text_at(body, "trigger_id"), text_at(body, "user", "id"))


async def form_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services
) -> None:
    """The form was submitted: errors go back into it, and nothing is posted until it is right."""
    user = optional_text(body, "user", "id")
    if user is None:
        await ack()  # nobody to post as or to tell: a malformed submission closes quietly
        return
    update, errors = read_form(view, by=user, now=services.clock.now())
    if update is None:
        await ack(response_action="errors", errors=errors)
        return
    await ack()

    async def post() -> None:
        async with services.sessions() as session:
            from bot.swarm_views import load_swarm_view

            swarm = await load_swarm_view(
                session, number(text_at(view, "private_metadata"), "the form's swarm")
            )
        await services.updates.post(swarm, update)

    await after_ack(post(), body=body, respond=None, gateway=services.gateway)


def register(app: AsyncApp) -> None:
    """Attach the reminder buttons and the form."""
    app.action("reminder_snooze")(ack_first(reminder_snoozed))
    app.action("reminder_post_update")(ack_first(reminder_update_clicked))
    app.view("status_update")(form_submitted)
