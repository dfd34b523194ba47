"""Storage against both databases: the migrations, the models they must match, and the rules in the schema."""

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from storage.db import create_engine, current_revision, head_revision, session_factory
from storage.models import Base, Swarm, Ticket

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def new_swarm(ticket: Ticket, status: str = "opening") -> Swarm:
    return Swarm(
        ticket=ticket, status=status, severity="sev2", requested_by="U1", commander="U1", opened_at=NOW
    )


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_migrations_reach_head(database_url):
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrated_schema_is_exactly_what_the_models_declare(database_url):
    # A model changed without its revision (or a revision that drifted from the models) shows up here as
    # Alembic's autogenerate would write it: added or removed tables, columns, indexes, changed types.
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


async def test_times_come_back_timezone_aware_utc(sessions):
    async with sessions() as session:
        session.add(Ticket(ticket_id="ZD-1", created_at=NOW))
        await session.commit()
    async with sessions() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket.created_at == NOW
        assert ticket.created_at.tzinfo is not None


async def test_storage_refuses_a_second_unresolved_swarm_for_a_ticket(sessions):
    async with sessions() as session:
        ticket = Ticket(ticket_id="ZD-1", created_at=NOW)
        session.add_all([ticket, new_swarm(ticket)])
        await session.commit()
        session.add(new_swarm(ticket))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_a_resolved_swarm_does_not_block_a_new_one(sessions):
    async with sessions() as session:
        ticket = Ticket(ticket_id="ZD-1", created_at=NOW)
        session.add_all([ticket, new_swarm(ticket, status="resolved"), new_swarm(ticket)])
        await session.commit()
        assert len((await session.scalars(select(Swarm))).all()) == 2
