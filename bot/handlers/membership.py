"""member_joined_channel: who joined a swarm, and when."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.handlers.acking import ack_first
from bot.handlers.payloads import optional_text
from bot.swarms import Swarms


async def member_joined(event: dict[str, Any], context: AsyncBoltContext, swarms: Swarms) -> None:
    """Record a person joining a swarm channel (other channels are not ours to track)."""
    user, channel = optional_text(event, "user"), optional_text(event, "channel")
    if not user or not channel or user == context.bot_user_id:
        return  # malformed, or the bot's own join (Bolt keeps those): not a participant
    await swarms.record_join(channel_id=channel, user_id=user)


def register(app: AsyncApp) -> None:
    """Attach the membership listener to `app`."""
    app.event("member_joined_channel")(ack_first(member_joined))
