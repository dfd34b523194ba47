"""`/escalate`: open or link a swarm, or answer help."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond

from bot.errors import InvalidCommand
from bot.grammar import USAGE, Help, OpenSwarm, SwarmCommand, parse
from bot.handlers.acking import ack_first
from bot.rendering import render
from bot.swarms import Swarms


async def escalate_command(
    command: dict[str, Any], respond: AsyncRespond, swarms: Swarms, categories: frozenset[str]
) -> None:
    """/escalate TICKET …: open or link the swarm for a ticket."""
    request = parse(command.get("text", ""), categories=categories)
    match request:
        case Help():
            await respond(**render("messages/help", usage=USAGE))
        case OpenSwarm():
            outcome = await swarms.open(
                request, requested_by=command["user_id"], request_channel_id=command.get("channel_id")
            )
            await respond(**render("messages/swarm_opened", outcome=outcome))
        case SwarmCommand(verb=verb):
            raise InvalidCommand(
                f"`/escalate {verb}` is not available in this version of swarmbot yet.",
                hint="`/escalate help` lists what works today.",
            )


def register(app: AsyncApp) -> None:
    """Attach the command listener to `app`."""
    app.command("/escalate")(ack_first(escalate_command))
