"""The message shortcut “Escalate this message”: the escalation form, filled in from the message."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond

from bot.escalate_form import start_from_message
from bot.handlers.acking import ack_first
from bot.handlers.escalate_modal import open_escalate_form
from bot.handlers.payloads import optional_text, text_at
from bot.services import Services

ESCALATE_MESSAGE = "escalate_message"  # manifest.yml: features.shortcuts


async def escalate_message(shortcut: dict[str, Any], respond: AsyncRespond, services: Services) -> None:
    """Open the form with the message's text as summary (and a ticket id and customer if it names them)."""
    text = optional_text(shortcut, "message", "text") or ""
    channel, ts = text_at(shortcut, "channel", "id"), text_at(shortcut, "message_ts")
    start = start_from_message(text, channel=channel, ts=ts)
    await open_escalate_form(
        services,
        trigger_id=text_at(shortcut, "trigger_id"),
        user=text_at(shortcut, "user", "id"),
        start=start,
        respond=respond,
    )


def register(app: AsyncApp) -> None:
    """Attach the shortcut listener."""
    app.shortcut(ESCALATE_MESSAGE)(ack_first(escalate_message))
