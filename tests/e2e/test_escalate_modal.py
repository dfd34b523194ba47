"""The open-escalation form: `/escalate` alone opens it; a valid submission opens the swarm like the command
does; invalid fields come back inline and nothing is created; an expired trigger falls back to a button."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.sandbox import FaultConfig
from storage.models import Swarm, Ticket
from tests.e2e.conftest import Stack, text_of

VALID = {
    "ticket": "zd-700",
    "summary": "Checkout fails for EU customers",
    "severity": "sev2",
    "category": "outage",
    "customer": "Acme",
    "skills": ["postgres"],
    "other_skills": "#networking",
}


async def open_form(stack: Stack, user: str = "alice") -> dict[str, Any]:
    """`/escalate` alone, and the form it opened."""
    person = stack.person(user)
    await stack.driver.slash_command("/escalate", "", user_id=person, channel_id=stack.cast.support_channel)
    [form] = await stack.sandbox.wait_for(lambda: stack.sandbox.open_modals(person), timeout=10)
    return dict(form)


def block(form: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in form["blocks"] if b.get("block_id") == block_id)


def options(form: dict[str, Any], block_id: str) -> list[str]:
    return [option["value"] for option in block(form, block_id)["element"]["options"]]


def swarm_channels(stack: Stack) -> list[str]:
    return [c["name"] for c in stack.sandbox.channels() if c["name"].startswith("esc-")]


async def test_escalate_alone_opens_the_form_with_the_known_skills_and_categories(stack: Stack):
    form = await open_form(stack)
    assert form["callback_id"] == "escalate_open"
    assert {"postgres", "sre", "billing", "networking"} <= set(options(form, "skills"))
    assert {"outage", "billing", "security"} <= set(options(form, "category"))
    assert options(form, "severity") == ["sev1", "sev2", "sev3", "sev4"]
    assert block(form, "severity")["element"]["initial_option"]["value"] == "sev3"
    assert stack.sandbox.responses(user=stack.person("alice")) == []  # the form is the whole answer


async def test_a_valid_form_opens_the_swarm_as_the_command_does_and_answers_in_the_channel(stack: Stack):
    form = await open_form(stack)
    alice = stack.person("alice")
    answer = await stack.driver.view_submission(alice, form["id"], VALID)
    assert answer.status == 200 and not answer.json  # an empty ack closes the form
    assert stack.sandbox.open_modals(alice) == []
    said = await stack.sandbox.wait_for(
        lambda: stack.sandbox.ephemerals(channel=stack.cast.support_channel, user=alice), timeout=15
    )
    assert "Opened" in text_of(said[-1]) and "ZD-700 (SEV2)" in text_of(said[-1])
    channel = stack.channel_named("esc-zd-700-checkout-fails")
    async with stack.sessions() as session:
        swarm = await session.scalar(select(Swarm).join(Ticket).where(Ticket.ticket_id == "ZD-700"))
        ticket = await session.scalar(select(Ticket).where(Ticket.ticket_id == "ZD-700"))
    assert swarm is not None and ticket is not None
    assert (swarm.severity, swarm.category, swarm.playbook, swarm.channel_id) == (
        "sev2",
        "outage",
        "outage",
        channel["id"],
    )
    assert swarm.skills == ["postgres", "networking"]
    assert (ticket.customer, swarm.requested_by, swarm.request_channel_id) == (
        "Acme",
        alice,
        stack.cast.support_channel,
    )
    brief = text_of(stack.sandbox.pins(channel["id"])[0])
    assert "Checkout fails for EU customers" in brief and "#postgres #networking" in brief


async def test_the_form_for_a_ticket_with_a_swarm_links_the_open_one(stack: Stack):
    await stack.escalate("ZD-701 sev2 Reports slow")
    form = await open_form(stack, "bob")
    await stack.driver.view_submission(stack.person("bob"), form["id"], {**VALID, "ticket": "ZD-701"})
    said = await stack.sandbox.wait_for(
        lambda: stack.sandbox.ephemerals(channel=stack.cast.support_channel, user=stack.person("bob")),
        timeout=15,
    )
    assert "ZD-701 already has a swarm" in text_of(said[-1])
    assert swarm_channels(stack) == ["esc-zd-701-reports-slow"]


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"ticket": ""}, {"ticket": "Which ticket?"}),
        ({"ticket": "ZD 700"}, {"ticket": "Use one word like ZD-4521"}),
        ({"ticket": "help"}, {"ticket": "help is not a ticket id"}),
        ({"ticket": "ZD-" + "9" * 70}, {"ticket": "The ticket id is 73 characters long"}),
        ({"ticket": "ZD-４５"}, {"ticket": "use ASCII letters"}),
        ({"summary": "  "}, {"summary": "Say in a sentence what is wrong."}),
        ({"summary": "long " * 120}, {"summary": "Keep it under 500 characters"}),
        ({"customer": "x" * 101}, {"customer": "under 100 characters"}),
        ({"other_skills": "#Not/A/Tag"}, {"other_skills": "is not a skill tag"}),
        (
            {"ticket": "", "summary": "", "other_skills": "bad!"},
            {"ticket": "Which ticket?", "summary": "Say in a sentence", "other_skills": "is not a skill tag"},
        ),
    ],
    ids=[
        "no-ticket",
        "two-words",
        "command-word",
        "too-long",
        "not-ascii",
        "no-summary",
        "long-summary",
        "long-customer",
        "bad-skill",
        "several",
    ],
)
async def test_an_invalid_form_shows_its_errors_inline_and_creates_nothing(
    stack: Stack, changes: dict[str, Any], errors: dict[str, str]
):
    form = await open_form(stack)
    alice = stack.person("alice")
    answer = await stack.driver.view_submission(alice, form["id"], {**VALID, **changes})
    assert answer.json["response_action"] == "errors"
    assert set(answer.json["errors"]) == set(errors)
    for field, says in errors.items():
        assert says in answer.json["errors"][field]
    [still_open] = stack.sandbox.open_modals(alice)
    assert still_open["id"] == form["id"] and set(still_open["errors"]) == set(errors)
    assert swarm_channels(stack) == []
    async with stack.sessions() as session:
        assert (await session.scalars(select(Swarm))).all() == []


async def test_an_expired_trigger_offers_a_button_that_opens_the_form_again(stack: Stack):
    alice, support = stack.person("alice"), stack.cast.support_channel
    # Slack allows 3 seconds between the command and views.open; a slow network spends them.
    stack.sandbox.set_faults(FaultConfig(latency=3.2, methods=frozenset({"views.open"})))
    await stack.driver.slash_command("/escalate", "", user_id=alice, channel_id=support)
    [fallback] = await stack.sandbox.wait_for(
        lambda: stack.sandbox.ephemerals(channel=support, user=alice), timeout=15
    )
    assert "took too long to open" in text_of(fallback)
    assert stack.sandbox.open_modals(alice) == []
    stack.sandbox.set_faults(FaultConfig())
    button = fallback["blocks"][-1]["elements"][0]
    await stack.driver.block_action(
        alice,
        action_id=button["action_id"],
        value=button["value"],
        channel_id=support,
        message_ts=fallback["message_ts"],
    )
    [form] = await stack.sandbox.wait_for(lambda: stack.sandbox.open_modals(alice), timeout=10)
    assert form["callback_id"] == "escalate_open"
    await stack.sandbox.wait_for(lambda: not stack.sandbox.ephemerals(channel=support, user=alice))
    await stack.driver.view_submission(alice, form["id"], VALID)
    await stack.sandbox.wait_for(lambda: swarm_channels(stack), timeout=15)


async def test_the_home_tab_button_opens_the_form_and_the_answer_comes_by_dm(stack: Stack):
    carol = stack.person("carol")
    await stack.sandbox.human(carol).open_home()
    home = await stack.sandbox.wait_for(lambda: stack.sandbox.home_view(carol), timeout=10)
    await stack.driver.block_action(carol, action_id="escalate_open_form", value="{}", view_id=home["id"])
    [form] = await stack.sandbox.wait_for(lambda: stack.sandbox.open_modals(carol), timeout=10)
    await stack.driver.view_submission(carol, form["id"], {**VALID, "ticket": "ZD-702", "category": None})
    dm = await stack.sandbox.wait_for(
        lambda: [
            m
            for c in stack.sandbox.channels(include_dms=True)
            if c.get("is_im") and carol in stack.sandbox.members(c["id"])
            for m in stack.sandbox.messages(c["id"], system=False)
            if "ZD-702" in text_of(m)
        ],
        timeout=15,
    )
    assert "Opened" in text_of(dm[0])


async def test_the_private_toggle_opens_a_private_channel(stack: Stack):
    form = await open_form(stack)
    await stack.driver.view_submission(stack.person("alice"), form["id"], {**VALID, "private": ["private"]})
    await stack.sandbox.wait_for(lambda: swarm_channels(stack), timeout=15)
    assert stack.channel_named("esc-zd-700")["is_private"]
