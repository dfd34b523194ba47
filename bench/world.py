"""The world the Slack benchmarks run in: a Postgres database of their own, Redis, the sandbox, experts.

The demo world (bot/sandbox/cast.py: people, user groups, #support, #escalations-feed) plus, when a
benchmark needs more, synthetic experts who are always on shift, so every swarm finds its experts.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import text

from bot.clock import Clock
from bot.config import Settings, async_database_url
from bot.experts import ExpertDirectory
from bot.sandbox import Sandbox
from bot.sandbox.cast import Cast, experts_file, seed_demo
from storage.db import create_engine, session_factory, upgrade

ADMIN_URL = os.environ.get("SWARMBOT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
# Not database 15: the test suite flushes that one. The benchmarks flush this one before each run: the
# sandbox numbers events and channels from 1 every time, and yesterday's dedupe keys would drop them.
REDIS_URL = os.environ.get("SWARMBOT_BENCH_REDIS", "redis://127.0.0.1:6379/13")
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-bot-token"


class BenchSettings(Settings):
    """Settings with SWARMBOT_SLACK_PACING, which Services.create reads when Settings has it."""

    swarmbot_slack_pacing: str = "on"


async def fresh_redis() -> str:
    """Empty the benchmarks' Redis database; its URL."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.flushdb()
    finally:
        await client.aclose()
    return REDIS_URL


def run_id() -> str:
    """A short id that keeps this run's tickets and keys apart from any other run's."""
    return uuid.uuid4().hex[:6]


async def admin(statement: str) -> None:
    """Run `statement` (CREATE or DROP DATABASE) outside a transaction on SWARMBOT_BENCH_POSTGRES."""
    engine = create_engine(async_database_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def database_url(name: str) -> str:
    """The URL of database `name` on the same server as SWARMBOT_BENCH_POSTGRES."""
    base = ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{base}/{name}"


@asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """A migrated Postgres database next to SWARMBOT_BENCH_POSTGRES, dropped at the end; yields its URL."""
    name = f"swarmbot_{prefix}_{os.getpid()}_{run_id()}"
    await admin(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    try:
        engine = create_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        yield url
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def synthetic_experts(sb: Sandbox, counts: Mapping[str, int]) -> str:
    """Add `counts[skill]` people with that skill, always on shift; their experts-file entries."""
    lines: list[str] = []
    for skill, count in counts.items():
        for n in range(count):
            name = f"{skill}-expert-{n}"
            user = sb.add_user(name, real_name=f"{skill.title()} Expert {n}", email=f"{name}@example.com")
            lines += [
                f"  - slack_id: {user}",
                f"    name: {skill.title()} Expert {n}",
                f"    skills: [{skill}]",
                f"    tier: L{2 + n % 2}",
                "    timezone: UTC",
                '    hours: "00:00-24:00"',
                "    max_active_swarms: 3",
            ]
    return "\n".join(lines) + ("\n" if lines else "")


async def seed_world(
    sb: Sandbox, database_url: str, clock: Clock, *, extra_experts: Mapping[str, int] | None = None
) -> Cast:
    """The demo world in the sandbox and its expert directory (plus synthetic experts) in storage."""
    cast = seed_demo(sb)
    directory = experts_file(cast) + synthetic_experts(sb, extra_experts or {})
    engine = create_engine(database_url)
    try:
        await ExpertDirectory(sessions=session_factory(engine), clock=clock, skill_groups={}).import_file(
            directory
        )
    finally:
        await engine.dispose()
    return cast


def settings_for(
    sb: Sandbox, *, database_url: str, redis_url: str | None, pacing: str = "on", **extra: Any
) -> BenchSettings:
    """Settings that point the app at the sandbox, the database and Redis."""
    values: dict[str, Any] = dict(
        slack_bot_token=sb.bot_token,
        slack_signing_secret=sb.signing_secret,
        slack_api_url=sb.api_url,
        database_url=database_url,
        redis_url=redis_url,
        swarmbot_escalation_managers="usergroup:support-managers",
        swarmbot_slack_pacing=pacing,
    )
    values.update(extra)
    return BenchSettings(_env_file=None, **values)


def environment(settings: Settings) -> dict[str, str]:
    """The same settings as environment variables, for `swarmbot serve` in a child process."""
    env = {
        "SLACK_BOT_TOKEN": settings.bot_token(),
        "SLACK_SIGNING_SECRET": settings.signing_secret(),
        "SLACK_API_URL": settings.slack_api_url,
        "DATABASE_URL": settings.database_url,
        "SWARMBOT_ESCALATION_MANAGERS": settings.swarmbot_escalation_managers,
        "SWARMBOT_SLACK_PACING": str(getattr(settings, "swarmbot_slack_pacing", "on")),
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


async def quiet(sb: Sandbox, *, for_seconds: float = 1.0, timeout: float = 900.0) -> None:
    """Wait until the bot has made no Web API call for `for_seconds`."""
    deadline = time.monotonic() + timeout
    seen = -1
    while seen != len(sb.ws.calls):
        if time.monotonic() > deadline:
            raise TimeoutError("the bot never went quiet")
        seen = len(sb.ws.calls)
        await asyncio.sleep(for_seconds)


async def cancel_leftovers() -> None:
    """Cancel what the app left running in this loop (App Home refreshes still paced) before the database
    it writes to is dropped."""
    leftovers = asyncio.all_tasks() - {asyncio.current_task()}
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


async def until(predicate: Callable[[], bool], *, timeout: float, what: str, every: float = 0.05) -> None:
    """Poll `predicate` until it holds, or raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(every)
