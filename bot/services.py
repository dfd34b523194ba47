"""The services one swarmbot process runs with, built once from Settings and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.archiving import Archiver
from bot.broadcasts import Broadcasts
from bot.channel_recovery import ChannelRecovery
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.connectors import connectors_from_settings
from bot.coordination import Coordinator, coordinator_for
from bot.durations import parse_duration
from bot.errors import ConfigurationError
from bot.experts import ExpertDirectory
from bot.fallbacks import Fallbacks
from bot.home import HomeReader
from bot.home_refresher import HomeRefresher
from bot.inbox import Inbox
from bot.invitations import Invitations
from bot.levels import EscalationLevels
from bot.permissions import Permissions
from bot.playbooks import PlaybookLibrary, load_library
from bot.reconciler import Reconciler
from bot.reminders import Reminders
from bot.resolution import Resolutions
from bot.resolution_notices import ResolutionNotices
from bot.roles import Roles
from bot.scheduler import JobQueue
from bot.sla import SlaClock
from bot.slack.client import build_client
from bot.slack.gateway import SlackGateway
from bot.slack.pacing import pacer_for
from bot.swarm_builder import SwarmBuilder
from bot.swarm_clocks import SwarmClocks
from bot.swarm_posts import SwarmPosts
from bot.swarms import Swarms
from bot.tasks import Tasks
from bot.transcripts import Redactor, TranscriptArchive
from bot.updates import StatusUpdates
from bot.working_calendar import calendar_from_settings
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
    reminders: Reminders
    levels: EscalationLevels
    sla: SlaClock
    clocks: SwarmClocks
    updates: StatusUpdates
    resolutions: Resolutions
    reconciler: Reconciler
    archiver: Archiver
    home: HomeRefresher
    inbox: Inbox

    @property
    def categories(self) -> frozenset[str]:
        """The category words `/escalate` recognises: every playbook's `match.categories`."""
        return self.playbooks.categories

    @classmethod
    def create(cls, settings: Settings, *, clock: Clock | None = None) -> Services:
        """Wire the services; nothing connects until first use. Invalid playbooks stop it here."""
        playbooks = load_library(settings.swarmbot_playbooks_dir)
        clock = clock or SystemClock()
        calendar = calendar_from_settings(
            days=settings.swarmbot_working_days,
            hours=settings.swarmbot_working_hours,
            timezone=settings.swarmbot_timezone,
            holidays=settings.swarmbot_holidays,
        )
        engine = create_engine(settings.database_url)
        sessions = session_factory(engine)
        coordinator = coordinator_for(settings.redis_url)
        token = settings.bot_token()
        pacer = pacer_for(
            settings.redis_url,
            setting=settings.swarmbot_slack_pacing,
            api_url=settings.slack_api_url,
            token=token,
        )
        gateway = SlackGateway(build_client(token=token, base_url=settings.slack_api_url), pacer=pacer)
        jobs = JobQueue(sessions=sessions, clock=clock, coordinator=coordinator)
        groups = settings.skill_groups()
        directory = ExpertDirectory(sessions=sessions, clock=clock, skill_groups=groups)
        fallbacks = Fallbacks(gateway=gateway, skill_groups=groups, managers=settings.escalation_managers())
        permissions = Permissions(fallbacks=fallbacks)
        broadcasts = Broadcasts(sessions=sessions, gateway=gateway, clock=clock)
        timeout = parse_duration(settings.swarmbot_invitation_timeout)
        reminders = Reminders(
            sessions=sessions,
            clock=clock,
            jobs=jobs,
            playbooks=playbooks,
            calendar=calendar,
            fallbacks=fallbacks,
        )
        levels = EscalationLevels(
            sessions=sessions,
            gateway=gateway,
            clock=clock,
            jobs=jobs,
            playbooks=playbooks,
            calendar=calendar,
            fallbacks=fallbacks,
            broadcasts=broadcasts,
        )
        sla = SlaClock(
            sessions=sessions,
            clock=clock,
            jobs=jobs,
            playbooks=playbooks,
            calendar=calendar,
            broadcasts=broadcasts,
        )
        clocks = SwarmClocks(
            sessions=sessions,
            gateway=gateway,
            clock=clock,
            jobs=jobs,
            reminders=reminders,
            levels=levels,
            sla=sla,
            permissions=permissions,
            invitation_timeout=timeout.as_timedelta(),
        )
        home = HomeRefresher(
            reader=HomeReader(
                sessions=sessions,
                clock=clock,
                playbooks=playbooks,
                directory=directory,
                sla=sla,
                reminders=reminders,
            ),
            sessions=sessions,
            gateway=gateway,
        )
        invitations = Invitations(
            sessions=sessions,
            gateway=gateway,
            clock=clock,
            directory=directory,
            fallbacks=fallbacks,
            timeout_text=str(timeout),
            on_invited=home.after(clocks.time_invitations),
        )
        posts = SwarmPosts(sessions=sessions, gateway=gateway, fallbacks=fallbacks)
        builder = SwarmBuilder(
            sessions=sessions,
            gateway=gateway,
            clock=clock,
            playbooks=playbooks,
            posts=posts,
            invitations=invitations,
            broadcasts=broadcasts,
            before_ready=clocks.guard,
            on_ready=home.after(clocks.start),
        )
        swarms = Swarms(
            sessions=sessions,
            builder=builder,
            recovery=ChannelRecovery(sessions=sessions, gateway=gateway, clock=clock),
            coordinator=coordinator,
            clock=clock,
            playbooks=playbooks,
            directory=directory,
            calendar=calendar,
            experts_per_skill=settings.swarmbot_experts_per_skill,
        )
        tasks = Tasks(
            sessions=sessions,
            gateway=gateway,
            clock=clock,
            coordinator=coordinator,
            posts=posts,
            permissions=permissions,
        )
        updates = StatusUpdates(
            sessions=sessions,
            gateway=gateway,
            clock=clock,
            permissions=permissions,
            playbooks=playbooks,
            broadcasts=broadcasts,
            reminders=reminders,
            sla=sla,
        )
        inbox = Inbox(sessions=sessions, clock=clock)
        services = cls(
            inbox=inbox,
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
            tasks=tasks,
            roles=Roles(sessions=sessions, gateway=gateway, clock=clock, permissions=permissions),
            broadcasts=broadcasts,
            jobs=jobs,
            reminders=reminders,
            levels=levels,
            sla=sla,
            clocks=clocks,
            updates=updates,
            resolutions=Resolutions(
                sessions=sessions,
                gateway=gateway,
                clock=clock,
                jobs=jobs,
                permissions=permissions,
                notices=ResolutionNotices(
                    sessions=sessions,
                    gateway=gateway,
                    clock=clock,
                    jobs=jobs,
                    playbooks=playbooks,
                    broadcasts=broadcasts,
                ),
                clocks=clocks,
                archive_after=parse_duration(settings.swarmbot_archive_after).as_timedelta(),
            ),
            reconciler=Reconciler(
                sessions=sessions, clock=clock, jobs=jobs, swarms=swarms, clocks=clocks, inbox=inbox
            ),
            archiver=Archiver(
                sessions=sessions,
                gateway=gateway,
                clock=clock,
                jobs=jobs,
                transcripts=TranscriptArchive(
                    sessions=sessions, gateway=gateway, clock=clock, redactor=Redactor.from_settings(settings)
                ),
                connectors=connectors_from_settings(settings),
            ),
            home=home,
        )
        from bot.handlers.replay import EventReplayer  # the handlers import the services

        services.reconciler.replay = EventReplayer(services)
        return services

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
        """Close connections (after publishing the Home tabs still waiting)."""
        await self.home.flush()
        await self.coordinator.close()
        await self.gateway.pacer.close()
        await self.engine.dispose()
