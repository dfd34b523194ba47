"""The database's choice of experts is the full ranking's choice, on random directories, on both databases."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FrozenClock
from bot.expert_ranking import choose_experts
from bot.expert_shortlist import _BestAvailable, choose_available
from bot.experts import ExpertDirectory
from storage.db import create_engine, session_factory
from storage.models import Expert, ExpertSkill, Invitation, Swarm, Ticket

NOW = datetime(2026, 11, 23, 15, 7, tzinfo=UTC)
TAGS = ("postgres", "billing", "sso", "api", "k8s")
TIMEZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Asia/Kolkata")
HOURS = ("00:00-24:00", "09:00-18:00", "22:00-06:00", "14:00-16:00")


async def fill_random_directory(sessions, rng: random.Random, people: int) -> None:
    async with sessions() as session:
        swarms = []
        for n in range(4):
            ticket = Ticket(ticket_id=f"ZD-{n}", created_at=NOW)
            status = "resolved" if n == 3 else "open"
            swarm = Swarm(
                ticket=ticket,
                status=status,
                severity="sev2",
                requested_by="U1",
                commander="U1",
                opened_at=NOW,
            )
            session.add_all([ticket, swarm])
            swarms.append(swarm)
        await session.flush()
        for n in range(people):
            slack_id = f"U{rng.choice('ABC')}{n:03d}"
            last = NOW - timedelta(hours=rng.randrange(1, 100)) if rng.random() < 0.5 else None
            if rng.random() < 0.1:  # ties on last engaged: the slack id decides
                last = NOW - timedelta(hours=5)
            away = rng.choice([None, None, None, NOW + timedelta(days=1), NOW - timedelta(days=1)])
            expert = Expert(
                slack_id=slack_id,
                name=f"Person {n}",
                tier=rng.choice(("L1", "L2", "L3", "L4")),
                timezone=rng.choice(TIMEZONES),
                hours=rng.choice(HOURS),
                max_active_swarms=rng.choice((1, 2)),
                out_of_office_until=away,
                last_engaged_at=last,
                updated_at=NOW,
            )
            expert.skills = [
                ExpertSkill(tag=tag, proficiency=rng.choice((1, 2, 3)), source="file")
                for tag in rng.sample(TAGS, rng.randrange(1, 4))
            ]
            session.add(expert)
            for swarm in rng.sample(swarms, rng.choice((0, 0, 1, 2))):
                status = rng.choice(("chosen", "invited", "accepted", "declined"))
                session.add(
                    Invitation(
                        swarm_id=swarm.id, user_id=slack_id, skill="api", status=status, invited_at=NOW
                    )
                )
        await session.commit()


@pytest.fixture
async def sessions(database_url):
    engine = create_engine(database_url)
    yield session_factory(engine)
    await engine.dispose()


async def test_the_database_chooses_whom_the_full_ranking_chooses(sessions, monkeypatch):
    one_after_another = 0
    count_spare = _BestAvailable.spare

    async def counted(self, *args):
        nonlocal one_after_another
        one_after_another += 1
        return await count_spare(self, *args)

    monkeypatch.setattr(_BestAvailable, "spare", counted)
    rng = random.Random(7)
    await fill_random_directory(sessions, rng, people=60)
    directory = ExpertDirectory(sessions=sessions, clock=FrozenClock(NOW), skill_groups={})
    found_in_database = 0
    for _ in range(150):
        skills = rng.sample(TAGS, rng.randrange(1, 4))
        counts = {skill: rng.choice((0, 1, 1, 2, 3)) for skill in skills}
        severity = rng.choice(("sev1", "sev2", "sev3", "sev4"))
        now = NOW + timedelta(hours=rng.randrange(0, 24), minutes=rng.choice((0, 30)))
        exclude = frozenset(f"U{rng.choice('ABC')}{rng.randrange(60):03d}" for _ in range(rng.randrange(4)))
        full = choose_experts(
            skills,
            await directory.candidates(skills),
            severity=severity,
            now=now,
            counts=counts,
            exclude=exclude,
        )
        async with sessions() as session:
            quick = await choose_available(
                session, skills, severity=severity, now=now, counts=counts, exclude=exclude
            )
        if any(pick.short_by for pick in full.picks):
            assert quick is None, "a short skill must fall back to the full ranking"
            continue
        assert quick is not None
        found_in_database += 1
        assert [(p.skill, p.wanted) for p in quick.picks] == [(p.skill, p.wanted) for p in full.picks]
        for mine, theirs in zip(quick.picks, full.picks, strict=True):
            assert [e.slack_id for e in mine.chosen] == [e.slack_id for e in theirs.chosen]
            assert [e.reason for e in mine.chosen] == [e.reason for e in theirs.chosen]
            assert [e.candidate.expert for e in mine.chosen] == [e.candidate.expert for e in theirs.chosen]
    assert found_in_database > 50  # the comparison covered the database's choice, not only the fallback
    assert one_after_another > 5  # and the case where someone is the best for two skills


async def test_choose_falls_back_to_explain_a_short_skill(sessions):
    await fill_random_directory(sessions, random.Random(3), people=40)
    directory = ExpertDirectory(sessions=sessions, clock=FrozenClock(NOW), skill_groups={})
    selection = await directory.choose(["postgres"], severity="sev1", counts={"postgres": 50})
    (pick,) = selection.picks
    everyone = await directory.candidates(["postgres"])
    assert 0 < len(pick.chosen) < 50
    # The full ranking, the unavailable people with their reasons included.
    assert len(pick.ranking.experts) == len(everyone) > len(pick.chosen)
    assert pick.short_by == 50 - len(pick.chosen)
