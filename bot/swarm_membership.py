"""Who is in a swarm, and which swarms a person is in: the one definition the Home tab and `list` share.

A person is in a swarm when they requested or command it, joined its channel (a participant row), hold one
of its roles, or were asked to join as an expert and have not said no.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.grammar import SEVERITIES
from storage.models import Invitation, Participant, RoleAssignment, Swarm

INVITED = ("chosen", "invited", "accepted")


def involving(user_id: str) -> ColumnElement[bool]:
    """The condition on Swarm that `user_id` is in the swarm."""
    return or_(
        Swarm.commander == user_id,
        Swarm.requested_by == user_id,
        Swarm.id.in_(select(Participant.swarm_id).where(Participant.user_id == user_id)),
        Swarm.id.in_(select(RoleAssignment.swarm_id).where(RoleAssignment.user_id == user_id)),
        Swarm.id.in_(
            select(Invitation.swarm_id).where(Invitation.user_id == user_id, Invitation.status.in_(INVITED))
        ),
    )


def visible_to(user_id: str) -> ColumnElement[bool]:
    """The condition on Swarm that `user_id` may see it: public, or private with them in it."""
    return or_(Swarm.is_private.is_(False), involving(user_id))


def severity_first(swarms: list[Swarm]) -> list[Swarm]:
    """Most severe first, then oldest first."""
    rank = {severity: index for index, severity in enumerate(SEVERITIES)}
    return sorted(swarms, key=lambda swarm: (rank.get(swarm.severity, len(rank)), swarm.opened_at, swarm.id))


async def people_in(session: AsyncSession, swarm_id: int) -> set[str]:
    """Everyone in swarm `swarm_id`, by the definition above."""
    swarm = await session.get(Swarm, swarm_id)
    if swarm is None:
        return set()
    people = {swarm.commander, swarm.requested_by}
    people.update(
        (await session.scalars(select(Participant.user_id).where(Participant.swarm_id == swarm_id))).all()
    )
    holders = await session.scalars(select(RoleAssignment.user_id).where(RoleAssignment.swarm_id == swarm_id))
    people.update(holder for holder in holders.all() if holder)
    people.update(
        (
            await session.scalars(
                select(Invitation.user_id).where(
                    Invitation.swarm_id == swarm_id, Invitation.status.in_(INVITED)
                )
            )
        ).all()
    )
    return people
