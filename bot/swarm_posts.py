"""The swarm channel's own messages: the brief, who was pulled in, open roles, tasks and the checklist.

They are posted one after another (a channel reads top to bottom), each recorded as soon as Slack
answers, and later updated in place from storage, never from what a caller believes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.fallbacks import Fallbacks
from bot.invitations import Gap, gap_row
from bot.records import record
from bot.rendering import render
from bot.slack.gateway import SlackGateway
from bot.swarm_views import SwarmView, TaskView
from storage.db import SessionFactory
from storage.models import Invitation, RoleAssignment, Swarm, Task


class SwarmPosts:
    """Posts and refreshes the messages of a swarm channel."""

    def __init__(self, *, sessions: SessionFactory, gateway: SlackGateway, fallbacks: Fallbacks) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._fallbacks = fallbacks

    async def post_all(self, swarm: Swarm, view: SwarmView, gaps: list[Gap]) -> None:
        """Post whatever of brief, experts note, open roles, tasks and checklist is not posted yet."""
        channel = swarm.channel_id
        assert channel is not None
        brief_ts = swarm.brief_ts
        if brief_ts is None:
            brief_ts = await self._gateway.post_message(channel, **render("messages/swarm_brief", swarm=view))
            await record(self._sessions, Swarm, swarm.id, brief_ts=brief_ts)
        if not swarm.brief_pinned:
            await self._gateway.pin(channel, brief_ts)
            await record(self._sessions, Swarm, swarm.id, brief_pinned=True)
        if not swarm.experts_posted and (view.invitations or gaps):
            pulled = [{"user": i.user_id, "skill": i.skill, "reason": i.reason} for i in view.invitations]
            nobody = [await gap_row(gap, self._fallbacks) for gap in gaps]
            await self._gateway.post_message(
                channel, **render("messages/experts_pulled_in", pulled=pulled, nobody=nobody)
            )
            await record(self._sessions, Swarm, swarm.id, experts_posted=True)
        await self._post_open_roles(swarm.id, channel, view)
        for task in view.tasks:
            if task.message_ts is None:
                await self.post_task(channel, task)
        if view.tasks:
            await self.refresh_checklist(swarm.id)

    async def _post_open_roles(self, swarm_id: int, channel: str, view: SwarmView) -> None:
        async with self._sessions() as session:
            roles = (
                await session.scalars(
                    select(RoleAssignment).where(
                        RoleAssignment.swarm_id == swarm_id,
                        RoleAssignment.user_id.is_(None),
                        RoleAssignment.message_ts.is_(None),
                    )
                )
            ).all()
        for role in roles:
            role_view = next(r for r in view.roles if r.key == role.role_key)
            ts = await self._gateway.post_message(
                channel, **render("messages/role_open", role=role_view, description="")
            )
            await record(self._sessions, RoleAssignment, role.id, message_ts=ts)

    async def post_task(self, channel: str, task: TaskView) -> str:
        """Post one task as its own message and record its ts."""
        ts = await self._gateway.post_message(channel, **render("messages/task", task=task))
        await record(self._sessions, Task, task.id, message_ts=ts)
        return ts

    async def refresh_task(self, channel: str, task: TaskView) -> None:
        """Update a task's message in place to match storage."""
        if task.message_ts is not None:
            await self._gateway.update_message(channel, task.message_ts, **render("messages/task", task=task))

    async def refresh_checklist(self, swarm_id: int, view: SwarmView | None = None) -> None:
        """Post (and pin) the checklist, or update it in place, from storage."""
        from bot.swarm_views import load_swarm_view

        async with self._sessions() as session:
            swarm = await session.get_one(Swarm, swarm_id)
            view = view or await load_swarm_view(session, swarm_id)
        channel = swarm.channel_id
        assert channel is not None
        message: dict[str, Any] = render("messages/checklist", swarm=view)
        if swarm.checklist_ts is None:
            ts = await self._gateway.post_message(channel, **message)
            await record(self._sessions, Swarm, swarm_id, checklist_ts=ts)
        else:
            ts = swarm.checklist_ts
            await self._gateway.update_message(channel, ts, **message)
        if not swarm.checklist_pinned:
            await self._gateway.pin(channel, ts)
            await record(self._sessions, Swarm, swarm_id, checklist_pinned=True)


async def mark_invitations_invited(sessions: SessionFactory, swarm_id: int) -> None:
    """Every expert chosen for `swarm_id` is now in the channel."""
    async with sessions() as session:
        for invitation in (
            await session.scalars(
                select(Invitation).where(Invitation.swarm_id == swarm_id, Invitation.status == "chosen")
            )
        ).all():
            invitation.status = "invited"
        await session.commit()
