"""Builds the Slack side of a swarm step by step, recording each step as soon as Slack answers.

Order: the channel first (everything else needs its id) and any role a user group fills; then, at once,
the invitation of everyone (one conversations.invite call) followed by the experts' DMs, topic, purpose,
the channel's own messages (brief, experts, open roles, tasks, checklist: one after another, a channel
reads top down; the pins beside them) and the stakeholder broadcast. Only calls that need an earlier
answer wait for it (see BENCHMARKS.md, "Time to swarm"). A failed step leaves the others' results
recorded, so the next attempt does only what is missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import NoReturn

from sqlalchemy import select, update

from bot import timeline
from bot.broadcasts import Broadcasts
from bot.clock import Clock
from bot.errors import SlackCallFailed, SwarmIncomplete
from bot.invitations import Gap, Invitations
from bot.playbooks import PlaybookLibrary
from bot.records import affected, record
from bot.slack.channel_names import swarm_channel_name
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import escape
from bot.swarm_posts import SwarmPosts, mark_invitations_invited
from bot.swarm_views import SwarmView, load_swarm_view
from storage.db import SessionFactory
from storage.models import Invitation, Participant, RoleAssignment, Swarm

log = logging.getLogger(__name__)

Failure = tuple[str, SlackCallFailed]  # (step name, what Slack said)

STEP_NAMES = {
    "create_channel": "creating the channel",
    "fill_roles": "finding people for the roles",
    "invite_people": "inviting people",
    "set_topic": "setting the topic",
    "set_purpose": "setting the purpose",
    "post_messages": "posting the brief and tasks",
    "message_experts": "messaging the experts",
    "notify_stakeholders": "notifying stakeholders",
}


def swarm_topic(swarm: SwarmView) -> str:
    """`SEV1 · ZD-4521 · Commander: @alice` (the topic people see at the top of the channel)."""
    return f"{swarm.severity.upper()} · {escape(swarm.ticket_id)} · Commander: <@{swarm.commander}>"


def swarm_purpose(swarm: SwarmView) -> str:
    """What the channel is for, with the ticket and its summary."""
    summary = f": {escape(swarm.summary)}" if swarm.summary else ""
    return f"Swarm for ticket {escape(swarm.ticket_id)} ({swarm.severity.upper()}){summary}"


class SwarmBuilder:
    """Completes the Slack side of a swarm; safe to run again after any failure."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        playbooks: PlaybookLibrary,
        posts: SwarmPosts,
        invitations: Invitations,
        broadcasts: Broadcasts,
        before_ready: Callable[[int], Awaitable[None]],
        on_ready: Callable[[int], Awaitable[None]],
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._playbooks = playbooks
        self._posts = posts
        self._invitations = invitations
        self._broadcasts = broadcasts
        self._before_ready = before_ready  # guards the clocks' start: a backstop job, in case we die
        self._on_ready = on_ready  # starts the swarm's clocks: reminders, levels, SLA, invitation timeouts

    async def complete(self, swarm_id: int, gaps: list[Gap] | None = None) -> SwarmView:
        """Run the steps not yet recorded; raise SwarmIncomplete naming the ones that failed."""
        swarm, view = await self._load(swarm_id)
        # A channel made before this attempt: an earlier one may have posted and died before recording.
        resuming = swarm.channel_id is not None
        if swarm.channel_id is None and (
            failure := await _attempt("create_channel", self._create_channel(swarm, view))
        ):
            await self._give_up(swarm, [failure])
        if failure := await _attempt("fill_roles", self._fill_usergroup_roles(swarm_id)):
            await self._give_up(swarm, [failure])
        swarm, view = await self._load(swarm_id)
        steps: list[Awaitable[Failure | None]] = [self._invite_then_tell_experts(swarm)]
        if not swarm.topic_set:
            topic = self._set(swarm, "topic_set", self._gateway.set_topic, swarm_topic(view))
            steps.append(_attempt("set_topic", topic))
        if not swarm.purpose_set:
            purpose = self._set(swarm, "purpose_set", self._gateway.set_purpose, swarm_purpose(view))
            steps.append(_attempt("set_purpose", purpose))
        posts = self._posts.post_all(swarm, view, gaps or [], resuming=resuming)
        steps.append(_attempt("post_messages", posts))
        if not swarm.open_broadcast_sent and swarm.playbook in self._playbooks:
            broadcast = self._broadcast_open(swarm, view, again=resuming)
            steps.append(_attempt("notify_stakeholders", broadcast))
        failures = [failure for failure in await asyncio.gather(*steps) if failure is not None]
        if failures:
            await self._give_up(swarm, failures)
        await self._before_ready(swarm_id)
        view = await self._mark_ready(swarm_id)
        await self._on_ready(swarm_id)
        return view

    async def _load(self, swarm_id: int) -> tuple[Swarm, SwarmView]:
        async with self._sessions() as session:
            swarm = await session.get_one(Swarm, swarm_id)
            name = swarm.playbook
            title = self._playbooks.get(name).title if name is not None and name in self._playbooks else None
            return swarm, await load_swarm_view(session, swarm_id, with_history=True, playbook_title=title)

    async def _create_channel(self, swarm: Swarm, view: SwarmView) -> None:
        name = swarm.channel_name or swarm_channel_name(view.ticket_id, view.summary)
        created = await self._gateway.create_channel(name, is_private=swarm.is_private)
        async with self._sessions() as session:
            # Compare-and-set: if another attempt recorded a channel meanwhile, keep theirs.
            claimed = await session.execute(
                update(Swarm)
                .where(Swarm.id == swarm.id, Swarm.channel_id.is_(None))
                .values(channel_id=created.id, channel_name=created.name)
            )
            if affected(claimed) == 1:
                timeline.record(
                    session,
                    ticket_pk=swarm.ticket_pk,
                    swarm_id=swarm.id,
                    kind="channel_created",
                    at=self._clock.now(),
                    channel_id=created.id,
                    channel_name=created.name,
                    private=swarm.is_private,
                )
            await session.commit()

    async def _fill_usergroup_roles(self, swarm_id: int) -> None:
        async with self._sessions() as session:
            open_roles = (
                await session.scalars(
                    select(RoleAssignment).where(
                        RoleAssignment.swarm_id == swarm_id,
                        RoleAssignment.user_id.is_(None),
                        RoleAssignment.fill.like("usergroup:%"),
                    )
                )
            ).all()
        if not open_roles:
            return
        groups = await self._gateway.usergroups_by_handle()
        for role in open_roles:
            group_id = groups.get(role.fill.removeprefix("usergroup:"))
            members = await self._gateway.usergroup_members(group_id) if group_id else []
            # Nobody in the group: the role falls back to being claimed in the channel.
            await record(
                self._sessions,
                RoleAssignment,
                role.id,
                user_id=members[0] if members else None,
                assigned_at=self._clock.now() if members else None,
                fill=role.fill if members else "claim",
            )

    async def _invite_then_tell_experts(self, swarm: Swarm) -> Failure | None:
        """Invite everyone, then DM the experts at once: a DM links the channel, not its messages."""
        if not swarm.people_invited and (
            failure := await _attempt("invite_people", self._invite_people(swarm))
        ):
            return failure
        _, view = await self._load(swarm.id)
        return await _attempt("message_experts", self._invitations.send_dms(view))

    async def _invite_people(self, swarm: Swarm) -> None:
        assert swarm.channel_id is not None
        async with self._sessions() as session:
            experts = (
                await session.scalars(
                    select(Invitation.user_id).where(
                        Invitation.swarm_id == swarm.id, Invitation.status.in_(("chosen", "invited"))
                    )
                )
            ).all()
            holders = (
                await session.scalars(
                    select(RoleAssignment.user_id).where(
                        RoleAssignment.swarm_id == swarm.id, RoleAssignment.user_id.is_not(None)
                    )
                )
            ).all()
            members = (
                await session.scalars(select(Participant.user_id).where(Participant.swarm_id == swarm.id))
            ).all()
        people = [swarm.requested_by, swarm.commander, *members, *(h for h in holders if h), *experts]
        failed = await self._gateway.invite(swarm.channel_id, people)
        if failed:
            raise SlackCallFailed("conversations.invite", f"could not invite {', '.join(failed)}")
        await mark_invitations_invited(self._sessions, swarm.id)
        await record(self._sessions, Swarm, swarm.id, people_invited=True)

    async def _set(
        self, swarm: Swarm, flag: str, call: Callable[[str, str], Awaitable[None]], text: str
    ) -> None:
        assert swarm.channel_id is not None
        await call(swarm.channel_id, text)
        await record(self._sessions, Swarm, swarm.id, **{flag: True})

    async def _broadcast_open(self, swarm: Swarm, view: SwarmView, *, again: bool) -> None:
        assert swarm.playbook is not None
        playbook = self._playbooks.get(swarm.playbook)
        await self._broadcasts.send(view, playbook, "opened", once="opened", again=again)
        await record(self._sessions, Swarm, swarm.id, open_broadcast_sent=True)

    async def _give_up(self, swarm: Swarm, failures: list[Failure]) -> NoReturn:
        async with self._sessions() as session:
            for name, failure in failures:
                timeline.record(
                    session,
                    ticket_pk=swarm.ticket_pk,
                    swarm_id=swarm.id,
                    kind="slack_step_failed",
                    at=self._clock.now(),
                    step=name,
                    method=failure.method,
                    error=failure.error,
                )
            await session.commit()
        steps = ", ".join(STEP_NAMES.get(name, name) for name, _ in failures)
        errors = ", ".join(sorted({failure.error for _, failure in failures}))
        raise SwarmIncomplete(
            f"Slack failed while {steps} (Slack said: {errors}). What worked is saved.",
            hint="Run the same `/escalate` command again to finish; nothing already done is repeated.",
        )

    async def _mark_ready(self, swarm_id: int) -> SwarmView:
        async with self._sessions() as session:
            swarm = await session.get_one(Swarm, swarm_id)
            if swarm.status == "opening":
                swarm.status = "open"
                swarm.ready_at = self._clock.now()
                timeline.record(
                    session,
                    ticket_pk=swarm.ticket_pk,
                    swarm_id=swarm.id,
                    kind="swarm_ready",
                    at=swarm.ready_at,
                    channel_id=swarm.channel_id,
                )
                await session.commit()
            return await load_swarm_view(session, swarm_id)


async def _attempt(name: str, step: Awaitable[None]) -> Failure | None:
    try:
        await step
    except SlackCallFailed as failure:
        log.warning("swarm step %s failed: %s", name, failure)
        return (name, failure)
    return None
