"""The crash suite's machinery: `swarmbot serve` and `swarmbot worker` as real processes that are killed
with SIGKILL and started again, a seeded kill plan, and people who use Slack the way people do.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.e2e.processes import REPO, free_port


class Supervised:
    """A `swarmbot …` subprocess the test kills with SIGKILL and starts again; its log keeps every life."""

    def __init__(self, name: str, arguments: list[str], *, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.arguments = arguments
        self.env = {**os.environ, **env}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.lives = 0

    def start(self) -> None:
        """Start a new life of the process."""
        self.lives += 1
        with self.log.open("ab") as output:
            output.write(f"\n===== {self.name}: life {self.lives} =====\n".encode())
            output.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", *self.arguments],
                env=self.env,
                cwd=REPO,
                stdout=output,
                stderr=output,
            )

    def kill(self) -> None:
        """kill -9: no cleanup, no release of leases or locks."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 30) -> None:
        """A polite stop (SIGTERM), as a deploy would do; SIGKILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def exited(self) -> bool:
        """Whether the current life ended on its own (a crash we did not cause)."""
        return self.process is not None and self.process.poll() is not None

    async def wait_healthy(self, url: str | None, timeout: float = 45) -> None:
        """Until `url` answers 200 (the web process) or the process has had a moment to start (the worker)."""
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.exited():
                    raise RuntimeError(f"{self.name} exited with {self.process and self.process.returncode}")
                if url is None:
                    return
                try:
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as answer:
                        if answer.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become healthy within {timeout}s; see {self.log}")


@dataclass
class Bot:
    """The deployment under test: one web process on a fixed port and one worker."""

    web: Supervised
    worker: Supervised
    port: int

    @classmethod
    def create(cls, env: dict[str, str], logs: Path, *, lease: float) -> Bot:
        port = free_port()
        web = Supervised(
            "web",
            ["serve", "--host", "127.0.0.1", "--port", str(port), "--without-worker"],
            env=env,
            log=logs / "web.log",
        )
        # A short lease: a killed worker's jobs are taken over within seconds, not the default minute.
        worker = Supervised(
            "worker", ["worker", "--lease", str(lease), "--poll", "0.5"], env=env, log=logs / "worker.log"
        )
        return cls(web, worker, port)

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/healthz"

    def process(self, target: str) -> Supervised:
        return self.web if target == "web" else self.worker

    async def start(self, target: str) -> None:
        """Start `target` and wait until it serves."""
        process = self.process(target)
        process.start()
        await process.wait_healthy(self.health_url if target == "web" else None)

    async def start_all(self) -> None:
        await self.start("web")
        await self.start("worker")

    def stop_all(self) -> None:
        self.worker.stop()
        self.web.stop()


@dataclass(frozen=True)
class PlannedKill:
    """Kill `target` right after the script's action number `after_action`, `delay` seconds later."""

    target: str
    after_action: int
    delay: float
    downtime: float


@dataclass
class Kill:
    """A kill that happened: when, during what, and how long the process stayed dead."""

    target: str
    at: float  # seconds since the script started
    after_action: int
    during: str  # the action just sent when the signal went out
    downtime: float
    jobs_running: int = 0  # worker kills: jobs the worker held at that moment

    def line(self) -> str:
        where = f"after action {self.after_action} ({self.during})"
        held = f", {self.jobs_running} jobs running" if self.target == "worker" else ""
        return f"{self.at:6.1f}s  kill -9 {self.target:6} {where}{held}; back after {self.downtime:.1f}s"


def plan_kills(
    rng: random.Random, *, web: int, worker: int, actions: int, settle: int = 4
) -> list[PlannedKill]:
    """`web` and `worker` kills spread over the script's actions at seeded random points."""
    targets = ["web"] * web + ["worker"] * worker
    rng.shuffle(targets)
    points = sorted(rng.sample(range(settle, actions - settle), len(targets)))
    return [
        PlannedKill(
            target=target,
            after_action=point,
            # Sometimes at once (mid-request), sometimes a little later (mid-build or mid-job).
            delay=rng.choice([0.0, rng.uniform(0.0, 0.25), rng.uniform(0.25, 1.5)]),
            downtime=rng.uniform(0.3, 2.5),
        )
        for target, point in zip(targets, points, strict=True)
    ]


@dataclass
class ActionLog:
    """Every action the script's people took, numbered in the order they were sent."""

    started: float = field(default_factory=time.monotonic)
    sent: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def note(self, description: str) -> int:
        self.sent.append(description)
        self.changed.set()
        return len(self.sent)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    async def reached(self, count: int, done: Callable[[], bool]) -> bool:
        """Wait until `count` actions were sent; False if the script ended first."""
        while len(self.sent) < count:
            if done():
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=0.5)
        return True


async def run_kills(
    bot: Bot,
    plan: list[PlannedKill],
    actions: ActionLog,
    *,
    script_done: Callable[[], bool],
    jobs_running: Callable[[], Awaitable[int]],
) -> list[Kill]:
    """Carry out the kill plan as the script runs; each killed process is started again after its downtime."""
    kills: list[Kill] = []
    for planned in plan:
        if not await actions.reached(planned.after_action, script_done):
            break
        await asyncio.sleep(planned.delay)
        running = await _mid_job(jobs_running) if planned.target == "worker" else 0
        process = bot.process(planned.target)
        process.kill()
        kills.append(
            Kill(
                target=planned.target,
                at=actions.elapsed(),
                after_action=planned.after_action,
                during=actions.sent[planned.after_action - 1],
                downtime=planned.downtime,
                jobs_running=running,
            )
        )
        await asyncio.sleep(planned.downtime)
        await bot.start(planned.target)
    return kills


async def _mid_job(jobs_running: Callable[[], Awaitable[int]], within: float = 3.0) -> int:
    """Wait (a little) for the worker to be running a job: a kill between jobs proves much less."""
    deadline = time.monotonic() + within
    while True:
        running = await jobs_running()
        if running or time.monotonic() >= deadline:
            return running
        await asyncio.sleep(0.01)
