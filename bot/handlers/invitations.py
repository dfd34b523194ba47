"""Accept / Decline buttons on an expert's invitation."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.handlers.acking import ack_first
from bot.handlers.payloads import number, text_at
from bot.services import Services


async def invitation_answered(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    """The invited expert pressed Accept or Decline."""
    invitation = number(text_at(action, "value"), "the invitation on this button")
    await services.invitations.answer(
        invitation, text_at(body, "user", "id"), accept=action.get("action_id") == "invitation_accept"
    )


def register(app: AsyncApp) -> None:
    """Attach the button listeners to `app`."""
    app.action("invitation_accept")(ack_first(invitation_answered))
    app.action("invitation_decline")(ack_first(invitation_answered))
