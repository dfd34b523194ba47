"""`/escalate list`: the open swarms a person can see, most severe first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.swarm_membership import involving, severity_first, visible_to
from storage.db import SessionFactory
from storage.models import Swarm, Ticket

LISTED = 20


@dataclass(frozen=True)
class ListedSwarm:
    """One open swarm as the list shows it."""

    ticket_id: str
    severity: str
    summary: str
    channel_id: str
    commander: str
    is_private: bool
    opened_at: datetime
    mine: bool  # the person is in it


@dataclass(frozen=True)
class SwarmList:
    """The swarms shown and how many more there are."""

    swarms: tuple[ListedSwarm, ...]
    more: int


async def visible_swarms(sessions: SessionFactory, user_id: str) -> SwarmList:
    """Open swarms `user_id` can see: every public one, and the private ones they are in."""
    async with sessions() as session:
        found = severity_first(
            list(
                (
                    await session.scalars(
                        select(Swarm).where(
                            Swarm.status == "open", Swarm.channel_id.is_not(None), visible_to(user_id)
                        )
                    )
                ).all()
            )
        )
        shown = found[:LISTED]
        tickets = dict(
            (
                await session.execute(
                    select(Ticket.id, Ticket.ticket_id).where(Ticket.id.in_([s.ticket_pk for s in shown]))
                )
            ).all()
        )
        mine = set(
            (
                await session.scalars(
                    select(Swarm.id).where(Swarm.id.in_([s.id for s in shown]), involving(user_id))
                )
            ).all()
        )
    listed = tuple(
        ListedSwarm(
            ticket_id=tickets[swarm.ticket_pk],
            severity=swarm.severity,
            summary=swarm.summary,
            channel_id=str(swarm.channel_id),
            commander=swarm.commander,
            is_private=swarm.is_private,
            opened_at=swarm.opened_at,
            mine=swarm.id in mine,
        )
        for swarm in shown
    )
    return SwarmList(listed, max(0, len(found) - LISTED))
