"""The operator commands: db upgrade, tickets show, and friendly configuration errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}", "SLACK_BOT_TOKEN": "", "REDIS_URL": ""}


def test_db_upgrade_migrates_an_empty_database_and_is_repeatable(env):
    runner = CliRunner()
    first = runner.invoke(main, ["db", "upgrade"], env=env)
    assert first.exit_code == 0, first.output
    assert "database migrated: empty →" in first.output
    again = runner.invoke(main, ["db", "upgrade"], env=env)
    assert again.exit_code == 0
    assert "0001 → 0001" in again.output or "→" in again.output


def test_tickets_show_for_an_unknown_ticket_says_so_and_exits_1(env):
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"], env=env)
    result = runner.invoke(main, ["tickets", "show", "ZD-404", "--json"], env=env)
    assert result.exit_code == 1
    assert "no record of ticket ZD-404" in result.output


def test_serve_without_a_token_explains_instead_of_crashing(env):
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN is not set" in result.output
    assert "Traceback" not in result.output


def test_serve_on_an_unmigrated_database_says_to_run_db_upgrade(env):
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 2
    assert "run `swarmbot db upgrade` first" in result.output


def test_tickets_show_json_has_the_contract_shape(env, tmp_path):
    import asyncio
    from datetime import UTC, datetime

    from storage.db import create_engine, session_factory
    from storage.models import Swarm, Ticket

    CliRunner().invoke(main, ["db", "upgrade"], env=env)

    async def seed() -> None:
        engine = create_engine("sqlite+aiosqlite:///" + str(tmp_path / "ops.db"))
        async with session_factory(engine)() as session:
            now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
            ticket = Ticket(ticket_id="ZD-1", created_at=now, customer="Acme", customer_key="acme")
            session.add(
                Swarm(
                    ticket=ticket,
                    status="open",
                    severity="sev1",
                    requested_by="U1",
                    commander="U1",
                    opened_at=now,
                    channel_id="C9",
                    channel_name="esc-zd-1",
                )
            )
            await session.commit()
        await engine.dispose()

    asyncio.run(seed())
    result = CliRunner().invoke(main, ["tickets", "show", "zd-1", "--json"], env=env)
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["ticket_id"] == "ZD-1" and record["status"] == "open"
    [swarm] = record["swarms"]
    for key in (
        "channel_id",
        "channel_name",
        "severity",
        "opened_at",
        "resolved_at",
        "commander",
        "experts",
        "tasks",
        "status_updates",
        "transcript",
    ):
        assert key in swarm
    assert swarm["opened_at"] == "2026-11-22T09:30:00+00:00"
    human = CliRunner().invoke(main, ["tickets", "show", "ZD-1"], env=env)
    assert "ZD-1 (open) · Acme" in human.output


EXPERTS = """\
experts:
  - slack_id: U0ANA
    name: Ana Lima
    skills: [postgres]
    tier: L3
    timezone: Europe/Berlin
    hours: "09:00-18:00"
    max_active_swarms: 2
"""


def test_experts_import_prints_what_it_did_and_refuses_a_bad_file(env, tmp_path):
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"], env=env)
    good = tmp_path / "experts.yaml"
    good.write_text(EXPERTS)
    first = runner.invoke(main, ["experts", "import", str(good)], env=env)
    assert first.exit_code == 0, first.output
    assert "added      U0ANA  Ana Lima" in first.output
    assert "unchanged  U0ANA" in runner.invoke(main, ["experts", "import", str(good)], env=env).output
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXPERTS.replace("L3", "L7").replace("Europe/Berlin", "Europe/Berln"))
    result = runner.invoke(main, ["experts", "import", str(bad)], env=env)
    assert result.exit_code == 1
    assert f"{bad}:5: unknown tier 'L7'" in result.output
    assert "did you mean 'Europe/Berlin'" in result.output
    assert "2 problem(s): nothing imported." in result.output


def test_experts_sync_without_groups_configured_says_what_to_set(env):
    result = CliRunner().invoke(main, ["experts", "sync"], env={**env, "SLACK_BOT_TOKEN": "xoxb-1"})
    assert result.exit_code == 2
    assert "SWARMBOT_SKILL_GROUPS is empty" in result.output
