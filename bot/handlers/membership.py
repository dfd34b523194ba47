"""member_joined_channel: who joined a swarm, and when."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.handlers.acking import ack_first
from bot.swarms import Swarms


async def member_joined(event: dict[str, Any], context: AsyncBoltContext, swarms: Swarms) -> None:
    """Record a person joining a swarm channel (other channels are not ours to track)."""
    if event.get("user") == context.bot_user_id:
        return  # Bolt keeps the bot's own joins; the bot is not a participant
    await swarms.record_join(channel_id=event["channel"], user_id=event["user"])


def register(app: AsyncApp) -> None:
    """Attach the membership listener to `app`."""
    app.event("member_joined_channel")(ack_first(member_joined))
