"""Plain views of swarms for templates and replies (templates never see ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.grammar import SEVERITY_NAMES
from storage.models import Swarm, Ticket

PREVIOUS_TICKETS_SHOWN = 5


@dataclass(frozen=True)
class PreviousTicket:
    """One of the customer's earlier tickets, as the brief lists it."""

    ticket_id: str
    severity: str
    status: str
    opened_at: datetime

    @property
    def line(self) -> str:
        """One line for the brief."""
        return (
            f"• {self.ticket_id} · {self.severity.upper()} · {self.status} · opened {self.opened_at:%Y-%m-%d}"
        )


@dataclass(frozen=True)
class SwarmView:
    """What a message needs to know about a swarm."""

    id: int
    ticket_id: str
    status: str
    severity: str
    category: str | None
    summary: str
    skills: tuple[str, ...]
    customer: str | None
    commander: str
    requested_by: str
    channel_id: str | None
    channel_name: str | None
    is_private: bool
    previous_tickets: tuple[PreviousTicket, ...] = ()

    @property
    def severity_name(self) -> str:
        """critical, high, moderate or low."""
        return SEVERITY_NAMES.get(self.severity, self.severity)


async def previous_tickets(session: AsyncSession, ticket: Ticket) -> tuple[PreviousTicket, ...]:
    """The customer's other tickets, newest first (their latest swarm's severity and status)."""
    if ticket.customer_key is None:
        return ()
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.customer_key == ticket.customer_key, Ticket.id != ticket.id)
        .options(selectinload(Ticket.swarms))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(PREVIOUS_TICKETS_SHOWN)
    )
    found: list[PreviousTicket] = []
    for other in rows:
        latest = other.swarms[-1] if other.swarms else None
        found.append(
            PreviousTicket(
                ticket_id=other.ticket_id,
                severity=latest.severity if latest else "sev3",
                status="resolved" if latest is None or latest.status == "resolved" else "open",
                opened_at=latest.opened_at if latest else other.created_at,
            )
        )
    return tuple(found)


async def load_swarm_view(session: AsyncSession, swarm_id: int, *, with_history: bool = False) -> SwarmView:
    """The view of swarm `swarm_id`; `with_history` adds the customer's previous tickets."""
    swarm = await session.get_one(Swarm, swarm_id)
    ticket = await session.get_one(Ticket, swarm.ticket_pk)  # explicit: no lazy loads under asyncio
    history = await previous_tickets(session, ticket) if with_history else ()
    return SwarmView(
        id=swarm.id,
        ticket_id=ticket.ticket_id,
        status=swarm.status,
        severity=swarm.severity,
        category=swarm.category,
        summary=swarm.summary,
        skills=tuple(swarm.skills),
        customer=ticket.customer,
        commander=swarm.commander,
        requested_by=swarm.requested_by,
        channel_id=swarm.channel_id,
        channel_name=swarm.channel_name,
        is_private=swarm.is_private,
        previous_tickets=history,
    )
