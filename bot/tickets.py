"""The ticket record: everything swarmbot knows about a ticket, in the JSON shape DESIGN.md fixes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.kpis import swarm_kpis
from bot.transcripts import transcript_record
from storage.models import Invitation, RoleAssignment, StatusUpdate, Swarm, Task, Ticket


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def _swarm_record(session: AsyncSession, swarm: Swarm) -> dict[str, Any]:
    invitations = (
        await session.scalars(
            select(Invitation).where(Invitation.swarm_id == swarm.id).order_by(Invitation.id)
        )
    ).all()
    roles = (
        await session.scalars(
            select(RoleAssignment).where(RoleAssignment.swarm_id == swarm.id).order_by(RoleAssignment.id)
        )
    ).all()
    tasks = (
        await session.scalars(select(Task).where(Task.swarm_id == swarm.id).order_by(Task.position))
    ).all()
    updates = (
        await session.scalars(
            select(StatusUpdate).where(StatusUpdate.swarm_id == swarm.id).order_by(StatusUpdate.posted_at)
        )
    ).all()
    return {
        "channel_id": swarm.channel_id,
        "channel_name": swarm.channel_name,
        "severity": swarm.severity,
        "category": swarm.category,
        "playbook": swarm.playbook,
        "private": swarm.is_private,
        "summary": swarm.summary,
        "status": swarm.status,
        "opened_at": _iso(swarm.opened_at),
        "ready_at": _iso(swarm.ready_at),
        "resolved_at": _iso(swarm.resolved_at),
        "requested_by": swarm.requested_by,
        "commander": swarm.commander,
        "skills": list(swarm.skills),
        "experts": [i.user_id for i in invitations if i.status in ("chosen", "invited", "accepted")],
        "invitations": [
            {
                "user": i.user_id,
                "skill": i.skill,
                "reason": i.reason,
                "status": i.status,
                "invited_at": _iso(i.invited_at),
                "answered_at": _iso(i.answered_at),
            }
            for i in invitations
        ],
        "roles": [{"key": r.role_key, "title": r.title, "holder": r.user_id} for r in roles],
        "participants": [{"user": p.user_id, "role": p.role} for p in swarm.participants],
        "tasks": [
            {
                "title": t.title,
                "role": t.role_key,
                "claimed_by": t.claimed_by,
                "done": t.done,
                "done_by": t.done_by,
                "due_at": _iso(t.due_at),
            }
            for t in tasks
        ],
        "status_updates": [
            {"author": u.author, "text": u.text, "posted_at": _iso(u.posted_at), **u.fields} for u in updates
        ],
        "resolution": {
            "by": swarm.resolved_by,
            "text": swarm.resolution,
            "root_cause": swarm.root_cause,
            "follow_ups": swarm.follow_ups,
            "channel_archived": swarm.channel_archived,
        }
        if swarm.status == "resolved"
        else None,
        "csat": {"score": swarm.csat_score, "comment": swarm.csat_comment} if swarm.csat_score else None,
        "escalation_level": swarm.escalation_level,
        "kpis": (await swarm_kpis(session, swarm)).as_record(),
        "transcript": await transcript_record(session, swarm.id),
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
        "swarms": [await _swarm_record(session, swarm) for swarm in ticket.swarms],
    }
