"""Transcript fixtures: a Slack sandbox, the real gateway on it, storage, and a swarm to archive."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from bot.clock import FrozenClock
from bot.sandbox import Sandbox, SandboxConfig
from bot.slack.client import build_client
from bot.slack.gateway import SlackGateway
from bot.transcripts import Redactor, TranscriptArchive
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import Swarm, Ticket

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh local Slack workspace."""
    with Sandbox(SandboxConfig()) as sb:
        yield sb


@pytest.fixture
def gateway(sandbox: Sandbox) -> SlackGateway:
    """The real gateway (slack-sdk with its retry handlers) pointed at the sandbox."""
    return SlackGateway(build_client(token=sandbox.bot_token, base_url=sandbox.api_url))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on a freshly migrated database: SQLite, then Postgres."""
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def swarm_id(sessions: SessionFactory) -> int:
    """A resolved swarm of ticket ZD-4521 in #esc-zd-4521-login."""
    async with sessions() as session, session.begin():
        ticket = Ticket(ticket_id="ZD-4521", customer="Acme", created_at=NOW)
        session.add(ticket)
        await session.flush()
        swarm = Swarm(
            ticket_pk=ticket.id,
            status="resolved",
            severity="sev2",
            requested_by="U0REQUEST",
            commander="U0REQUEST",
            opened_at=NOW,
            resolved_at=NOW,
            channel_name="esc-zd-4521-login",
        )
        session.add(swarm)
        await session.flush()
        return swarm.id


@pytest.fixture
def make_archive(sessions: SessionFactory, gateway: SlackGateway, clock: FrozenClock):  # type: ignore[no-untyped-def]
    """A TranscriptArchive factory (a fresh one per call: a resumed run starts with an empty name cache)."""

    def make(
        *, page_size: int = 20, redactor: Redactor | None = None, via: SlackGateway | None = None
    ) -> TranscriptArchive:
        return TranscriptArchive(
            sessions=sessions,
            gateway=via or gateway,
            clock=clock,
            redactor=redactor or Redactor(emails=True, phones=True),
            page_size=page_size,
        )

    return make
