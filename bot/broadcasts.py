"""Stakeholder broadcasts: a short summary to the playbook's channel and the account team's roles."""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy import select

from bot import timeline
from bot.clock import Clock
from bot.errors import SlackCallFailed
from bot.playbooks import Playbook
from bot.rendering import render
from bot.slack.gateway import SlackGateway
from bot.swarm_views import SwarmView
from storage.db import SessionFactory
from storage.models import RoleAssignment, Swarm

log = logging.getLogger(__name__)

Event = Literal["opened", "update", "level", "sla", "resolved"]
# Sent by steps that are run again until they succeed: the swarm builder's, and the resolution notices'.
RETRIED_BY_CALLER: frozenset[Event] = frozenset({"opened", "resolved"})


class Broadcasts:
    """Tells the people who must know but are not in the weeds."""

    def __init__(self, *, sessions: SessionFactory, gateway: SlackGateway, clock: Clock) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock

    async def send(self, view: SwarmView, playbook: Playbook, event: Event, detail: str = "") -> list[str]:
        """Post to the stakeholder channel and DM the notify roles' holders; returns where it went.

        A channel that does not exist or that the bot cannot post to is noted on the timeline, never
        a failure of the swarm: stakeholders are informed, not in the critical path. Except one case: when
        Slack itself fails the channel post of the *opened* or *resolved* broadcast, this raises before
        any DM is sent, because the caller retries that step (the reconciler re-runs the swarm builder;
        the resolution notices' job runs again) and would otherwise record it as sent; every other
        event's caller has moved on and a retry would repeat its posts.
        """
        stakeholders = playbook.stakeholders
        if stakeholders is None:
            return []
        message = render("messages/stakeholder_broadcast", swarm=view, event=event, detail=detail)
        sent: list[str] = []
        problems: list[str] = []
        if stakeholders.channel:
            try:
                await self._gateway.post_message(f"#{stakeholders.channel}", **message)
                sent.append(f"#{stakeholders.channel}")
            except SlackCallFailed as failure:
                if event in RETRIED_BY_CALLER and failure.transient:
                    raise
                problems.append(f"#{stakeholders.channel}: {failure.error}")
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
                await self._gateway.post_message(await self._gateway.open_dm(user), **message)
                sent.append(user)
            except SlackCallFailed as failure:
                problems.append(f"{user}: {failure.error}")
        async with self._sessions() as session:
            swarm = await session.get_one(Swarm, view.id)
            timeline.record(
                session,
                ticket_pk=swarm.ticket_pk,
                swarm_id=swarm.id,
                kind="stakeholders_notified",
                at=self._clock.now(),
                event=event,
                sent=sent,
                problems=problems,
            )
            await session.commit()
        if problems:
            log.warning("stakeholder broadcast for swarm %s partly failed: %s", view.id, problems)
        return sent
