from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import create_engine, current_revision, head_revision, session_factory
from storage.models import Swarm, Ticket

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
