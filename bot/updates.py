"""Status updates: posted by the commander or the scribe, in the channel and to the stakeholders; each one
resets the reminder clock and meets the first-response SLA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.broadcasts import Broadcasts
from bot.clock import Clock
from bot.errors import InvalidCommand, UserError
from bot.permissions import Permissions
from bot.playbooks import PlaybookLibrary
from bot.reminders import Reminders
from bot.rendering import render
from bot.sla import SlaClock
from bot.slack.gateway import SlackGateway
from bot.swarm_views import SwarmView
from bot.timeline import record_for_swarm
from storage.db import SessionFactory
from storage.models import StatusUpdate

UPDATE_MAX = 2500
# The same update again this soon, while the first never got its message recorded, is the person trying
# again after a crash swallowed the first: it finishes that one instead of recording a second.
REPEAT_WINDOW = timedelta(minutes=10)
UPDATE_EVENT = "swarmbot_status_update"  # message metadata that names the update a message shows


@dataclass(frozen=True)
class UpdateView:
    """One status update as messages show it."""

    author: str
    text: str
    status: str | None = None
    impact: str | None = None
    next_steps: str | None = None
    next_update_at: datetime | None = None


class StatusUpdates:
    """The status-update service."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        permissions: Permissions,
        playbooks: PlaybookLibrary,
        broadcasts: Broadcasts,
        reminders: Reminders,
        sla: SlaClock,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._permissions = permissions
        self._playbooks = playbooks
        self._broadcasts = broadcasts
        self._reminders = reminders
        self._sla = sla

    async def post(self, swarm: SwarmView, update: UpdateView) -> datetime | None:
        """Post `update`; returns when the next one is due (None when the playbook sets no cadence)."""
        if swarm.status == "resolved":
            raise UserError(f"{swarm.ticket_id} is resolved: post anything further on the ticket itself.")
        await self._permissions.post_update(swarm, update.author)
        if not (update.text or update.status or update.impact or update.next_steps):
            raise InvalidCommand(
                "Say what the status is.",
                hint="`/escalate update TEXT`, e.g. `/escalate update Fix deployed, monitoring`",
            )
        if len(update.text) > UPDATE_MAX:
            raise InvalidCommand(f"Keep a status update under {UPDATE_MAX} characters.")
        now = self._clock.now()
        if update.next_update_at is not None and update.next_update_at <= now:
            raise InvalidCommand("The next update must be in the future.")
        fields = {
            "status": update.status,
            "impact": update.impact,
            "next_steps": update.next_steps,
            "next_update_at": update.next_update_at.isoformat() if update.next_update_at else None,
        }
        stored_fields = {k: v for k, v in fields.items() if v}
        async with self._sessions() as session:
            row = await _unposted_twin(session, swarm.id, update, stored_fields, since=now - REPEAT_WINDOW)
            repeat = row is not None
            if row is None:
                row = StatusUpdate(
                    swarm_id=swarm.id,
                    author=update.author,
                    text=update.text,
                    fields=stored_fields,
                    posted_at=now,
                )
                session.add(row)
                await record_for_swarm(
                    session, swarm.id, "status_update", at=now, actor=update.author, text=update.text
                )
                await session.commit()
            update_id = row.id
        assert swarm.channel_id is not None
        message = render("messages/status_update", swarm=swarm, update=update)
        # A repeat looks for the first copy, which may have reached the channel before its process died: in
        # the whole history, not from the first copy's time on (a repeat is rare, a swarm channel a few
        # pages at most, and our clock and Slack's need not agree).
        ts = await self._gateway.post_once(
            swarm.channel_id,
            text=message["text"],
            blocks=message["blocks"],
            event_type=UPDATE_EVENT,
            payload={"update": update_id},
            again=repeat,
        )
        async with self._sessions() as session:
            stored = await session.get_one(StatusUpdate, update_id)
            stored.message_ts = ts
            await session.commit()
        await self._sla.responded(swarm.id)
        playbook = (
            self._playbooks.get(swarm.playbook)
            if swarm.playbook in self._playbooks and swarm.playbook
            else None
        )
        if playbook is not None:
            await self._broadcasts.send(swarm, playbook, "update", update.text or update.status or "")
        return await self._reminders.reset(swarm.id, next_at=update.next_update_at)


async def _unposted_twin(
    session: AsyncSession, swarm_id: int, update: UpdateView, fields: dict[str, Any], *, since: datetime
) -> StatusUpdate | None:
    """The same author's same update, recorded since `since`, whose message was never recorded."""
    candidates = await session.scalars(
        select(StatusUpdate)
        .where(
            StatusUpdate.swarm_id == swarm_id,
            StatusUpdate.author == update.author,
            StatusUpdate.text == update.text,
            StatusUpdate.message_ts.is_(None),
            StatusUpdate.posted_at >= since,
        )
        .order_by(StatusUpdate.id)
    )
    return next((row for row in candidates if row.fields == fields), None)
