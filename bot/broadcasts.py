"""Stakeholder broadcasts: a short summary to the playbook's channel and the account team's roles."""

from __future__ import annotations

import logging
from typing import Any, Literal

from sqlalchemy import select

from bot.clock import Clock
from bot.errors import SlackCallFailed
from bot.playbooks import Playbook
from bot.rendering import render
from bot.slack.gateway import SlackGateway
from bot.swarm_views import SwarmView
from bot.timeline import record_for_swarm
from storage.db import SessionFactory
from storage.models import RoleAssignment, TimelineEntry

log = logging.getLogger(__name__)

Event = Literal["opened", "update", "level", "sla", "resolved"]
# Sent by steps that are run again until they succeed: the swarm builder's, and the resolution notices'.
RETRIED_BY_CALLER: frozenset[Event] = frozenset({"opened", "resolved"})
BROADCAST_EVENT = "swarmbot_stakeholder_broadcast"  # the metadata of a named broadcast's DMs
CHANNEL_POSTED = "stakeholder_channel_posted"  # a named broadcast's channel post is out


class Broadcasts:
    """Tells the people who must know but are not in the weeds."""

    def __init__(self, *, sessions: SessionFactory, gateway: SlackGateway, clock: Clock) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock

    async def send(
        self,
        view: SwarmView,
        playbook: Playbook,
        event: Event,
        detail: str = "",
        *,
        once: str | None = None,
        again: bool = False,
    ) -> list[str]:
        """Post to the stakeholder channel and DM the notify roles' holders; returns where it went.

        A channel that does not exist or that the bot cannot post to is noted on the timeline, never
        a failure of the swarm: stakeholders are informed, not in the critical path. Except one case: when
        Slack itself fails the channel post of the *opened* or *resolved* broadcast, this raises before
        any DM is sent, because the caller retries that step (the reconciler re-runs the swarm builder;
        the resolution notices' job runs again) and would otherwise record it as sent; every other
        event's caller has moved on and a retry would repeat its posts.

        Such a caller names the broadcast (`once`, e.g. "opened") and says when it tries `again`. The
        channel post is then recorded on the timeline as soon as it is out and not repeated, and each DM
        carries the name in its metadata and is looked for before it is sent again.
        """
        stakeholders = playbook.stakeholders
        if stakeholders is None:
            return []
        message = render("messages/stakeholder_broadcast", swarm=view, event=event, detail=detail)
        sent: list[str] = []
        problems: list[str] = []
        if stakeholders.channel:
            where = f"#{stakeholders.channel}"
            try:
                if not (once and again and await self._channel_posted(view.id, once)):
                    await self._gateway.post_message(where, **message)
                    if once:
                        await self._record(view.id, CHANNEL_POSTED, broadcast=once)
                sent.append(where)
            except SlackCallFailed as failure:
                if event in RETRIED_BY_CALLER and failure.transient:
                    raise
                problems.append(f"{where}: {failure.error}")
        async with self._sessions() as session:
            holders = (
                await session.scalars(
                    select(RoleAssignment.user_id).where(
                        RoleAssignment.swarm_id == view.id,
                        RoleAssignment.role_key.in_(stakeholders.notify_roles),
                        RoleAssignment.user_id.is_not(None),
                    )
                )
            ).all()
        for user in holders:
            if user is None:
                continue
            try:
                await self._direct(user, message, view.id, once, again=again)
                sent.append(user)
            except SlackCallFailed as failure:
                problems.append(f"{user}: {failure.error}")
        await self._record(view.id, "stakeholders_notified", event=event, sent=sent, problems=problems)
        if problems:
            log.warning("stakeholder broadcast for swarm %s partly failed: %s", view.id, problems)
        return sent

    async def _direct(
        self, user: str, message: dict[str, Any], swarm_id: int, once: str | None, *, again: bool
    ) -> None:
        dm = await self._gateway.open_dm(user)
        if once is None:
            await self._gateway.post_message(dm, **message)
            return
        await self._gateway.post_once(
            dm,
            **message,
            event_type=BROADCAST_EVENT,
            payload={"swarm_id": swarm_id, "broadcast": once},
            again=again,
        )

    async def _channel_posted(self, swarm_id: int, once: str) -> bool:
        async with self._sessions() as session:
            details = await session.scalars(
                select(TimelineEntry.detail).where(
                    TimelineEntry.swarm_id == swarm_id, TimelineEntry.kind == CHANNEL_POSTED
                )
            )
            return any(detail.get("broadcast") == once for detail in details)

    async def _record(self, swarm_id: int, kind: str, **detail: Any) -> None:
        async with self._sessions() as session:
            await record_for_swarm(session, swarm_id, kind, at=self._clock.now(), **detail)
            await session.commit()
