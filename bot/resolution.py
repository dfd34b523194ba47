"""Resolving a swarm: record it, stop its clocks, say so, ask for the review and the CSAT, and archive the
channel once its whole conversation is on the ticket record. `/escalate reopen` brings it back."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.clock import Clock
from bot.errors import InvalidCommand, PermissionDenied, UserError
from bot.permissions import Permissions
from bot.records import affected, record
from bot.rendering import render
from bot.resolution_notices import ResolutionNotices
from bot.scheduler import JobQueue
from bot.slack.gateway import SlackGateway
from bot.swarm_clocks import SwarmClocks
from bot.swarm_views import SwarmView, load_swarm_view, stored_swarm
from bot.timeline import record_for_swarm
from storage.db import SessionFactory
from storage.models import Swarm, Ticket, Transcript

ARCHIVE = "archive_swarm"
TEXT_MAX = 2000


def archive_key(swarm_id: int) -> str:
    """The archive job of a swarm."""
    return f"swarm:{swarm_id}:archive"


class Resolutions:
    """Resolve, reopen and rate swarms."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        jobs: JobQueue,
        permissions: Permissions,
        notices: ResolutionNotices,
        clocks: SwarmClocks,
        archive_after: timedelta,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._jobs = jobs
        self._permissions = permissions
        self.notices = notices
        self._clocks = clocks
        self._archive_after = archive_after

    async def resolve(
        self, swarm: SwarmView, *, by: str, resolution: str, root_cause: str = "", follow_ups: str = ""
    ) -> datetime:
        """Resolve `swarm`; returns when its channel will be archived."""
        resolution, root_cause, follow_ups = resolution.strip(), root_cause.strip(), follow_ups.strip()
        if swarm.status == "resolved":
            raise UserError(f"{swarm.ticket_id} is already resolved; its channel is being archived.")
        if swarm.status != "open":
            raise UserError(
                f"{swarm.ticket_id} is still being opened.",
                hint=f"Run `/escalate {swarm.ticket_id}` to finish it first.",
            )
        await self._permissions.steer(swarm, by, "resolve")
        if not resolution:
            raise InvalidCommand(
                "Say how it was resolved.",
                hint="`/escalate resolve TEXT`, or `/escalate resolve` for the form",
            )
        if max(len(resolution), len(root_cause), len(follow_ups)) > TEXT_MAX:
            raise InvalidCommand(f"Keep each part of the resolution under {TEXT_MAX} characters.")
        now = self._clock.now()
        async with self._sessions() as session:
            claimed = await session.execute(
                update(Swarm)
                .where(Swarm.id == swarm.id, Swarm.status == "open")
                .values(
                    status="resolved",
                    resolved_at=now,
                    resolved_by=by,
                    resolution=resolution,
                    root_cause=root_cause or None,
                    follow_ups=follow_ups or None,
                )
            )
            if affected(claimed) != 1:
                raise UserError(f"{swarm.ticket_id} was resolved a moment ago by someone else.")
            await record_for_swarm(
                session, swarm.id, "swarm_resolved", at=now, actor=by, resolution=resolution
            )
            await session.commit()
        await self._clocks.stop(swarm.id)
        archive_at = now + self._archive_after
        # Both scheduled before anything is posted: whatever Slack does next, the archive happens and
        # the notices go out.
        await self._jobs.schedule(ARCHIVE, due_at=archive_at, swarm_id=swarm.id, key=archive_key(swarm.id))
        await self.notices.guard(swarm.id, resolved_at=now, archive_at=archive_at)
        await self.notices.send_now(swarm.id, resolved_at=now, archive_at=archive_at)
        return archive_at

    async def reopen(self, ticket_id: str, *, by: str) -> SwarmView:
        """`/escalate reopen TICKET`: unarchive the latest resolved swarm and resume its clocks."""
        async with self._sessions() as session:
            swarm = await session.scalar(
                select(Swarm)
                .join(Ticket)
                .where(Ticket.ticket_id == ticket_id.upper())
                .order_by(Swarm.id.desc())
                .limit(1)
            )
            if swarm is None:
                raise UserError(f"There is no swarm for {ticket_id.upper()} to reopen.")
            if swarm.status != "resolved":
                raise UserError(f"{ticket_id.upper()} is not resolved: its swarm is <#{swarm.channel_id}>.")
            view = await load_swarm_view(session, swarm.id)
        if by != view.commander and not await self._permissions.is_manager(by):
            raise PermissionDenied(
                f"Only the commander <@{view.commander}> or an escalation manager can reopen it."
            )
        now = self._clock.now()
        async with self._sessions() as session:
            reopened = await session.execute(
                update(Swarm)
                .where(Swarm.id == view.id, Swarm.status == "resolved")
                .values(status="open", resolved_at=None)
            )
            if affected(reopened) != 1:
                raise UserError(f"{view.ticket_id} was reopened a moment ago.")
            # The next archive collects again from the newest message; stored rows are kept (no duplicates).
            await session.execute(
                update(Transcript)
                .where(Transcript.swarm_id == view.id)
                .values(state="collecting", history_cursor=None, threads_done=[])
            )
            await record_for_swarm(session, view.id, "swarm_reopened", at=now, actor=by)
            await session.commit()
        await self._jobs.cancel(archive_key(view.id))
        assert view.channel_id is not None
        await self._gateway.unarchive_channel(view.channel_id)
        await record(self._sessions, Swarm, view.id, channel_archived=False)
        line = (
            f":arrows_counterclockwise: <@{by}> reopened {view.ticket_id}: "
            "reminders and the escalation matrix resume."
        )
        await self._gateway.post_message(view.channel_id, **render("messages/notice", line=line))
        await self._clocks.start(view.id)
        async with self._sessions() as session:
            return await load_swarm_view(session, view.id)

    async def rate(self, swarm_id: int, *, by: str, score: int) -> SwarmView:
        """The requester's CSAT score, 1–5, once."""
        if not 1 <= score <= 5:
            raise InvalidCommand("Rate from 1 to 5.")
        async with self._sessions() as session:
            swarm = await stored_swarm(session, swarm_id)
            if by != swarm.requested_by:
                raise PermissionDenied("Only the person who escalated the ticket rates it.")
            rated = await session.execute(
                update(Swarm).where(Swarm.id == swarm_id, Swarm.csat_score.is_(None)).values(csat_score=score)
            )
            if affected(rated) != 1:
                raise UserError(f"You already rated it ({swarm.csat_score} of 5).")
            await record_for_swarm(
                session, swarm_id, "csat_rated", at=self._clock.now(), actor=by, score=score
            )
            await session.commit()
            return await load_swarm_view(session, swarm_id)

    async def comment(self, swarm_id: int, *, by: str, text: str) -> None:
        """The requester's optional CSAT comment."""
        text = text.strip()
        if not text or len(text) > TEXT_MAX:
            raise InvalidCommand(f"Write a comment of at most {TEXT_MAX} characters.")
        async with self._sessions() as session:
            swarm = await stored_swarm(session, swarm_id)
            if by != swarm.requested_by:
                raise PermissionDenied("Only the person who escalated the ticket comments on it.")
            swarm.csat_comment = text
            await record_for_swarm(session, swarm_id, "csat_commented", at=self._clock.now(), actor=by)
            await session.commit()
