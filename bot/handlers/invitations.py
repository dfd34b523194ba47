"""Accept / Decline buttons on an expert's invitation."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.handlers.acking import ack_first
from bot.services import Services


async def invitation_answered(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    """The invited expert pressed Accept or Decline."""
    await services.invitations.answer(
        int(action["value"]), body["user"]["id"], accept=action["action_id"] == "invitation_accept"
    )


def register(app: AsyncApp) -> None:
    """Attach the button listeners to `app`."""
    app.action("invitation_accept")(ack_first(invitation_answered))
    app.action("invitation_decline")(ack_first(invitation_answered))
