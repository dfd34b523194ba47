"""The audit timeline: one row per thing that happened to a ticket's swarms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TimelineEntry


def record(
    session: AsyncSession,
    *,
    ticket_pk: int,
    swarm_id: int | None,
    kind: str,
    at: datetime,
    actor: str | None = None,
    **detail: Any,
) -> None:
    """Add a timeline entry to `session` (committed with the caller's unit of work)."""
    session.add(
        TimelineEntry(ticket_pk=ticket_pk, swarm_id=swarm_id, kind=kind, at=at, actor=actor, detail=detail)
    )


async def record_for_swarm(
    session: AsyncSession, swarm_id: int, kind: str, *, at: datetime, actor: str | None = None, **detail: Any
) -> None:
    """Like `record`, looking up the swarm's ticket."""
    from storage.models import Swarm

    swarm = await session.get_one(Swarm, swarm_id)
    record(session, ticket_pk=swarm.ticket_pk, swarm_id=swarm_id, kind=kind, at=at, actor=actor, **detail)
