"""The services one swarmbot process runs with, built once from Settings and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.broadcasts import Broadcasts
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.coordination import Coordinator, coordinator_for
from bot.durations import parse_duration
from bot.errors import ConfigurationError
from bot.experts import ExpertDirectory
from bot.fallbacks import Fallbacks
from bot.invitations import Invitations
from bot.permissions import Permissions
from bot.playbooks import PlaybookLibrary, load_library
from bot.roles import Roles
from bot.scheduler import JobQueue
from bot.slack.gateway import SlackGateway, build_client
from bot.swarm_builder import SwarmBuilder
from bot.swarm_posts import SwarmPosts
from bot.swarms import Swarms
from bot.tasks import Tasks
from bot.working_calendar import WorkingCalendar
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
    playbooks: PlaybookLibrary
    directory: ExpertDirectory
    permissions: Permissions
    swarms: Swarms
    invitations: Invitations
    tasks: Tasks
    roles: Roles
    broadcasts: Broadcasts
    jobs: JobQueue

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
        skill_groups = settings.skill_groups()
        directory = ExpertDirectory(sessions=sessions, clock=clock, skill_groups=skill_groups)
        fallbacks = Fallbacks(
            gateway=gateway, skill_groups=skill_groups, managers=settings.escalation_managers()
        )
        permissions = Permissions(fallbacks=fallbacks)
        posts = SwarmPosts(sessions=sessions, gateway=gateway, fallbacks=fallbacks)
        invitations = Invitations(
            sessions=sessions,
            gateway=gateway,
            clock=clock,
            directory=directory,
            fallbacks=fallbacks,
            timeout_text=str(parse_duration(settings.swarmbot_invitation_timeout)),
        )
        broadcasts = Broadcasts(sessions=sessions, gateway=gateway, clock=clock)
        jobs = JobQueue(sessions=sessions, clock=clock, coordinator=coordinator)
        builder = SwarmBuilder(
            sessions=sessions,
            gateway=gateway,
            clock=clock,
            playbooks=playbooks,
            posts=posts,
            invitations=invitations,
            broadcasts=broadcasts,
        )
        swarms = Swarms(
            sessions=sessions,
            builder=builder,
            coordinator=coordinator,
            clock=clock,
            playbooks=playbooks,
            directory=directory,
            calendar=WorkingCalendar(timezone="UTC"),
            experts_per_skill=settings.swarmbot_experts_per_skill,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            coordinator=coordinator,
            gateway=gateway,
            clock=clock,
            playbooks=playbooks,
            directory=directory,
            permissions=permissions,
            swarms=swarms,
            invitations=invitations,
            tasks=Tasks(
                sessions=sessions,
                gateway=gateway,
                clock=clock,
                coordinator=coordinator,
                posts=posts,
                permissions=permissions,
            ),
            roles=Roles(sessions=sessions, gateway=gateway, clock=clock, permissions=permissions),
            broadcasts=broadcasts,
            jobs=jobs,
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
