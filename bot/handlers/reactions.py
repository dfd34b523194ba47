"""reaction_added / reaction_removed: claim and finish tasks, take open roles. Other reactions are ignored."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.errors import NotInSwarm
from bot.handlers.acking import ack_first
from bot.handlers.payloads import optional_text
from bot.services import Services
from bot.tasks import CLAIM, DONE, Reaction


async def reaction_changed(event: dict[str, Any], services: Services) -> None:
    """Route a reaction on a task or an open role's message; anything else is not ours."""
    channel, ts, user = (
        optional_text(event, "item", "channel"),
        optional_text(event, "item", "ts"),
        optional_text(event, "user"),
    )
    if optional_text(event, "item", "type") != "message" or event.get("reaction") not in (CLAIM, DONE):
        return
    if not channel or not ts or not user:
        return  # not a reaction we could act on
    reaction = Reaction(
        channel=channel,
        ts=ts,
        user=user,
        name=str(event["reaction"]),
        added=event.get("type") == "reaction_added",
    )
    try:
        swarm = await services.swarms.in_channel(reaction.channel)
    except NotInSwarm:
        return
    task = await services.tasks.find(swarm.id, reaction.ts)
    if task is not None:
        await services.tasks.react(swarm, task, reaction)
        return
    if reaction.name == CLAIM and reaction.added:
        role = await services.roles.find_open(swarm.id, reaction.ts)
        if role is not None:
            await services.roles.claim(swarm, role, reaction.user)


def register(app: AsyncApp) -> None:
    """Attach the reaction listeners to `app`."""
    app.event("reaction_added")(ack_first(reaction_changed))
    app.event("reaction_removed")(ack_first(reaction_changed))
