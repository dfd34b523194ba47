"""Every template renders with sample data into blocks slack-sdk's models accept."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from bot.grammar import USAGE
from bot.rendering import render
from bot.swarm_views import PreviousTicket, SwarmView
from bot.swarms import OpenOutcome

HOSTILE = 'He said "<!channel> & <@U999>" }]}\\ {{ 7*7 }} ' + "x" * 50


def swarm(**overrides):
    values = dict(
        id=1,
        ticket_id="ZD-4521",
        status="open",
        severity="sev1",
        category="outage",
        summary="Customer cannot log in",
        skills=("postgres", "billing"),
        customer="Acme",
        commander="U1",
        requested_by="U1",
        channel_id="C1",
        channel_name="esc-zd-4521",
        is_private=False,
        previous_tickets=(PreviousTicket("ZD-1", "sev2", "resolved", datetime(2026, 1, 2, tzinfo=UTC)),),
    )
    values.update(overrides)
    return SwarmView(**values)


SAMPLES = {
    "messages/swarm_brief": [
        {"swarm": swarm()},
        {"swarm": swarm(customer=None, skills=(), summary="", previous_tickets=())},
        {"swarm": swarm(summary=HOSTILE, customer=HOSTILE, previous_tickets=())},
    ],
    "messages/swarm_opened": [
        {"outcome": OpenOutcome(kind, swarm())} for kind in ("opened", "resumed", "linked", "in_progress")
    ],
    "messages/error": [{"message": "Bad <input>", "hint": USAGE}, {"message": "No hint", "hint": None}],
    "messages/help": [{"usage": USAGE}],
}


def test_every_template_has_samples():
    root = Path(__file__).parents[2] / "bot" / "templates"
    names = {str(path.relative_to(root)).removesuffix(".json.j2") for path in root.rglob("*.json.j2")}
    assert names == set(SAMPLES)


@pytest.mark.parametrize(
    ("name", "view"), [(name, view) for name, views in SAMPLES.items() for view in views]
)
def test_template_renders_blocks_that_slack_sdk_parses(name, view):
    message = render(name, **view)
    assert message["text"]
    assert 0 < len(message["blocks"]) <= 50
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def test_user_text_in_the_brief_is_escaped_and_never_pings():
    message = render("messages/swarm_brief", swarm=swarm(summary=HOSTILE, customer=HOSTILE))
    flat = str(message)
    assert "<!channel>" not in flat
    assert "<@U999>" not in flat
    assert "&lt;!channel&gt;" in flat
    assert "{{ 7*7 }}" in flat  # user text is data, never a template
