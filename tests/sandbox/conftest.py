"""Fixtures for the sandbox's own tests: a running sandbox, a bot client, people, and an app receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox, SandboxConfig


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_732_280_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def fast_config(**overrides: Any) -> SandboxConfig:
    """A config with short event timeouts and retry schedules, so tests stay fast."""
    settings: dict[str, Any] = {"event_timeout": 0.5, "event_retry_schedule": (0.05, 0.05, 0.05)}
    settings.update(overrides)
    return SandboxConfig(**settings)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox with the repository's manifest."""
    with Sandbox(fast_config()) as sb:
        yield sb


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with custom settings; all are stopped afterwards."""
    started: list[Sandbox] = []

    def make(**overrides: Any) -> Sandbox:
        sb = Sandbox(fast_config(**overrides)).start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def bot(sandbox: Sandbox) -> WebClient:
    """slack-sdk's sync client holding the bot token."""
    return WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)


@pytest.fixture
def abot(sandbox: Sandbox) -> AsyncWebClient:
    """slack-sdk's async client holding the bot token."""
    return AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)


@dataclass
class People:
    """Three seeded people."""

    alice: str
    bob: str
    carol: str


@pytest.fixture
def people(sandbox: Sandbox) -> People:
    """alice, bob and carol."""
    return People(
        alice=sandbox.add_user("alice", real_name="Alice Ng", email="alice@example.com", tz="Europe/Berlin"),
        bob=sandbox.add_user("bob", real_name="Bob Okafor", email="bob@example.com"),
        carol=sandbox.add_user("carol", real_name="Carol Diaz", email="carol@example.com"),
    )


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        """The JSON body (events), or the `payload` form field (interactions)."""
        text = self.body.decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(text)
        form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        return json.loads(form["payload"]) if "payload" in form else form


@dataclass
class Receiver:
    """A stand-in app on its own thread: verifies signatures, records requests, answers as told."""

    secret: str
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, in order; then 200
    delay: float = 0.0
    answer: Any = None  # JSON to answer with
    answer_headers: dict[str, str] = field(default_factory=dict)

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Event envelopes received (retries included)."""
        return [
            r.json
            for r in self.requests
            if r.json.get("type") == "event_callback"
            and (event_type is None or r.json["event"]["type"] == event_type)
        ]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        verified = SignatureVerifier(self.secret).is_valid_request(body, headers)
        self.requests.append(Received(headers=headers, body=body, verified=verified))
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        if self.answer is not None and status == 200:
            return web.json_response(self.answer, headers=self.answer_headers)
        return web.Response(status=status, text="", headers=self.answer_headers)


@pytest.fixture
def receiver(sandbox: Sandbox) -> Iterator[Receiver]:
    """An app receiver wired as the sandbox's request URL."""
    recv = Receiver(secret=sandbox.signing_secret)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    runner_box: list[web.AppRunner] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_post("/slack/events", recv.handle)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = runner.addresses[0][1]
        recv.url = f"http://127.0.0.1:{port}/slack/events"
        runner_box.append(runner)
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)
    sandbox.request_url = recv.url
    yield recv
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Synchronous polling for sync tests."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"{predicate} never became true")
