"""The crash suite's script: escalations worked the way people work them in Slack.

People act through the sandbox: slash commands and button clicks are signed requests to the web process,
reactions go through the Web API and reach the app as events that the sandbox retries like Slack. A
command or click whose effect never shows (the web process died under it) is tried again after a pause,
as a person would; a reaction is left to Slack's retries.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select

from bot.sandbox import Driver, Sandbox
from bot.sandbox.cast import Cast
from bot.sandbox.errors import SandboxTimeout
from storage.db import SessionFactory
from storage.models import Invitation, Swarm, Task, Ticket
from tests.reliability.crash_harness import ActionLog

SKILLS = ("postgres", "billing", "sre", "networking", "identity")
REQUESTERS = ("alice", "dave")
ANSWER_TIMEOUT = 8.0  # how long a person waits for the bot's answer before trying again
EFFECT_TIMEOUT = 5.0  # how long a person watches the channel for the effect of a click
RETRY_PAUSE = 1.0
CLAIM_TIMEOUT = 20.0  # longer than the sandbox's event retries take
MAX_TRIES = 12


@dataclass(frozen=True)
class Escalation:
    """One scripted escalation and what its people will do in it."""

    number: int
    ticket_id: str
    severity: str
    skill: str
    requester: str
    claim: bool
    accept: bool
    update: bool
    resolve: bool

    @property
    def command(self) -> str:
        words = f"{self.ticket_id} {self.severity} #{self.skill} customer:Acme{self.number}"
        return f"{words} Crash drill {self.number}"

    @property
    def update_text(self) -> str:
        return f"Drill {self.number}: cause found, fix rolling out"

    @property
    def resolution(self) -> str:
        return f"Drill {self.number}: fixed and confirmed with the customer"


def write_script(rng: random.Random, count: int) -> list[Escalation]:
    """`count` escalations with seeded severities, skills and actions."""
    return [
        Escalation(
            number=n,
            ticket_id=f"CR-{100 + n}",
            severity=rng.choice(["sev1", "sev2", "sev3", "sev4"]),
            skill=rng.choice(SKILLS),
            requester=REQUESTERS[n % len(REQUESTERS)],
            claim=rng.random() < 0.5,
            accept=rng.random() < 0.5,
            update=rng.random() < 0.4,
            resolve=rng.random() < 0.4,
        )
        for n in range(1, count + 1)
    ]


def actions_in(script: list[Escalation]) -> int:
    """How many actions the script sends at least (retries come on top)."""
    return sum(1 + e.claim + e.accept + e.update + e.resolve for e in script)


@dataclass
class Tally:
    """What the people did and how often they had to try again."""

    commands: int = 0
    command_retries: int = 0
    clicks: int = 0
    click_retries: int = 0
    reactions: int = 0
    claims: list[tuple[str, int, str]] = field(default_factory=list)  # (ticket, task position, user)
    accepts: list[tuple[str, str]] = field(default_factory=list)  # (ticket, expert)
    updates: list[tuple[str, str]] = field(default_factory=list)  # (ticket, text)
    resolves: list[str] = field(default_factory=list)


class People:
    """The script's people, acting against the sandbox and watching what they can see."""

    def __init__(
        self, sandbox: Sandbox, cast: Cast, sessions: SessionFactory, actions: ActionLog, request_url: str
    ) -> None:
        self.sandbox = sandbox
        self.cast = cast
        self.sessions = sessions
        self.actions = actions
        self.driver = Driver(sandbox, request_url=request_url, timeout=10)
        self.tally = Tally()

    async def work(self, escalation: Escalation, rng: random.Random) -> None:
        """Open the swarm, then claim, accept, update and resolve as the script says."""
        swarm_id = await self._open(escalation)
        if escalation.claim:
            await self._pause(rng)
            await self._claim(escalation, swarm_id)
        if escalation.accept:
            await self._pause(rng)
            await self._accept(escalation, swarm_id)
        if escalation.update:
            await self._pause(rng)
            await self._update(escalation, swarm_id)
        if escalation.resolve:
            await self._pause(rng)
            await self._resolve(escalation, swarm_id)

    async def _pause(self, rng: random.Random) -> None:
        await asyncio.sleep(rng.uniform(0.05, 0.4))

    # -- the actions -----------------------------------------------------------------------------------

    async def _open(self, escalation: Escalation) -> int:
        async def opened() -> int | None:
            async with self.sessions() as session:
                swarm = await session.scalar(
                    select(Swarm).join(Ticket).where(Ticket.ticket_id == escalation.ticket_id)
                )
                return swarm.id if swarm is not None and swarm.status == "open" else None

        await self._command(
            escalation.requester,
            escalation.command,
            self.cast.support_channel,
            opened,
            f"/escalate {escalation.ticket_id}",
        )
        swarm_id = await opened()
        assert swarm_id is not None
        return swarm_id

    async def _claim(self, escalation: Escalation, swarm_id: int) -> None:
        async with self.sessions() as session:
            swarm = await session.get_one(Swarm, swarm_id)
            task = await session.scalar(select(Task).where(Task.swarm_id == swarm_id, Task.position == 1))
        assert task is not None and task.message_ts is not None and swarm.channel_id is not None
        user = self.cast.people[escalation.requester]
        self.actions.note(f"claim task 1 of {escalation.ticket_id} with :raising_hand:")
        self.tally.reactions += 1
        # The Web API is the sandbox's: the reaction always lands; its event is retried by "Slack".
        await self.sandbox.human(user).react(swarm.channel_id, task.message_ts, "raising_hand")
        self.tally.claims.append((escalation.ticket_id, 1, user))

        async def claimed() -> bool:
            async with self.sessions() as session:
                return (await session.get_one(Task, task.id)).claimed_by == user

        # People watch the task message change before going on; a claim that never shows is counted as
        # lost at the end (it is not reacted again: getting it there is Slack's retries' job).
        await _within(claimed, CLAIM_TIMEOUT)

    async def _accept(self, escalation: Escalation, swarm_id: int) -> None:
        async with self.sessions() as session:
            invitation = await session.scalar(
                select(Invitation).where(Invitation.swarm_id == swarm_id).order_by(Invitation.id).limit(1)
            )
        if invitation is None or invitation.dm_channel is None or invitation.dm_ts is None:
            return  # nobody was pulled in for this skill, or the DM is not out yet: nothing to click
        invitation_id, expert = invitation.id, invitation.user_id

        async def accepted() -> bool:
            async with self.sessions() as session:
                status = await session.scalar(select(Invitation.status).where(Invitation.id == invitation_id))
            return status == "accepted"

        for attempt in range(1, MAX_TRIES + 1):
            self.actions.note(f"accept the invitation to {escalation.ticket_id}")
            self.tally.clicks += 1
            self.tally.click_retries += attempt > 1
            await self.driver.block_action(
                expert,
                action_id="invitation_accept",
                value=str(invitation_id),
                channel_id=invitation.dm_channel,
                message_ts=invitation.dm_ts,
            )
            if await _within(accepted, EFFECT_TIMEOUT):
                self.tally.accepts.append((escalation.ticket_id, expert))
                return
            await asyncio.sleep(RETRY_PAUSE)
        raise AssertionError(f"the accept on {escalation.ticket_id} never took")

    async def _update(self, escalation: Escalation, swarm_id: int) -> None:
        channel = await self._channel(swarm_id)
        text = escalation.update_text

        async def posted() -> bool:
            return any(text in _text(m) for m in self.sandbox.messages(channel, system=False))

        await self._command(
            escalation.requester, f"update {text}", channel, posted, f"update {escalation.ticket_id}"
        )
        self.tally.updates.append((escalation.ticket_id, text))

    async def _resolve(self, escalation: Escalation, swarm_id: int) -> None:
        channel = await self._channel(swarm_id)

        async def resolved() -> bool:
            async with self.sessions() as session:
                return (await session.get_one(Swarm, swarm_id)).status == "resolved"

        await self._command(
            escalation.requester,
            f"resolve {escalation.resolution}",
            channel,
            resolved,
            f"resolve {escalation.ticket_id}",
        )
        self.tally.resolves.append(escalation.ticket_id)

    # -- how a person sends a command --------------------------------------------------------------------

    async def _command(
        self,
        who: str,
        text: str,
        channel: str,
        done: Callable[[], Awaitable[Any]],
        description: str,
    ) -> None:
        """Run `/escalate text` until its effect shows: again after a pause when no answer or effect came."""
        user = self.cast.people[who]
        statuses: list[str] = []
        for attempt in range(1, MAX_TRIES + 1):
            self.actions.note(description + (f" (try {attempt})" if attempt > 1 else ""))
            self.tally.commands += 1
            self.tally.command_retries += attempt > 1
            answers = len(self.sandbox.responses(user=user))
            response = await self.driver.slash_command("/escalate", text, user_id=user, channel_id=channel)
            statuses.append(str(response.status or response.failure))
            if response.ok:
                with contextlib.suppress(SandboxTimeout):
                    await self.sandbox.wait_for(
                        partial(self._answered, user, answers), timeout=ANSWER_TIMEOUT
                    )
            if await _within(done, EFFECT_TIMEOUT if response.ok else 0.5):
                return
            await asyncio.sleep(RETRY_PAUSE)
        answers = [r["payload"].get("text") for r in self.sandbox.responses(user=user)][-3:]
        raise AssertionError(
            f"{description} never took effect after {MAX_TRIES} tries (HTTP {', '.join(statuses)}); "
            f"last answers {answers}"
        )

    def _answered(self, user: str, answers_before: int) -> bool:
        return len(self.sandbox.responses(user=user)) > answers_before

    async def _channel(self, swarm_id: int) -> str:
        async with self.sessions() as session:
            channel = (await session.get_one(Swarm, swarm_id)).channel_id
        assert channel is not None
        return channel


async def _within(check: Callable[[], Awaitable[Any]], timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await check():
            return True
        if asyncio.get_running_loop().time() >= deadline:
            return False
        await asyncio.sleep(0.1)


def _text(message: dict[str, Any]) -> str:
    parts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        inner = block.get("text")
        if isinstance(inner, dict):
            parts.append(str(inner.get("text", "")))
    return "\n".join(parts)
