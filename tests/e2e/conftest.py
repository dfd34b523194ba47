"""End to end: the real app behind its real HTTP server, signed requests in, the Slack sandbox's state out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.clock import FrozenClock
from bot.config import Settings
from bot.experts import ExpertDirectory
from bot.sandbox import Driver, Sandbox, SandboxConfig
from bot.sandbox.cast import DEMO_TIME, Cast, experts_file, seed_demo
from bot.scheduler import Worker
from bot.scheduler.registry import job_handlers
from bot.server import serving
from bot.services import Services
from storage.db import SessionFactory, create_engine, session_factory
from tests.conftest import Backend

SIGNING_SECRET = "e2e-signing-secret"
BOT_TOKEN = "xoxb-e2e-bot-token"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh local Slack workspace for each test."""
    config = SandboxConfig(
        signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, event_retry_schedule=(0.0, 0.3, 0.6)
    )
    with Sandbox(config) as sb:
        yield sb


@pytest.fixture
def cast(sandbox: Sandbox) -> Cast:
    """The demo world: people, user groups, #support and #escalations-feed."""
    return seed_demo(sandbox)


@pytest.fixture
def clock() -> FrozenClock:
    """Monday 15:00 UTC, as the demo: who is on shift never depends on when the tests run."""
    return FrozenClock(datetime.fromisoformat(DEMO_TIME))


def settings_for(sandbox: Sandbox, backend: Backend, **overrides: Any) -> Settings:
    """Settings that point the app at the sandbox and the backend under test."""
    values: dict[str, Any] = dict(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=sandbox.api_url,
        database_url=backend.database_url,
        redis_url=backend.redis_url,
        swarmbot_escalation_managers="usergroup:support-managers",
        # The sandbox enforces no rate limits unless a test turns them on; pacing has tests of its own.
        swarmbot_slack_pacing="off",
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Stack:
    """The app under test, the sandbox it talks to and a way to read storage."""

    sandbox: Sandbox
    driver: Driver
    cast: Cast
    url: str
    sessions: SessionFactory
    backend: Backend
    clock: FrozenClock

    def person(self, name: str) -> str:
        return self.cast.people[name]

    async def escalate(self, text: str, *, user: str = "alice", channel: str | None = None) -> dict[str, Any]:
        """Run `/escalate text` as `user` and return the answer the app posted to the response_url."""
        user_id = self.person(user)
        before = len(self.sandbox.responses(user=user_id))
        response = await self.driver.slash_command(
            "/escalate", text, user_id=user_id, channel_id=channel or self.cast.support_channel
        )
        assert response.status == 200, response
        await self.sandbox.wait_for(
            lambda: len(self.sandbox.responses(user=user_id)) > before,
            timeout=15,
            message=f"/escalate {text}",
        )
        return self.sandbox.responses(user=user_id)[before]["payload"]

    def channel_named(self, prefix: str) -> dict[str, Any]:
        """The one channel whose name starts with `prefix`."""
        [found] = [c for c in self.sandbox.channels() if c["name"].startswith(prefix)]
        return found


async def import_demo_experts(sessions: SessionFactory, cast: Cast, clock: FrozenClock) -> None:
    """Load the demo world's expert directory."""
    await ExpertDirectory(sessions=sessions, clock=clock, skill_groups={}).import_file(experts_file(cast))


@pytest.fixture
async def stack(sandbox: Sandbox, cast: Cast, backend: Backend, clock: FrozenClock) -> AsyncIterator[Stack]:
    """The app served over HTTP in this test's event loop, wired to the sandbox and the backend."""
    engine = create_engine(backend.database_url)
    sessions = session_factory(engine)
    await import_demo_experts(sessions, cast, clock)
    async with serving(settings_for(sandbox, backend), clock=clock) as url:
        sandbox.request_url = url
        yield Stack(sandbox, sandbox.driver(), cast, url, sessions, backend, clock)
    await engine.dispose()


def text_of(answer: dict[str, Any]) -> str:
    """All the text of a message: its fallback and every block's text."""
    parts = [answer.get("text") or ""]
    for block in answer.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(text.get("text", ""))
        for item in block.get("fields") or []:
            parts.append(item.get("text", ""))
        for element in block.get("elements") or []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                parts.append(element["text"])
    return "\n".join(parts)


class Scheduler:
    """A worker of our own (as `swarmbot worker` would be), run by hand after moving the clock."""

    def __init__(self, stack: Stack, services: Services) -> None:
        self.stack = stack
        self.services = services
        self.worker = Worker(
            queue=services.jobs,
            handlers=job_handlers(services),
            clock=stack.clock,
            coordinator=services.coordinator,
            owner="test-worker",
        )

    async def after(self, minutes: float) -> int:
        """Move the clock on and run everything that came due; returns how many jobs ran."""
        self.stack.clock.advance(timedelta(minutes=minutes))
        ran = 0
        while done := await self.worker.run_once():
            ran += done
        return ran


@pytest.fixture
async def scheduler(stack: Stack) -> AsyncIterator[Scheduler]:
    services = Services.create(settings_for(stack.sandbox, stack.backend), clock=stack.clock)
    yield Scheduler(stack, services)
    await services.aclose()


def channel_texts(stack: Stack, channel: str) -> list[str]:
    return [text_of(m) for m in stack.sandbox.messages(channel, system=False)]


def last(stack: Stack, channel: str, needle: str) -> str:
    return [t for t in channel_texts(stack, channel) if needle in t][-1]


def count(stack: Stack, channel: str, needle: str) -> int:
    return sum(needle in t for t in channel_texts(stack, channel))


async def opened(stack: Stack, text: str) -> str:
    await stack.escalate(text)
    return stack.channel_named("esc-" + text.split()[0].lower())["id"]
