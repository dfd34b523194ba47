"""Shared fixtures: real databases (SQLite and Postgres) and real coordinators (memory and Redis).

Postgres and Redis are expected where DESIGN.md says (127.0.0.1:5432 database `test`, 127.0.0.1:6379).
Override with SWARMBOT_TEST_POSTGRES / SWARMBOT_TEST_REDIS, or deselect: `-m "not postgres and not redis"`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import redis

from bot.coordination import Coordinator, MemoryCoordinator, RedisCoordinator
from storage.db import create_engine, empty_database, upgrade

POSTGRES_ADMIN_URL = os.environ.get("SWARMBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("SWARMBOT_TEST_REDIS", "redis://127.0.0.1:6379/15")


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A Postgres database of this test session's own, migrated once, dropped at the end."""
    name = f"swarmbot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(
            f"Postgres is not reachable at {POSTGRES_ADMIN_URL} ({error}); start it, "
            'set SWARMBOT_TEST_POSTGRES, or deselect with -m "not postgres"',
            pytrace=False,
        )
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    url = f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}"
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sqlite_copy(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "swarmbot.db"
    shutil.copyfile(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database: SQLite, then Postgres."""
    if request.param == "sqlite":
        return _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(empty_database(url))
    return url


def _flushed_redis_url() -> str:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.flushdb()
    except redis.ConnectionError as error:
        pytest.fail(
            f"Redis is not reachable at {REDIS_TEST_URL} ({error}); start it, set SWARMBOT_TEST_REDIS,"
            ' or deselect with -m "not redis"',
            pytrace=False,
        )
    finally:
        client.close()
    return REDIS_TEST_URL


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def coordinator(request: pytest.FixtureRequest) -> AsyncIterator[Coordinator]:
    """A coordinator: in memory, then Redis."""
    chosen: Coordinator = (
        MemoryCoordinator() if request.param == "memory" else RedisCoordinator.from_url(_flushed_redis_url())
    )
    yield chosen
    await chosen.close()


@dataclass(frozen=True)
class Backend:
    """The two deployment shapes: SQLite with in-memory coordination, Postgres with Redis."""

    name: str
    database_url: str
    redis_url: str | None


@pytest.fixture(
    params=[
        "sqlite+memory",
        pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Storage and coordination as one process (SQLite, memory) or many (Postgres, Redis) would run."""
    if request.param == "sqlite+memory":
        return Backend(
            request.param, _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path), None
        )
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(empty_database(url))
    return Backend(request.param, url, _flushed_redis_url())
