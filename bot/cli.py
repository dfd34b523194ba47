"""The `swarmbot` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from bot.config import Settings
from bot.errors import ConfigurationError

P = ParamSpec("P")
T = TypeVar("T")


def _settings() -> Settings:
    return Settings()


def friendly_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn a ConfigurationError into a one-line message and exit code 2, never a traceback."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except ConfigurationError as error:
            click.echo(f"swarmbot: {error}", err=True)
            sys.exit(2)

    return wrapper


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to completion on a fresh event loop."""
    return asyncio.run(coroutine)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.pass_context
def main(context: click.Context, verbose: bool) -> None:
    """swarmbot: swarm customer-support escalations in Slack."""
    from bot.logs import configure

    context.obj = {"verbose": verbose}
    try:
        settings = _settings()
        json_lines, secrets = settings.swarmbot_log_format == "json", settings.secrets()
    except ValueError:  # a bad setting is reported by the command that needs it, with its own message
        json_lines, secrets = False, []
    configure(level=logging.DEBUG if verbose else logging.INFO, json_lines=json_lines, secrets=secrets)


@main.command()
@click.option("--socket", "socket_mode", is_flag=True, help="Use Socket Mode instead of an HTTP endpoint.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Interface to listen on (HTTP).")
@click.option("--port", type=int, default=None, help="Port to listen on (HTTP); default $PORT or 3000.")
@click.option(
    "--with-worker/--without-worker",
    default=None,
    help="Also run the scheduler in this process (default: on for SQLite, off otherwise).",
)
@friendly_errors
def serve(socket_mode: bool, host: str, port: int | None, with_worker: bool | None) -> None:
    """Serve Slack's requests: POST /slack/events and GET /healthz, or Socket Mode."""
    from bot.server import run_http, run_socket_mode
    from bot.services import Services

    settings = _settings()
    settings.bot_token(), settings.signing_secret()

    async def preflight() -> None:
        services = Services.create(settings)
        try:
            await services.check_ready()
        finally:
            await services.aclose()

    run(preflight())
    # SQLite means one process: it must run the scheduler itself, or reminders never fire.
    worker = settings.database_url.startswith("sqlite") if with_worker is None else with_worker
    if socket_mode:
        settings.app_token()
        run(run_socket_mode(settings, with_worker=worker))
    else:
        run_http(settings, host=host, port=port, with_worker=worker)


@main.group()
def db() -> None:
    """Database migrations."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@friendly_errors
def upgrade(revision: str) -> None:
    """Migrate the database at DATABASE_URL to the newest schema."""
    from storage.db import create_engine, current_revision
    from storage.db import upgrade as upgrade_to

    settings = _settings()

    async def migrate() -> tuple[str | None, str | None]:
        engine = create_engine(settings.database_url)
        try:
            before = await current_revision(engine)
            await upgrade_to(engine, revision)
            return before, await current_revision(engine)
        finally:
            await engine.dispose()

    before, after = run(migrate())
    click.echo(f"database migrated: {before or 'empty'} → {after}")


@main.group()
def tickets() -> None:
    """The ticket records swarmbot keeps (operator command)."""


@tickets.command("show")
@click.argument("ticket_id")
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@friendly_errors
def tickets_show(ticket_id: str, as_json: bool) -> None:
    """Print the record of TICKET_ID."""
    from bot.tickets import ticket_record
    from storage.db import create_engine, session_factory

    settings = _settings()

    async def load() -> dict[str, Any] | None:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return await ticket_record(session, ticket_id)
        finally:
            await engine.dispose()

    record = run(load())
    if record is None:
        click.echo(f"swarmbot: no record of ticket {ticket_id}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{record['ticket_id']} ({record['status']})"
        + (f" · {record['customer']}" if record["customer"] else "")
    )
    for swarm in record["swarms"]:
        click.echo(
            f"  #{swarm['channel_name']} {swarm['severity']} {swarm['status']}"
            f" opened {swarm['opened_at']} commander {swarm['commander']}"
        )
        kpis = swarm["kpis"]
        figures = {
            "first expert": kpis["time_to_first_expert_seconds"],
            "first update": kpis["time_to_first_update_seconds"],
            "resolved": kpis["time_to_resolve_seconds"],
        }
        shown = ", ".join(
            f"{name} after {seconds / 60:.0f}m" for name, seconds in figures.items() if seconds is not None
        )
        click.echo(
            f"    {shown or 'no milestones yet'}; {kpis['participants']} people,"
            f" level {kpis['highest_level']}, {kpis['missed_reminders']} missed reminders,"
            f" SLA respond {kpis['sla']['respond']}, resolve {kpis['sla']['resolve']}"
        )


@main.command()
@friendly_errors
def doctor() -> None:
    """Find swarms a crash or a Slack outage left half-done, finish them, and say what was fixed."""
    from bot.services import Services

    settings = _settings()

    async def repair() -> list[str]:
        services = Services.create(settings)
        try:
            await services.check_ready()
            return (await services.reconciler.run()).lines()
        finally:
            await services.aclose()

    for line in run(repair()):
        click.echo(line)


@main.command("report")
@click.option("--since", "since", default="30d", show_default=True, help="How far back: 90m, 12h, 30d.")
@friendly_errors
def report_command(since: str) -> None:
    """Medians and p90 of time to first expert, first update and resolution, per severity and category."""
    from datetime import UTC, datetime

    from bot.durations import InvalidDuration, parse_duration
    from bot.kpis import report
    from storage.db import create_engine, session_factory

    try:
        window = parse_duration(since)
    except InvalidDuration as error:
        raise ConfigurationError(f"--since: {error}") from error
    if window.is_business_days:
        raise ConfigurationError("--since takes minutes, hours or days (90m, 12h, 30d), not business days.")
    settings = _settings()

    async def load() -> list[str]:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return await report(session, since=datetime.now(UTC) - window.as_timedelta())
        finally:
            await engine.dispose()

    for line in run(load()):
        click.echo(line)


@main.group()
def experts() -> None:
    """The expert directory (operator command)."""


@experts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@friendly_errors
def experts_import(file: Path) -> None:
    """Add or update the experts in FILE (YAML); on any bad row, print every error and import nothing."""
    from bot.clock import SystemClock
    from bot.expert_file import InvalidExpertFile
    from bot.experts import ExpertDirectory
    from storage.db import create_engine, session_factory

    settings = _settings()
    text = file.read_text(encoding="utf-8")

    async def load() -> list[str]:
        engine = create_engine(settings.database_url)
        try:
            directory = ExpertDirectory(
                sessions=session_factory(engine), clock=SystemClock(), skill_groups=settings.skill_groups()
            )
            return (await directory.import_file(text)).summary_lines()
        finally:
            await engine.dispose()

    try:
        lines = run(load())
    except InvalidExpertFile as invalid:
        for error in invalid.errors:
            click.echo(f"{file}:{error.line}: {error.reason}", err=True)
        click.echo(f"{len(invalid.errors)} problem(s): nothing imported.", err=True)
        sys.exit(1)
    for line in lines:
        click.echo(line)


@experts.command("sync")
@friendly_errors
def experts_sync() -> None:
    """Grant the skills of the user groups in SWARMBOT_SKILL_GROUPS to their members (and take them back)."""
    from bot.services import Services

    settings = _settings()
    if not settings.skill_groups():
        raise ConfigurationError(
            "SWARMBOT_SKILL_GROUPS is empty: set it to handle=tag pairs, e.g. dba=postgres."
        )

    async def sync() -> list[str]:
        services = Services.create(settings)
        try:
            await services.check_ready()
            return (await services.directory.sync_usergroups(services.gateway)).lines()
        finally:
            await services.aclose()

    for line in run(sync()):
        click.echo(line)


@main.command()
@click.pass_context
@friendly_errors
def demo(context: click.Context) -> None:
    """Play a whole escalation against the built-in local Slack sandbox (no Slack account needed)."""
    if not context.obj["verbose"]:
        logging.disable(logging.INFO)  # the story is the output; logs only with -v
    from bot.demo import run_demo

    sys.exit(run(run_demo(click.echo)))


@main.command()
@click.argument("playbook")
@click.option("--severity", default=None, help="sev1..sev4 (default: the most severe the playbook takes).")
@click.option(
    "--speed",
    type=float,
    default=60.0,
    show_default=True,
    help="Simulated seconds per real second: 60 plays a minute a second; 0 plays it all at once.",
)
@click.option("--full", is_flag=True, help="Quote every message in full, repeats included.")
@click.pass_context
@friendly_errors
def rehearse(context: click.Context, playbook: str, severity: str | None, speed: float, full: bool) -> None:
    """A game-day dry run of PLAYBOOK in the local sandbox: what the bot posts, and when."""
    if not context.obj["verbose"]:
        logging.disable(logging.INFO)  # the timeline is the output; logs only with -v
    from bot.playbooks import load_library
    from bot.rehearsal import plan_rehearsal, run_rehearsal

    settings = _settings()
    plan = plan_rehearsal(
        load_library(settings.swarmbot_playbooks_dir), playbook, severity=severity, speed=speed, full=full
    )
    sys.exit(run(run_rehearsal(plan, click.echo, base=settings)))


def _attach_subcommands() -> None:
    from bot.playbooks.cli import playbooks_group
    from bot.sandbox.cli import sandbox_command
    from bot.scheduler.cli import worker_command

    main.add_command(playbooks_group, name="playbooks")
    main.add_command(sandbox_command, name="sandbox")
    main.add_command(worker_command, name="worker")


_attach_subcommands()
