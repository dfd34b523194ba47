"""The expert directory in storage: import as an upsert, live load, and user-group sync against Slack."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.expert_file import InvalidExpertFile
from bot.experts import ExpertDirectory
from bot.sandbox import Sandbox, SandboxConfig
from bot.slack.client import build_client
from bot.slack.gateway import SlackGateway
from storage.db import create_engine, session_factory
from storage.models import Expert, ExpertSkill, Invitation, Swarm, Ticket

NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
FILE = """\
experts:
  - slack_id: U0ANA
    name: Ana Lima
    skills: [postgres, {tag: billing, proficiency: 3}]
    tier: L3
    timezone: Europe/Berlin
    hours: "09:00-18:00"
    max_active_swarms: 2
  - slack_id: U0BO
    name: Bo Chen
    skills: [postgres]
    tier: L1
    timezone: America/New_York
    hours: "00:00-24:00"
    max_active_swarms: 1
"""


@pytest.fixture
async def directory(database_url):
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    yield (
        ExpertDirectory(sessions=sessions, clock=FrozenClock(NOW), skill_groups={"dba": "postgres"}),
        sessions,
    )
    await engine.dispose()


async def test_import_adds_then_reports_changes_and_unchanged(directory):
    experts, sessions = directory
    first = await experts.import_file(FILE)
    assert [r.slack_id for r in first.added] == ["U0ANA", "U0BO"]
    second = await experts.import_file(FILE.replace("tier: L1", "tier: L2"))
    assert [c.describe() for c in second.changed] == ["tier L1 → L2"]
    assert [r.slack_id for r in second.unchanged] == ["U0ANA"]
    async with sessions() as session:
        assert (await session.scalar(select(Expert.tier).where(Expert.slack_id == "U0BO"))) == "L2"


async def test_a_bad_file_imports_nothing(directory):
    experts, sessions = directory
    with pytest.raises(InvalidExpertFile):
        await experts.import_file(FILE.replace("tier: L1", "tier: L9"))
    async with sessions() as session:
        assert (await session.scalars(select(Expert))).all() == []


async def test_candidates_carry_their_live_load(directory):
    experts, sessions = directory
    await experts.import_file(FILE)
    async with sessions() as session:
        ticket = Ticket(ticket_id="ZD-1", created_at=NOW)
        swarm = Swarm(
            ticket=ticket, status="open", severity="sev2", requested_by="U1", commander="U1", opened_at=NOW
        )
        session.add_all([ticket, swarm])
        await session.flush()
        session.add(
            Invitation(swarm_id=swarm.id, user_id="U0BO", skill="postgres", status="accepted", invited_at=NOW)
        )
        await session.commit()
    ranking = await experts.ranking("postgres", severity="sev4")
    assert [(e.slack_id, e.reason) for e in ranking.experts] == [
        ("U0ANA", "matched #postgres · on shift · 0 active swarms"),
        ("U0BO", "busy: 1 of 1 active swarms"),
    ]
    assert await experts.known_tags() == {"postgres", "billing"}


async def test_usergroup_sync_grants_and_removes_the_groups_skill(directory):
    experts, sessions = directory
    await experts.import_file(FILE)
    with Sandbox(SandboxConfig()) as sb:
        zoe = sb.add_user("zoe", real_name="Zoe Park", tz="Asia/Tokyo")
        group = sb.add_usergroup("dba", name="DBAs", users=[zoe])
        gateway = SlackGateway(build_client(token=sb.bot_token, base_url=sb.api_url))
        report = await experts.sync_usergroups(gateway)
        assert report.people_added == (zoe,)
        assert report.skills_granted == ((zoe, "postgres"),)
        async with sessions() as session:
            added = await session.scalar(select(Expert).where(Expert.slack_id == zoe))
            assert (added.name, added.timezone, added.tier) == ("Zoe Park", "Asia/Tokyo", "L2")
        sb.ws.usergroups[group].users.clear()
        again = await experts.sync_usergroups(gateway)
        assert again.skills_removed == ((zoe, "postgres"),)
    async with sessions() as session:
        sources = (
            await session.scalars(select(ExpertSkill.source).where(ExpertSkill.tag == "postgres"))
        ).all()
        assert sorted(sources) == ["file", "file"]
