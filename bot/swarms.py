"""Swarms: open one per escalated ticket (or link to the one already open); find the swarm of a channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import timeline
from bot.channel_recovery import ChannelRecovery
from bot.clock import Clock
from bot.coordination import Coordinator
from bot.errors import NotInSwarm
from bot.experts import ExpertDirectory
from bot.grammar import OpenSwarm
from bot.invitations import gaps_of
from bot.participants import ensure_participant
from bot.playbooks import PlaybookLibrary
from bot.swarm_builder import SwarmBuilder
from bot.swarm_plan import SwarmPlan, UnknownSkill, plan_swarm, record_plan
from bot.swarm_views import SwarmView, load_swarm_view
from bot.working_calendar import WorkingCalendar
from storage.db import SessionFactory
from storage.models import Swarm, Ticket

# The lock is renewed while its holder lives, however long Slack's rate limits slow the build; this is only
# how long a killed opener keeps the ticket from being opened again (or finished by the reconciler).
TICKET_LOCK_TTL = 15.0
TICKET_LOCK_WAIT = 120.0


@dataclass(frozen=True)
class OpenOutcome:
    """What `/escalate TICKET` did: opened a swarm, finished a half-built one, linked the open one, or
    found another request opening it right now; plus the requested tags nobody has."""

    kind: Literal["opened", "resumed", "linked", "in_progress"]
    swarm: SwarmView
    unknown_skills: tuple[UnknownSkill, ...] = ()
    known_tags: frozenset[str] = frozenset()


class Swarms:
    """The swarm service."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        builder: SwarmBuilder,
        recovery: ChannelRecovery,
        coordinator: Coordinator,
        clock: Clock,
        playbooks: PlaybookLibrary,
        directory: ExpertDirectory,
        calendar: WorkingCalendar,
        experts_per_skill: int = 1,
    ) -> None:
        self._sessions = sessions
        self._builder = builder
        self._recovery = recovery
        self._coordinator = coordinator
        self._clock = clock
        self._playbooks = playbooks
        self._directory = directory
        self._calendar = calendar
        self._experts_per_skill = experts_per_skill

    async def open(
        self, request: OpenSwarm, *, requested_by: str, request_channel_id: str | None = None
    ) -> OpenOutcome:
        """Open the swarm for `request.ticket_id`, finish a half-built one, or link to the open one."""
        # One opener per ticket across all processes; the partial unique index backs this up in storage.
        async with self._coordinator.lock(
            f"ticket:{request.ticket_id}", ttl=TICKET_LOCK_TTL, wait=TICKET_LOCK_WAIT
        ):
            async with self._sessions() as session:
                swarm = await _active_swarm(session, request.ticket_id)
                if swarm is not None and swarm.status == "open":
                    timeline.record(
                        session,
                        ticket_pk=swarm.ticket_pk,
                        swarm_id=swarm.id,
                        kind="escalate_repeated",
                        at=self._clock.now(),
                        actor=requested_by,
                    )
                    await session.commit()
                    return OpenOutcome("linked", await load_swarm_view(session, swarm.id))
            plan: SwarmPlan | None = None
            if swarm is None:
                plan = await plan_swarm(
                    request,
                    requested_by=requested_by,
                    playbooks=self._playbooks,
                    directory=self._directory,
                    experts_per_skill=self._experts_per_skill,
                )
                async with self._sessions() as session:
                    try:
                        swarm = await self._record_new(
                            session, request, plan, requested_by, request_channel_id
                        )
                    except IntegrityError:
                        # Another process won the race the lock should have prevented (no shared
                        # coordinator): storage's unique index decided, so link to the winner.
                        await session.rollback()
                        return await self._already_there(session, request.ticket_id)
            else:
                await self._recovery.adopt(swarm.id)  # a half-built swarm: its channel may exist already
            gaps = gaps_of(plan.selection) if plan else []
            view = await self._builder.complete(swarm.id, gaps)
        if plan is None:
            return OpenOutcome("resumed", view)
        return OpenOutcome("opened", view, plan.unknown_skills, plan.known_tags)

    async def finish(self, swarm_id: int) -> SwarmView:
        """Complete whatever of a swarm's Slack side is missing, under its ticket's lock (the reconciler)."""
        async with self._sessions() as session:
            swarm = await session.get_one(Swarm, swarm_id)
            ticket_id = (await session.get_one(Ticket, swarm.ticket_pk)).ticket_id
        async with self._coordinator.lock(f"ticket:{ticket_id}", ttl=TICKET_LOCK_TTL, wait=TICKET_LOCK_WAIT):
            await self._recovery.adopt(swarm_id)
            return await self._builder.complete(swarm_id)

    async def in_channel(self, channel_id: str) -> SwarmView:
        """The swarm worked in `channel_id`; NotInSwarm when there is none."""
        async with self._sessions() as session:
            swarm = await session.scalar(select(Swarm).where(Swarm.channel_id == channel_id))
            if swarm is None:
                raise NotInSwarm(
                    "This is not a swarm channel.",
                    hint="Run it in the ticket's swarm channel; `/escalate TICKET` opens or finds that.",
                )
            return await load_swarm_view(session, swarm.id)

    async def record_join(self, *, channel_id: str, user_id: str) -> None:
        """Note that `user_id` joined swarm channel `channel_id`; other channels are ignored."""
        async with self._sessions() as session:
            swarm = await session.scalar(select(Swarm).where(Swarm.channel_id == channel_id))
            if swarm is None:
                return
            now = self._clock.now()
            if not await ensure_participant(
                session, swarm_id=swarm.id, user_id=user_id, role="member", at=now
            ):
                return
            timeline.record(
                session,
                ticket_pk=swarm.ticket_pk,
                swarm_id=swarm.id,
                kind="member_joined",
                at=now,
                actor=user_id,
            )
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()  # a concurrent delivery recorded the same join first

    async def _already_there(self, session: AsyncSession, ticket_id: str) -> OpenOutcome:
        swarm = await _active_swarm(session, ticket_id)
        assert swarm is not None, "the unique index only fails when an active swarm exists"
        view = await load_swarm_view(session, swarm.id)
        return OpenOutcome("linked" if swarm.status == "open" else "in_progress", view)

    async def _record_new(
        self,
        session: AsyncSession,
        request: OpenSwarm,
        plan: SwarmPlan,
        requested_by: str,
        request_channel_id: str | None,
    ) -> Swarm:
        now = self._clock.now()
        ticket = await session.scalar(select(Ticket).where(Ticket.ticket_id == request.ticket_id))
        if ticket is None:
            ticket = Ticket(ticket_id=request.ticket_id, created_at=now)
            session.add(ticket)
        if request.customer is not None:
            ticket.customer = request.customer
            ticket.customer_key = request.customer.casefold()
        swarm = Swarm(
            ticket=ticket,
            status="opening",
            severity=request.severity,
            category=request.category,
            playbook=plan.playbook.name,
            is_private=plan.playbook.private or request.private,
            summary=request.summary,
            skills=list(plan.skills),
            requested_by=requested_by,
            commander=requested_by,  # until the playbook's commander role names someone else
            request_channel_id=request_channel_id,
            opened_at=now,
        )
        session.add(swarm)
        record_plan(session, swarm, plan, now=now, calendar=self._calendar)
        await self._directory.mark_engaged(session, [e.slack_id for e in plan.selection.chosen], now)
        await session.flush()
        timeline.record(
            session,
            ticket_pk=ticket.id,
            swarm_id=swarm.id,
            kind="swarm_requested",
            at=now,
            actor=requested_by,
            severity=request.severity,
            skills=list(plan.skills),
            summary=request.summary,
            playbook=plan.playbook.name,
            experts=[e.slack_id for e in plan.selection.chosen],
        )
        await session.commit()
        return swarm


async def _active_swarm(session: AsyncSession, ticket_id: str) -> Swarm | None:
    return await session.scalar(
        select(Swarm)
        .join(Ticket)
        .where(Ticket.ticket_id == ticket_id, Swarm.status != "resolved")
        .order_by(Swarm.id.desc())
        .limit(1)
    )
