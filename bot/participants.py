"""Who is in a swarm, and as what: one row per person, upgraded (member → expert) but never downgraded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Participant

# Higher wins when someone is recorded twice (joined the channel, then accepted as an expert).
RANK = {"member": 0, "expert": 1, "commander": 2}


async def ensure_participant(
    session: AsyncSession, *, swarm_id: int, user_id: str, role: str, at: datetime
) -> bool:
    """Record `user_id` in the swarm as `role` (in the caller's transaction); True if a row was added."""
    found = await session.scalar(
        select(Participant).where(Participant.swarm_id == swarm_id, Participant.user_id == user_id)
    )
    if found is None:
        session.add(Participant(swarm_id=swarm_id, user_id=user_id, role=role, joined_at=at))
        return True
    if RANK.get(role, 0) > RANK.get(found.role, 0):
        found.role = role
    return False
