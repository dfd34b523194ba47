"""The swarm channel's own messages: the brief, who was pulled in, open roles, tasks and the checklist.

They are posted one after another (a channel reads top to bottom; the brief's pin runs beside them),
each recorded as soon as Slack answers, and later updated in place from storage, never from what a
caller believes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.concurrency import all_finished
from bot.fallbacks import Fallbacks
from bot.invitations import Gap, gap_row
from bot.records import record
from bot.rendering import render
from bot.slack.gateway import SlackGateway
from bot.swarm_views import SwarmView, TaskView
from storage.db import SessionFactory
from storage.models import Invitation, RoleAssignment, Swarm, Task

# Message metadata on every swarm-channel post: which swarm and which part ("brief", "task:12", …).
SWARM_POST_EVENT = "swarmbot_swarm_post"


class SwarmPosts:
    """Posts and refreshes the messages of a swarm channel."""

    def __init__(self, *, sessions: SessionFactory, gateway: SlackGateway, fallbacks: Fallbacks) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._fallbacks = fallbacks
        # While a resumed build runs: the messages an earlier attempt posted, per channel (part → ts).
        self._earlier: dict[str, dict[str, str]] = {}

    async def post_all(
        self, swarm: Swarm, view: SwarmView, gaps: list[Gap], *, resuming: bool = False
    ) -> None:
        """Post whatever of brief, experts note, open roles, tasks and checklist is not posted yet.

        `resuming`: an earlier attempt may have posted some of them and died before recording their ts;
        those are found in the channel by their metadata and recorded, not posted again.
        """
        channel = swarm.channel_id
        assert channel is not None
        if resuming:
            earlier = await self._gateway.tagged_messages(channel, event_type=SWARM_POST_EVENT, key="part")
            self._earlier[channel] = earlier
        try:
            brief_ts = swarm.brief_ts
            if brief_ts is None:
                brief = render("messages/swarm_brief", swarm=view)
                brief_ts = await self._post(channel, swarm.id, "brief", brief)
                await record(self._sessions, Swarm, swarm.id, brief_ts=brief_ts)
            steps = [self._post_after_brief(swarm, channel, view, gaps)]
            if not swarm.brief_pinned:  # the pin needs the brief, not the messages after it
                steps.append(self._pin_brief(swarm.id, channel, brief_ts))
            await all_finished(*steps)
        finally:
            self._earlier.pop(channel, None)

    async def _pin_brief(self, swarm_id: int, channel: str, brief_ts: str) -> None:
        await self._gateway.pin(channel, brief_ts)
        await record(self._sessions, Swarm, swarm_id, brief_pinned=True)

    async def _post_after_brief(self, swarm: Swarm, channel: str, view: SwarmView, gaps: list[Gap]) -> None:
        if not swarm.experts_posted and (view.invitations or gaps):
            pulled = [{"user": i.user_id, "skill": i.skill, "reason": i.reason} for i in view.invitations]
            nobody = [await gap_row(gap, self._fallbacks) for gap in gaps]
            message = render("messages/experts_pulled_in", pulled=pulled, nobody=nobody)
            await self._post(channel, swarm.id, "experts", message)
            await record(self._sessions, Swarm, swarm.id, experts_posted=True)
        await self._post_open_roles(swarm.id, channel, view)
        for task in view.tasks:
            if task.message_ts is None:
                await self.post_task(channel, task, swarm_id=swarm.id)
        if view.tasks:
            await self.refresh_checklist(swarm.id)

    async def _post(self, channel: str, swarm_id: int, part: str, message: dict[str, Any]) -> str:
        """Post one of the swarm's messages, tagged with what it is; or the ts of the one posted earlier."""
        tag = f"{swarm_id}/{part}"  # a reopened swarm posts again in the same channel
        earlier = self._earlier.get(channel, {}).get(tag)
        if earlier is not None:
            return earlier
        return await self._gateway.post_once(
            channel,
            **message,
            event_type=SWARM_POST_EVENT,
            payload={"swarm_id": swarm_id, "part": tag},
            again=False,  # the earlier posts were read once for the whole build
        )

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
            message = render("messages/role_open", role=role_view, description="")
            ts = await self._post(channel, swarm_id, f"role:{role.id}", message)
            await record(self._sessions, RoleAssignment, role.id, message_ts=ts)

    async def post_task(self, channel: str, task: TaskView, *, swarm_id: int) -> str:
        """Post one task as its own message and record its ts."""
        ts = await self._post(channel, swarm_id, f"task:{task.id}", render("messages/task", task=task))
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
            ts = await self._post(channel, swarm_id, "checklist", message)
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
