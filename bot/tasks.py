"""Tasks: claimed by :raising_hand:, released by removing it, done by :white_check_mark:.

Claims are compare-and-set updates in storage, so the first of two simultaneous reactions wins even on two
processes; the loser is told who has it. The task message and the pinned checklist are then re-rendered
from storage under a per-task lock, so the last update Slack sees matches what storage holds; the change
itself never waits for that lock, so a Slack slow enough to hold it up cannot lose a claim.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import timeline
from bot.clock import Clock
from bot.coordination import Coordinator, LockTimeout
from bot.errors import PermissionDenied, UserError
from bot.permissions import Permissions
from bot.records import affected
from bot.slack.gateway import SlackGateway
from bot.swarm_posts import SwarmPosts
from bot.swarm_views import SwarmView, TaskView, load_swarm_view
from storage.db import SessionFactory
from storage.models import Task

log = logging.getLogger(__name__)

CLAIM = "raising_hand"
DONE = "white_check_mark"

Change = Literal["claimed", "unclaimed", "done"]


@dataclass(frozen=True)
class Reaction:
    """A reaction someone added or removed on a message."""

    channel: str
    ts: str
    user: str
    name: str
    added: bool


class Tasks:
    """The task service."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        coordinator: Coordinator,
        posts: SwarmPosts,
        permissions: Permissions,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._coordinator = coordinator
        self._posts = posts
        self._permissions = permissions

    async def add(self, swarm: SwarmView, title: str, *, by: str) -> TaskView:
        """`/escalate task TEXT`: add a task, post it and update the checklist."""
        _must_be_open(swarm)
        now = self._clock.now()
        async with self._sessions() as session:
            position = (
                await session.scalar(select(func.max(Task.position)).where(Task.swarm_id == swarm.id))
            ) or 0
            task = Task(swarm_id=swarm.id, position=position + 1, title=title, created_by=by, created_at=now)
            session.add(task)
            await session.flush()
            await timeline.record_for_swarm(
                session, swarm.id, "task_added", at=now, actor=by, task=task.position, title=title
            )
            await session.commit()
            view = await self._task_view(session, swarm.id, task.id)
        assert swarm.channel_id is not None
        await self._posts.post_task(swarm.channel_id, view, swarm_id=swarm.id)
        await self._posts.refresh_checklist(swarm.id)
        return view

    async def find(self, swarm_id: int, message_ts: str) -> TaskView | None:
        """The task whose message is `message_ts`, if any."""
        async with self._sessions() as session:
            task_id = await session.scalar(
                select(Task.id).where(Task.swarm_id == swarm_id, Task.message_ts == message_ts)
            )
            return await self._task_view(session, swarm_id, task_id) if task_id else None

    async def react(self, swarm: SwarmView, task: TaskView, reaction: Reaction) -> Change | None:
        """Apply a reaction on a task message; other emoji are ignored (None)."""
        if reaction.name not in (CLAIM, DONE) or (reaction.name == DONE and not reaction.added):
            return None
        _must_be_open(swarm)
        if reaction.name == CLAIM and reaction.added:
            assert swarm.channel_id is not None
            if not await self._gateway.is_member(swarm.channel_id, reaction.user):
                raise PermissionDenied(
                    f"Join <#{swarm.channel_id}> first: only people in the swarm can claim tasks."
                )
            return await self._change(
                swarm,
                task,
                reaction.user,
                "claimed",
                (Task.claimed_by.is_(None), Task.done.is_(False)),
                {"claimed_by": reaction.user, "claimed_at": self._clock.now()},
                lost=lambda current: (
                    f"Task {task.position} is already claimed by <@{current.claimed_by}>."
                    if current.claimed_by
                    else f"Task {task.position} is already done."
                ),
            )
        if reaction.name == CLAIM:  # removed: release the claim, if it is this person's
            return await self._change(
                swarm,
                task,
                reaction.user,
                "unclaimed",
                (Task.claimed_by == reaction.user, Task.done.is_(False)),
                {"claimed_by": None, "claimed_at": None},
                lost=None,
            )
        await self._permissions.mark_done(swarm, task, reaction.user)
        return await self._change(
            swarm,
            task,
            reaction.user,
            "done",
            (Task.done.is_(False),),
            {"done": True, "done_by": reaction.user, "done_at": self._clock.now()},
            lost=lambda current: f"Task {task.position} is already done.",
        )

    async def _change(
        self,
        swarm: SwarmView,
        task: TaskView,
        user: str,
        change: Change,
        conditions: tuple[ColumnElement[bool], ...],
        values: dict[str, Any],
        *,
        lost: Callable[[TaskView], str] | None,
    ) -> Change | None:
        # Storage decides first, outside any lock: the compare-and-set is atomic on its own, and a change
        # is recorded even when Slack is so slow that the lock below cannot be had in time.
        now = self._clock.now()
        async with self._sessions() as session:
            result = await session.execute(
                update(Task).where(Task.id == task.id, *conditions).values(**values)
            )
            won = affected(result) == 1
            if won:
                await timeline.record_for_swarm(
                    session, swarm.id, f"task_{change}", at=now, actor=user, task=task.position
                )
            await session.commit()
            current = await self._task_view(session, swarm.id, task.id)
        if not won:
            if lost is not None:
                raise UserError(lost(current))
            return None
        await self._show(swarm, task.id)
        return change

    async def _show(self, swarm: SwarmView, task_id: int) -> None:
        """Re-render the task's message and the checklist from what storage holds now."""
        try:
            # One refresher per task at a time, so an older rendering never lands after a newer one.
            async with self._coordinator.lock(f"task:{task_id}", ttl=30, wait=30):
                await self._render(swarm, task_id)
        except LockTimeout:
            # A refresher stuck on a slow Slack: ours still shows the change (it reads storage after it).
            log.warning("task %s: refreshing its message without the lock, another refresh is stuck", task_id)
            await self._render(swarm, task_id)

    async def _render(self, swarm: SwarmView, task_id: int) -> None:
        async with self._sessions() as session:
            current = await self._task_view(session, swarm.id, task_id)
        assert swarm.channel_id is not None
        await self._posts.refresh_task(swarm.channel_id, current)
        await self._posts.refresh_checklist(swarm.id)

    async def _task_view(self, session: AsyncSession, swarm_id: int, task_id: int) -> TaskView:
        view = await load_swarm_view(session, swarm_id)
        return next(task for task in view.tasks if task.id == task_id)


def _must_be_open(swarm: SwarmView) -> None:
    if swarm.status == "resolved":
        raise UserError(f"{swarm.ticket_id} is resolved: its tasks can no longer change.")
