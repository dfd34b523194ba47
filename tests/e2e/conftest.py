"""End to end: the real app behind its real HTTP server, signed requests in, the Slack sandbox's state out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.config import Settings
from bot.sandbox import Driver, Sandbox, SandboxConfig
from bot.sandbox.cast import Cast, seed_demo
from bot.server import serving
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
    """alice, bob, carol, dave and erin, two user groups and #support."""
    return seed_demo(sandbox)


def settings_for(sandbox: Sandbox, backend: Backend, **overrides: Any) -> Settings:
    """Settings that point the app at the sandbox and the backend under test."""
    values: dict[str, Any] = dict(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=sandbox.api_url,
        database_url=backend.database_url,
        redis_url=backend.redis_url,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Stack:
    """The app under test, the sandbox it talks to and a way to read storage."""

    sandbox: Sandbox
    driver: Driver
    cast: Cast
    url: str
    sessions: SessionFactory
    backend: Backend

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


@pytest.fixture
async def stack(sandbox: Sandbox, cast: Cast, backend: Backend) -> AsyncIterator[Stack]:
    """The app served over HTTP in this test's event loop, wired to the sandbox and the backend."""
    engine = create_engine(backend.database_url)
    async with serving(settings_for(sandbox, backend)) as url:
        sandbox.request_url = url
        yield Stack(sandbox, sandbox.driver(), cast, url, session_factory(engine), backend)
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
