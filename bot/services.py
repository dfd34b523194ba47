"""The services one swarmbot process runs with, built once from Settings and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.coordination import Coordinator, coordinator_for
from bot.errors import ConfigurationError
from bot.playbooks import PlaybookLibrary, load_library
from bot.slack.gateway import SlackGateway, build_client
from bot.swarm_builder import SwarmBuilder
from bot.swarms import Swarms
from storage.db import SessionFactory, create_engine, current_revision, head_revision, session_factory


@dataclass
class Services:
    """Everything a handler may call, wired once per process."""

    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    coordinator: Coordinator
    gateway: SlackGateway
    clock: Clock
    swarms: Swarms
    playbooks: PlaybookLibrary

    @property
    def categories(self) -> frozenset[str]:
        """The category words `/escalate` recognises: every playbook's `match.categories`."""
        return self.playbooks.categories

    @classmethod
    def create(cls, settings: Settings, *, clock: Clock | None = None) -> Services:
        """Wire the services; nothing connects until first use. Invalid playbooks stop it here."""
        playbooks = load_library(settings.swarmbot_playbooks_dir)
        clock = clock or SystemClock()
        engine = create_engine(settings.database_url)
        sessions = session_factory(engine)
        coordinator = coordinator_for(settings.redis_url)
        gateway = SlackGateway(build_client(token=settings.bot_token(), base_url=settings.slack_api_url))
        builder = SwarmBuilder(sessions=sessions, gateway=gateway, clock=clock)
        swarms = Swarms(sessions=sessions, builder=builder, coordinator=coordinator, clock=clock)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            coordinator=coordinator,
            gateway=gateway,
            clock=clock,
            swarms=swarms,
            playbooks=playbooks,
        )

    async def check_ready(self) -> None:
        """Raise ConfigurationError unless the database is migrated and the coordinator answers."""
        head = head_revision()
        current = await current_revision(self.engine)
        if current != head:
            raise ConfigurationError(
                f"The database is at revision {current or 'none'}, not {head}: "
                "run `swarmbot db upgrade` first."
            )
        await self.coordinator.ping()

    async def health(self) -> dict[str, str]:
        """What /healthz reports: each dependency `ok` or the error it gave."""
        report: dict[str, str] = {}
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            report["database"] = "ok"
        except Exception as error:  # health must answer, whatever broke
            report["database"] = f"error: {type(error).__name__}"
        try:
            await self.coordinator.ping()
            report["coordinator"] = "ok"
        except Exception as error:
            report["coordinator"] = f"error: {type(error).__name__}"
        return report

    async def aclose(self) -> None:
        """Close connections."""
        await self.coordinator.close()
        await self.engine.dispose()
