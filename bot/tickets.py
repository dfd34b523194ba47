"""The ticket record: everything swarmbot knows about a ticket, in the JSON shape DESIGN.md fixes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Swarm, Ticket


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _swarm_record(swarm: Swarm) -> dict[str, Any]:
    return {
        "channel_id": swarm.channel_id,
        "channel_name": swarm.channel_name,
        "severity": swarm.severity,
        "category": swarm.category,
        "summary": swarm.summary,
        "status": swarm.status,
        "opened_at": _iso(swarm.opened_at),
        "ready_at": _iso(swarm.ready_at),
        "resolved_at": _iso(swarm.resolved_at),
        "requested_by": swarm.requested_by,
        "commander": swarm.commander,
        "skills": list(swarm.skills),
        "experts": [p.user_id for p in swarm.participants if p.role == "expert"],
        "participants": [{"user": p.user_id, "role": p.role} for p in swarm.participants],
        "tasks": [],
        "status_updates": [],
        "transcript": None,
    }


async def ticket_record(session: AsyncSession, ticket_id: str) -> dict[str, Any] | None:
    """The record of `ticket_id` (case-insensitive), or None if swarmbot never saw it."""
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.ticket_id == ticket_id.upper())
        .options(selectinload(Ticket.swarms).selectinload(Swarm.participants))
    )
    if ticket is None:
        return None
    return {
        "ticket_id": ticket.ticket_id,
        "status": "open" if any(s.status != "resolved" for s in ticket.swarms) else "resolved",
        "customer": ticket.customer,
        "created_at": _iso(ticket.created_at),
        "swarms": [_swarm_record(swarm) for swarm in ticket.swarms],
    }
