"""`/escalate TICKET …` opens one swarm channel per ticket."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.sandbox import FaultConfig
from storage.models import Swarm, TimelineEntry
from tests.e2e.conftest import Stack, text_of


def bot_calls(stack: Stack, method: str) -> list[dict]:
    return [c for c in stack.sandbox.calls(method) if c["token_kind"] == "bot"]


def bot_writes(stack: Stack) -> list[str]:
    reads = {"auth.test", "users.info", "usergroups.list", "usergroups.users.list", "conversations.members"}
    return [
        c["method"] for c in stack.sandbox.calls() if c["token_kind"] == "bot" and c["method"] not in reads
    ]


async def test_escalate_opens_a_channel_with_topic_purpose_and_a_pinned_brief(stack: Stack):
    answer = await stack.escalate("ZD-4521 sev1 #postgres #billing customer:Acme Customer cannot log in")

    channel = stack.sandbox.channel_by_name("esc-zd-4521-customer-cannot-log-in")
    assert channel is not None
    writes = bot_writes(stack)
    assert writes[0] == "conversations.create" and writes.count("conversations.create") == 1
    assert writes.count("conversations.invite") == 1  # everyone in one call
    assert writes.count("conversations.setTopic") == writes.count("conversations.setPurpose") == 1
    alice, bob, carol = stack.person("alice"), stack.person("bob"), stack.person("carol")
    [invite] = bot_calls(stack, "conversations.invite")
    assert set(invite["args"]["users"].split(",")) == {alice, bob, carol}
    assert set(stack.sandbox.members(channel["id"])) == {stack.sandbox.bot_user_id, alice, bob, carol}
    assert channel["topic"]["value"] == f"SEV1 · ZD-4521 · Commander: <@{alice}>"
    assert channel["purpose"]["value"] == "Swarm for ticket ZD-4521 (SEV1): Customer cannot log in"
    assert not channel["is_private"]

    messages = stack.sandbox.messages(channel["id"], system=False)
    brief = messages[0]
    brief_text = text_of(brief)
    for expected in (
        "ZD-4521 · SEV1 escalation",
        "Customer cannot log in",
        "#postgres #billing",
        "Acme",
        "Playbook: Standard escalation",
        "Customer liaison: open",
    ):
        assert expected in brief_text, expected
    pins = [pin["ts"] for pin in stack.sandbox.pins(channel["id"])]
    assert pins[0] == brief["ts"] and len(pins) == 2  # the brief and the checklist
    assert "Checklist" in text_of(stack.sandbox.message(channel["id"], pins[1]))

    assert answer["response_type"] == "ephemeral"
    assert f"Opened <#{channel['id']}> for ZD-4521 (SEV1) with the *default* playbook" in answer["text"]

    async with stack.sessions() as session:
        swarm = await session.scalar(select(Swarm))
        assert swarm is not None
        assert (swarm.status, swarm.channel_id, swarm.commander) == ("open", channel["id"], alice)
        assert swarm.skills == ["postgres", "billing"]
        assert swarm.playbook == "default"
        kinds = (await session.scalars(select(TimelineEntry.kind).order_by(TimelineEntry.id))).all()
        assert kinds[:2] == ["swarm_requested", "channel_created"] and "swarm_ready" in kinds


async def test_second_escalate_for_same_ticket_links_existing_channel(stack: Stack):
    await stack.escalate("ZD-1 sev2 Checkout fails")
    answer = await stack.escalate("zd-1 sev1 something else", user="bob")

    channels = [c for c in stack.sandbox.channels() if c["name"].startswith("esc-")]
    assert [c["name"] for c in channels] == ["esc-zd-1-checkout-fails"]
    assert f"ZD-1 already has a swarm: <#{channels[0]['id']}>" in answer["text"]
    assert bot_writes(stack).count("conversations.create") == 1


async def test_slack_retry_of_the_command_does_not_open_a_second_channel(stack: Stack):
    alice = stack.person("alice")
    first = stack.driver.slash_command(
        "/escalate", "ZD-2 Refund stuck", user_id=alice, channel_id=stack.cast.support_channel
    )
    retry = stack.driver.slash_command(
        "/escalate",
        "ZD-2 Refund stuck",
        user_id=alice,
        channel_id=stack.cast.support_channel,
        extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert all(r.status == 200 for r in await asyncio.gather(first, retry))
    await stack.sandbox.wait_for(lambda: len(stack.sandbox.responses(user=alice)) == 2, timeout=15)
    assert bot_writes(stack).count("conversations.create") == 1


async def test_a_taken_channel_name_gets_a_suffix(stack: Stack):
    stack.sandbox.add_channel("esc-zd-3-printer-on-fire", created_by=stack.person("bob"))
    await stack.escalate("ZD-3 Printer on fire")
    assert stack.sandbox.channel_by_name("esc-zd-3-printer-on-fire-2") is not None


async def test_brief_lists_the_customers_previous_tickets(stack: Stack):
    await stack.escalate("ZD-10 sev3 customer:Acme SSO misconfigured")
    await stack.escalate('ZD-11 sev2 customer:"ACME" Invoices missing')
    channel = stack.sandbox.channel_by_name("esc-zd-11-invoices-missing")
    brief = stack.sandbox.messages(channel["id"], system=False)[0]
    assert "Previous tickets from ACME" in text_of(brief)
    assert "ZD-10 · SEV3 · open" in text_of(brief)


async def test_summary_that_tries_to_ping_everyone_pings_nobody(stack: Stack):
    await stack.escalate("ZD-12 <!channel> & @here look at <@U999>")
    channel = next(c for c in stack.sandbox.channels() if c["name"].startswith("esc-zd-12"))
    posted = str(stack.sandbox.messages(channel["id"], system=False)) + channel["purpose"]["value"]
    assert "<!channel>" not in posted and "<!here>" not in posted and "<@U999>" not in posted


async def test_the_bot_creates_the_channel_and_a_sensitive_category_makes_it_private(stack: Stack):
    await stack.escalate("ZD-13 sev4 minor")
    public = stack.sandbox.channel_by_name("esc-zd-13-minor")
    assert public["creator"] == stack.sandbox.bot_user_id and not public["is_private"]
    answer = await stack.escalate("ZD-14 sev2 security Suspicious logins on an admin account")
    private = stack.channel_named("esc-zd-14")
    assert private["is_private"]
    assert "*security* playbook" in answer["text"]
    assert stack.person("dave") not in stack.sandbox.members(private["id"])


async def test_slack_failure_midway_is_reported_and_a_retry_completes_without_starting_over(stack: Stack):
    stack.sandbox.set_faults(
        FaultConfig(error_rate=1.0, error_kinds=("internal_error",), methods=frozenset({"pins.add"}))
    )
    answer = await stack.escalate("ZD-20 sev2 Exports time out")
    assert "Slack failed while posting the brief and tasks" in text_of(answer)
    assert "Run the same `/escalate` command again" in text_of(answer)
    channel = stack.sandbox.channel_by_name("esc-zd-20-exports-time-out")
    assert channel is not None and stack.sandbox.pins(channel["id"]) == []

    stack.sandbox.set_faults(FaultConfig())
    answer = await stack.escalate("ZD-20 sev2 Exports time out")
    assert f"Finished opening the swarm for ZD-20: <#{channel['id']}>" in answer["text"]
    assert bot_writes(stack).count("conversations.create") == 1
    briefs = [m for m in stack.sandbox.messages(channel["id"], system=False) if "ZD-20 · SEV2" in text_of(m)]
    assert len(briefs) == 1  # the brief was not posted twice
    assert len(stack.sandbox.pins(channel["id"])) == 2
    async with stack.sessions() as session:
        swarm = await session.scalar(select(Swarm))
        assert swarm.status == "open" and swarm.brief_pinned
        failures = (
            await session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "slack_step_failed"))
        ).all()
        assert [(f.detail["step"], f.detail["error"]) for f in failures] == [
            ("post_messages", "internal_error")
        ]


async def test_channel_creation_failure_keeps_the_request_and_a_retry_opens_it(stack: Stack):
    stack.sandbox.set_faults(
        FaultConfig(
            error_rate=1.0, error_kinds=("internal_error",), methods=frozenset({"conversations.create"})
        )
    )
    answer = await stack.escalate("ZD-21 Webhooks lost")
    assert "Slack failed while creating the channel" in text_of(answer)
    stack.sandbox.set_faults(FaultConfig())
    answer = await stack.escalate("ZD-21 Webhooks lost")
    assert "Finished opening the swarm for ZD-21" in answer["text"]
    assert stack.sandbox.channel_by_name("esc-zd-21-webhooks-lost") is not None


async def test_help_answers_with_the_grammar(stack: Stack):
    answer = await stack.escalate("help")
    assert "/escalate TICKET [sev1..sev4]" in text_of(answer)
    assert not [c for c in stack.sandbox.channels() if c["name"].startswith("esc-")]
