"""Plain views of swarms for templates and replies (templates never see ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.errors import UnknownSwarm
from bot.grammar import SEVERITY_NAMES
from storage.models import Invitation, RoleAssignment, Swarm, Task, Ticket, TimelineEntry

PREVIOUS_TICKETS_SHOWN = 5
# The timeline entry that carries the link to the message a swarm was escalated from (bot.source_messages).
SOURCE_MESSAGE = "source_message"


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
class RoleView:
    """A playbook role and who holds it (None: open to claim)."""

    key: str
    title: str
    fill: str
    holder: str | None
    message_ts: str | None = None


@dataclass(frozen=True)
class TaskView:
    """A task as its message and the checklist show it."""

    id: int
    position: int
    title: str
    role_key: str | None
    role_title: str | None
    due_at: datetime | None
    claimed_by: str | None
    done: bool
    done_by: str | None
    message_ts: str | None

    @property
    def state(self) -> str:
        """open, claimed or done."""
        return "done" if self.done else "claimed" if self.claimed_by else "open"


@dataclass(frozen=True)
class InvitationView:
    """An expert asked to join, for which skill, why, and their answer."""

    id: int
    user_id: str
    skill: str
    reason: str
    status: str


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
    playbook: str | None = None
    playbook_title: str | None = None
    previous_tickets: tuple[PreviousTicket, ...] = ()
    roles: tuple[RoleView, ...] = ()
    tasks: tuple[TaskView, ...] = ()
    invitations: tuple[InvitationView, ...] = ()
    source_link: str | None = None  # the message escalated with the shortcut (loaded with the history)

    @property
    def severity_name(self) -> str:
        """critical, high, moderate or low."""
        return SEVERITY_NAMES.get(self.severity, self.severity)

    @property
    def experts(self) -> tuple[InvitationView, ...]:
        """Experts who were asked and have not said no."""
        return tuple(i for i in self.invitations if i.status in ("chosen", "invited", "accepted"))

    def role_title(self, key: str | None) -> str | None:
        """The title of role `key` in this swarm."""
        return next((role.title for role in self.roles if role.key == key), None)


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


async def stored_swarm(session: AsyncSession, swarm_id: int) -> Swarm:
    """Swarm `swarm_id`, else UnknownSwarm: ids arrive in buttons and forms, which anyone can forge."""
    swarm = await session.get(Swarm, swarm_id)
    if swarm is None:
        raise UnknownSwarm(
            "That escalation is not on record.", hint="Use `/escalate list` to see the open ones."
        )
    return swarm


async def load_swarm_view(
    session: AsyncSession, swarm_id: int, *, with_history: bool = False, playbook_title: str | None = None
) -> SwarmView:
    """The view of swarm `swarm_id`; `with_history` adds the customer's previous tickets."""
    swarm = await stored_swarm(session, swarm_id)
    ticket = await session.get_one(Ticket, swarm.ticket_pk)  # explicit: no lazy loads under asyncio
    history = await previous_tickets(session, ticket) if with_history else ()
    source = await source_link(session, swarm_id) if with_history else None
    roles = (
        await session.scalars(
            select(RoleAssignment).where(RoleAssignment.swarm_id == swarm_id).order_by(RoleAssignment.id)
        )
    ).all()
    role_titles = {role.role_key: role.title for role in roles}
    tasks = (
        await session.scalars(select(Task).where(Task.swarm_id == swarm_id).order_by(Task.position))
    ).all()
    invitations = (
        await session.scalars(
            select(Invitation).where(Invitation.swarm_id == swarm_id).order_by(Invitation.id)
        )
    ).all()
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
        playbook=swarm.playbook,
        playbook_title=playbook_title,
        previous_tickets=history,
        roles=tuple(RoleView(r.role_key, r.title, r.fill, r.user_id, r.message_ts) for r in roles),
        tasks=tuple(
            TaskView(
                id=t.id,
                position=t.position,
                title=t.title,
                role_key=t.role_key,
                role_title=role_titles.get(t.role_key or ""),
                due_at=t.due_at,
                claimed_by=t.claimed_by,
                done=t.done,
                done_by=t.done_by,
                message_ts=t.message_ts,
            )
            for t in tasks
        ),
        invitations=tuple(InvitationView(i.id, i.user_id, i.skill, i.reason, i.status) for i in invitations),
        source_link=source,
    )


async def source_link(session: AsyncSession, swarm_id: int) -> str | None:
    """The link to the message the swarm was escalated from, if it was (kept on its timeline)."""
    details = await session.scalars(
        select(TimelineEntry.detail)
        .where(TimelineEntry.swarm_id == swarm_id, TimelineEntry.kind == SOURCE_MESSAGE)
        .order_by(TimelineEntry.id)
    )
    return next((str(d["source_link"]) for d in details if d.get("source_link")), None)
