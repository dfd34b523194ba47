"""Builds the Slack side of a swarm step by step, recording each step as soon as Slack answers.

Order: the channel first (everything else needs its id); then, concurrently, the invitation, topic,
purpose and brief (each independent of the others); the pin waits only for the brief. A step that
fails leaves the others' results recorded, so the next attempt does only what is missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from sqlalchemy import update

from bot import timeline
from bot.clock import Clock
from bot.errors import SlackCallFailed, SwarmIncomplete
from bot.rendering import render
from bot.slack.channel_names import swarm_channel_name
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import escape
from bot.swarm_views import SwarmView, load_swarm_view
from storage.db import SessionFactory
from storage.models import Swarm

log = logging.getLogger(__name__)

Failure = tuple[str, SlackCallFailed]  # (step name, what Slack said)

STEP_NAMES = {
    "create_channel": "creating the channel",
    "invite_requester": "inviting you",
    "set_topic": "setting the topic",
    "set_purpose": "setting the purpose",
    "post_brief": "posting the brief",
    "pin_brief": "pinning the brief",
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

    def __init__(self, *, sessions: SessionFactory, gateway: SlackGateway, clock: Clock) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock

    async def complete(self, swarm_id: int) -> SwarmView:
        """Run the steps not yet recorded; raise SwarmIncomplete naming the ones that failed."""
        swarm, view = await self._load(swarm_id)
        if swarm.channel_id is None:
            failure = await self._attempt("create_channel", self._create_channel(swarm, view))
            if failure is not None:
                await self._give_up(swarm, [failure])
            swarm, view = await self._load(swarm_id)
        steps: list[Awaitable[Failure | None]] = []
        if not swarm.requester_invited:
            steps.append(self._attempt("invite_requester", self._invite_requester(swarm)))
        if not swarm.topic_set:
            topic = self._set(swarm, "topic_set", self._gateway.set_topic, swarm_topic(view))
            steps.append(self._attempt("set_topic", topic))
        if not swarm.purpose_set:
            purpose = self._set(swarm, "purpose_set", self._gateway.set_purpose, swarm_purpose(view))
            steps.append(self._attempt("set_purpose", purpose))
        if swarm.brief_ts is None or not swarm.brief_pinned:
            steps.append(self._brief_then_pin(swarm, view))
        failures = [failure for failure in await asyncio.gather(*steps) if failure is not None]
        if failures:
            await self._give_up(swarm, failures)
        return await self._mark_ready(swarm_id)

    async def _load(self, swarm_id: int) -> tuple[Swarm, SwarmView]:
        async with self._sessions() as session:
            swarm = await session.get_one(Swarm, swarm_id)
            return swarm, await load_swarm_view(session, swarm_id, with_history=True)

    async def _attempt(self, name: str, step: Awaitable[None]) -> Failure | None:
        try:
            await step
        except SlackCallFailed as failure:
            log.warning("swarm step %s failed: %s", name, failure)
            return (name, failure)
        return None

    async def _record(self, swarm_id: int, **values: Any) -> None:
        async with self._sessions() as session:
            await session.execute(update(Swarm).where(Swarm.id == swarm_id).values(**values))
            await session.commit()

    async def _create_channel(self, swarm: Swarm, view: SwarmView) -> None:
        name = swarm.channel_name or swarm_channel_name(view.ticket_id, view.summary)
        created = await self._gateway.create_channel(name, is_private=swarm.is_private)
        async with self._sessions() as session:
            # Compare-and-set: if another attempt recorded a channel meanwhile, keep theirs.
            result = await session.execute(
                update(Swarm)
                .where(Swarm.id == swarm.id, Swarm.channel_id.is_(None))
                .values(channel_id=created.id, channel_name=created.name)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                timeline.record(
                    session,
                    ticket_pk=swarm.ticket_pk,
                    swarm_id=swarm.id,
                    kind="channel_created",
                    at=self._clock.now(),
                    channel_id=created.id,
                    channel_name=created.name,
                )
            await session.commit()

    async def _invite_requester(self, swarm: Swarm) -> None:
        assert swarm.channel_id is not None
        failed = await self._gateway.invite(swarm.channel_id, [swarm.requested_by, swarm.commander])
        if failed:
            raise SlackCallFailed("conversations.invite", f"could not invite {', '.join(failed)}")
        await self._record(swarm.id, requester_invited=True)

    async def _set(
        self, swarm: Swarm, flag: str, call: Callable[[str, str], Awaitable[None]], text: str
    ) -> None:
        assert swarm.channel_id is not None
        await call(swarm.channel_id, text)
        await self._record(swarm.id, **{flag: True})

    async def _brief_then_pin(self, swarm: Swarm, view: SwarmView) -> Failure | None:
        assert swarm.channel_id is not None
        step = "post_brief"
        try:
            brief_ts = swarm.brief_ts
            if brief_ts is None:
                brief_ts = await self._gateway.post_message(
                    swarm.channel_id, **render("messages/swarm_brief", swarm=view)
                )
                await self._record(swarm.id, brief_ts=brief_ts)
            step = "pin_brief"
            await self._gateway.pin(swarm.channel_id, brief_ts)
            await self._record(swarm.id, brief_pinned=True)
        except SlackCallFailed as failure:
            log.warning("swarm step %s failed: %s", step, failure)
            return (step, failure)
        return None

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
