"""Taking back a swarm channel that a crash left unrecorded.

The builder creates the channel, then records its id. A process killed between the two leaves a channel in
Slack that no swarm knows, and the next attempt would create `name-2` beside it: an orphan. So before a
half-built swarm without a channel is built again, look for the channel the dead attempt made (the name the
builder asks for, or one of the suffixed names the gateway tries when it is taken), made by the bot,
not archived and recorded by no swarm, and record it as the swarm's. The name carries the ticket id, so
such a channel can only be this ticket's.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from bot import timeline
from bot.clock import Clock
from bot.records import affected
from bot.slack.channel_names import swarm_channel_name
from bot.slack.gateway import SlackGateway, name_candidates
from storage.db import SessionFactory
from storage.models import Swarm, Ticket

log = logging.getLogger(__name__)


class ChannelRecovery:
    """Finds and records the channel a crashed build created but never recorded."""

    def __init__(self, *, sessions: SessionFactory, gateway: SlackGateway, clock: Clock) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock

    async def adopt(self, swarm_id: int) -> str | None:
        """Record the swarm's unrecorded channel, if a crashed attempt left one; return its id."""
        async with self._sessions() as session:
            swarm = await session.get_one(Swarm, swarm_id)
            if swarm.channel_id is not None:
                return None
            ticket_id = (await session.get_one(Ticket, swarm.ticket_pk)).ticket_id
            name = swarm.channel_name or swarm_channel_name(ticket_id, swarm.summary)
            ticket_pk = swarm.ticket_pk
        bot = await self._gateway.bot_user_id()
        made = [
            channel
            for channel in await self._gateway.channels_named(name_candidates(name))
            if channel.creator == bot
        ]
        if not made:
            return None
        async with self._sessions() as session:
            recorded = set(
                (
                    await session.scalars(
                        select(Swarm.channel_id).where(Swarm.channel_id.in_([c.id for c in made]))
                    )
                ).all()
            )
            unclaimed = sorted((c for c in made if c.id not in recorded), key=lambda c: (c.created, c.id))
            if not unclaimed:
                return None
            channel = unclaimed[0]
            # Compare-and-set, like the builder's own record of a channel it created.
            adopted = await session.execute(
                update(Swarm)
                .where(Swarm.id == swarm_id, Swarm.channel_id.is_(None))
                .values(channel_id=channel.id, channel_name=channel.name)
            )
            if affected(adopted) != 1:
                return None
            timeline.record(
                session,
                ticket_pk=ticket_pk,
                swarm_id=swarm_id,
                kind="channel_recovered",
                at=self._clock.now(),
                channel_id=channel.id,
                channel_name=channel.name,
            )
            await session.commit()
        log.info("swarm %s: recorded #%s, which an interrupted attempt created", swarm_id, channel.name)
        return channel.id
