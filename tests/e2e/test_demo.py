"""`swarmbot demo` plays a whole escalation and tells it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli import main
from bot.demo import run_demo


async def test_demo_tells_the_escalation_and_prints_the_ticket_record():
    lines: list[str] = []
    assert await run_demo(lines.append) == 0
    story = "\n".join(lines)
    assert "@swarmbot created the channel #esc-zd-4521-customer-cannot-log-in-after-the-14-00-deploy" in story
    assert "@swarmbot pinned that message" in story
    assert "ZD-4521 already has a swarm" in story
    assert "Unknown severity `sev5`" in story
    assert "• ZD-4388 · SEV3 · open" in story  # the customer's history in the brief
    record = json.loads(story[story.index("{") :])
    assert record["ticket_id"] == "ZD-4521"
    assert record["swarms"][0]["channel_name"].startswith("esc-zd-4521")


def test_demo_command_exits_zero():
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "swarmbot tickets show ZD-4521 --json" in result.output
