"""`swarmbot rehearse PLAYBOOK`: a game-day dry run of a playbook, told as a timeline.

It runs like `swarmbot demo`: the local Slack sandbox in-process, the real app behind its HTTP server
(`serving`), a scheduler worker run by hand, all on a simulated clock that starts on a Monday at 15:00 UTC.
The escalation is opened with `/escalate` exactly as a person would, then the clock jumps from one due job
to the next — reminders, escalation levels, SLA warnings and breaches, invitation timeouts — through the
whole escalation matrix and SLA; nobody answers, so every alarm the playbook has goes off. Finally the
commander resolves it, so the review questions and the survey show too.

`speed` is simulated seconds per real second: 60 (the default) plays one simulated minute per second,
0 plays it all at once.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot import levels, reminders, sla
from bot.clock import FrozenClock
from bot.config import Settings
from bot.errors import ConfigurationError
from bot.experts import ExpertDirectory
from bot.grammar import SEVERITIES
from bot.home_refresher import DEFAULT_DELAY as HOME_REFRESH_DELAY
from bot.playbooks import Playbook, PlaybookLibrary
from bot.rehearsal_story import CondensedEcho, Echo, elapsed, routine_key, stamp, summary_lines
from bot.rehearsal_world import RehearsalWorld, seed_world
from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.cast import DEMO_TIME
from bot.sandbox.narration import Narrator
from bot.scheduler import Worker
from bot.scheduler.registry import job_handlers
from bot.server import serving
from bot.services import Services
from storage.db import create_engine, session_factory, upgrade
from storage.models import Swarm, Ticket

DEFAULT_SPEED = 60.0
TICKET = "GAMEDAY-1"
MAX_STEPS = 5000  # a guard: even 10 business days of 30-minute reminders stay well below it
Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class Rehearsal:
    """Which playbook, at which severity (and the category word that selects it), how fast."""

    playbook: Playbook
    severity: str
    category: str | None
    speed: float = DEFAULT_SPEED
    full: bool = False

    @property
    def command(self) -> str:
        """The `/escalate` text that opens the rehearsal's swarm."""
        words = [TICKET, self.severity, *([self.category] if self.category else [])]
        return " ".join([*words, "customer:Rehearsal", f"Game-day rehearsal: {self.playbook.title}"])


def plan_rehearsal(
    library: PlaybookLibrary,
    name: str,
    *,
    severity: str | None = None,
    speed: float = DEFAULT_SPEED,
    full: bool = False,
) -> Rehearsal:
    """The rehearsal of playbook `name`; ConfigurationError saying why when it cannot be rehearsed so."""
    if name not in library:
        raise ConfigurationError(
            f"no playbook is called `{name}`; there are {', '.join(p.name for p in library)}"
        )
    if speed < 0:
        raise ConfigurationError("--speed is simulated seconds per real second: 0 (no waiting) or more")
    playbook = library.get(name)
    matched = playbook.effective_match.matched_severities
    chosen = severity.lower() if severity else matched[0]  # the most severe it takes: it is a drill
    if chosen not in SEVERITIES:
        raise ConfigurationError(f"`{severity}` is not a severity: use {', '.join(SEVERITIES)}")
    words = [*sorted(playbook.effective_match.categories or ()), None, *sorted(library.categories)]
    category = next((word for word in words if library.select(word, chosen) is playbook), "")
    if category == "":
        raise ConfigurationError(
            f"`{name}` is never chosen for {chosen}: it takes {', '.join(matched)}"
            + ("" if chosen not in matched else ", but a playbook tried before it matches first")
        )
    return Rehearsal(playbook=playbook, severity=chosen, category=category, speed=speed, full=full)


def rehearsal_settings(base: Settings, sb: Sandbox, database_url: str) -> Settings:
    """The sandbox's tokens and a scratch database; the operator's playbooks, calendar and timeouts."""
    kept = (
        "swarmbot_playbooks_dir",
        "swarmbot_working_days",
        "swarmbot_working_hours",
        "swarmbot_timezone",
        "swarmbot_holidays",
        "swarmbot_invitation_timeout",
        "swarmbot_experts_per_skill",
        "swarmbot_archive_after",
    )
    values: dict[str, Any] = {name: getattr(base, name) for name in kept}
    return Settings(
        _env_file=None,
        # Pacing off: per-second budgets mean nothing on a simulated clock, and the sandbox enforces none.
        swarmbot_slack_pacing="off",
        slack_bot_token=sb.bot_token,
        slack_signing_secret=sb.signing_secret,
        slack_api_url=sb.api_url,
        database_url=database_url,
        redis_url=None,
        swarmbot_escalation_managers="usergroup:support-managers",
        **values,
    )


async def run_rehearsal(
    rehearsal: Rehearsal, echo: Echo, *, base: Settings, sleep: Sleep = asyncio.sleep
) -> int:
    """Play the rehearsal and tell it; returns the process exit code."""
    clock = FrozenClock(datetime.fromisoformat(DEMO_TIME))
    with tempfile.TemporaryDirectory(prefix="swarmbot-rehearse-") as workdir, Sandbox(SandboxConfig()) as sb:
        world = seed_world(sb, rehearsal.playbook)
        database_url = f"sqlite+aiosqlite:///{Path(workdir) / 'rehearsal.db'}"
        engine = create_engine(database_url)
        await upgrade(engine)
        await ExpertDirectory(sessions=session_factory(engine), clock=clock, skill_groups={}).import_file(
            world.experts_yaml
        )
        await engine.dispose()
        settings = rehearsal_settings(base, sb, database_url)
        services = Services.create(settings, clock=clock)  # the scheduler's side, as `swarmbot worker`
        try:
            async with serving(settings, clock=clock) as url:
                sb.request_url = url
                run = RehearsalRun(rehearsal, sb, world, services, clock, echo, sleep)
                return await run.play()
        finally:
            await services.aclose()


class RehearsalRun:
    """One rehearsal in progress: opens the swarm, moves the clock job by job, resolves, sums up."""

    def __init__(
        self,
        rehearsal: Rehearsal,
        sb: Sandbox,
        world: RehearsalWorld,
        services: Services,
        clock: FrozenClock,
        echo: Echo,
        sleep: Sleep,
    ) -> None:
        self.rehearsal = rehearsal
        self.sb = sb
        self.world = world
        self.services = services
        self.clock = clock
        self.out = CondensedEcho(echo, full=rehearsal.full)
        self.moment: list[str] = []
        self.last_key: str | None = None  # the last moment, when it was one message only
        self.repeats: list[tuple[datetime, str]] = []  # moments since that said the same again
        self.narrator = Narrator(sb, self.moment.append)
        self.sleep = sleep
        self.worker = Worker(
            queue=services.jobs,
            handlers=job_handlers(services),
            clock=clock,
            coordinator=services.coordinator,
            owner="rehearsal-worker",
        )

    async def play(self) -> int:
        """The whole rehearsal."""
        self._introduce()
        opened_at = self.clock.now()
        alice = self.world.cast.people["alice"]
        opened = await self._command(alice, self.world.cast.support_channel, self.rehearsal.command)
        self._tell_moment(opened_at)
        if not opened:
            self.out.flush()
            return 1
        swarm = await self._swarm()
        until = await self._end_of_matrix(swarm.id, opened_at)
        wait = (until - opened_at).total_seconds() / self.rehearsal.speed if self.rehearsal.speed else 0
        self.out(
            f"\n(the clock now runs to {elapsed(until - opened_at)}, the end of the matrix and the SLA; "
            + (
                f"about {wait / 60:.0f} minutes at --speed {self.rehearsal.speed:g})"
                if wait
                else "no waiting)"
            )
        )
        await self._run_clocks(swarm.id, opened_at, until)
        self._tell_repeats(opened_at)
        self.out("\n(the commander resolves it)")
        await self._command(
            swarm.commander, str(swarm.channel_id), "resolve Rehearsal over: the playbook ran"
        )
        # Let the debounced Home refreshes finish before the app stops.
        await asyncio.sleep(HOME_REFRESH_DELAY)
        await self._settle()
        self._tell_moment(opened_at)
        self.out("\nSummary")
        for line in await summary_lines(self.services.sessions, swarm.id, opened_at):
            self.out(line)
        self.out.flush()
        return 0

    def _introduce(self) -> None:
        playbook, rehearsal = self.rehearsal.playbook, self.rehearsal
        self.out(
            f"swarmbot rehearse: the “{playbook.title}” playbook ({playbook.name}) "
            f"at {rehearsal.severity.upper()}, in the local Slack sandbox."
        )
        self.out(
            f"Simulated clock from {self.clock.now():%a %d %b %H:%M} UTC; "
            "nobody answers, so every alarm goes off."
        )
        matrix = " · ".join(
            f"{level.after}: " + ", ".join(f"{t.kind}:{t.name}" for t in level.notify)
            for level in playbook.escalation
        )
        self.out(f"Escalation matrix: {matrix or 'none'}")
        for line in self.world.stand_ins:
            self.out(f"Stand-in for this rehearsal: {line}")
        self.out(f"\n▶ alice in #support: /escalate {rehearsal.command}")

    async def _command(self, user: str, channel: str, text: str) -> bool:
        before = len(self.sb.responses(user=user))
        await self.sb.driver().slash_command("/escalate", text, user_id=user, channel_id=channel)
        await self.sb.wait_for(lambda: len(self.sb.responses(user=user)) > before, timeout=60)
        await self._settle()
        answer = self.sb.responses(user=user)[before]["payload"]
        return ":warning:" not in str(answer.get("blocks"))

    async def _settle(self) -> None:
        # The app works after its ack, and answers events the sandbox sends; wait until it is quiet.
        seen, new = len(self.sb.calls()), -1
        while new:
            await asyncio.sleep(0.15)
            new = len(self.sb.calls(since=seen))
            seen += new

    async def _swarm(self) -> Swarm:
        async with self.services.sessions() as session:
            swarm = await session.scalar(select(Swarm).join(Ticket).where(Ticket.ticket_id == TICKET))
        assert swarm is not None, "the app answered, so the swarm is recorded"
        return swarm

    async def _end_of_matrix(self, swarm_id: int, opened_at: datetime) -> datetime:
        jobs = await self.services.jobs.pending(swarm_id=swarm_id)
        ends = [job.due_at for job in jobs if job.kind in (levels.KIND, sla.KIND)]
        firsts = [job.due_at for job in jobs if job.kind == reminders.KIND]
        return max(ends, default=None) or min(firsts, default=opened_at)

    async def _run_clocks(self, swarm_id: int, opened_at: datetime, until: datetime) -> None:
        for _ in range(MAX_STEPS):
            jobs = await self.services.jobs.pending(swarm_id=swarm_id)
            due = min((job.due_at for job in jobs if job.state == "pending"), default=None)
            if due is None or due > until:
                return
            now = self.clock.now()
            if due > now:
                if self.rehearsal.speed:
                    await self.sleep((due - now).total_seconds() / self.rehearsal.speed)
                self.clock.advance(due - now)
            while await self.worker.run_once():
                pass
            await asyncio.sleep(0)  # let the app take the events the sandbox just sent
            self._tell_moment(opened_at)

    def _tell_moment(self, opened_at: datetime) -> None:
        self.narrator.catch_up()
        if not self.moment:
            return
        key = routine_key(self.moment)
        if key is not None and key == self.last_key and not self.rehearsal.full:
            self.repeats.append((self.clock.now(), self.moment[1]))  # the message's first line
        else:
            self._tell_repeats(opened_at)
            self.out(stamp(opened_at, self.clock.now()))
            for line in self.moment:
                self.out(line)
            self.last_key = key
        self.moment.clear()

    def _tell_repeats(self, opened_at: datetime) -> None:
        if not self.repeats:
            return
        (first, _), (last, line) = self.repeats[0], self.repeats[-1]
        self.out(f"{stamp(opened_at, first)} … {elapsed(last - opened_at)}  ({last:%a %d %b %H:%M} UTC)")
        self.out(f"    the same message {len(self.repeats)} more times; the last one:")
        self.out(line)
        self.repeats.clear()
