"""Resolve, then archive: the whole conversation on the ticket record (redacted, in order, rendered), the
channel archived only after, and the ticket systems told; Slack faults and retries change none of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.sandbox import FaultConfig, MethodLimit, RateLimitConfig
from bot.services import Services
from storage.models import TranscriptMessage, TranscriptRendering
from tests.connectors.emulators import Scripted, WebhookReceiver, ZendeskEmulator, serving
from tests.e2e.conftest import Scheduler, Stack, opened, settings_for, text_of

WEBHOOK_SECRET = "whsec-e2e-0123456789"
ZENDESK_EMAIL, ZENDESK_TOKEN = "agent@acme.example", "zd-token-e2e"
CARD = "4111 1111 1111 1111"


@pytest.fixture
async def targets() -> AsyncIterator[tuple[ZendeskEmulator, str, WebhookReceiver, str]]:
    zendesk = ZendeskEmulator(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN)
    zendesk.add_ticket(4521)
    receiver = WebhookReceiver(secret=WEBHOOK_SECRET)
    async with serving(zendesk.app()) as zendesk_url, serving(receiver.app()) as receiver_url:
        yield zendesk, zendesk_url, receiver, receiver_url


@pytest.fixture
async def archiving(stack: Stack, targets) -> AsyncIterator[Scheduler]:
    """A worker whose settings name both ticket systems."""
    _, zendesk_url, _, receiver_url = targets
    settings = settings_for(
        stack.sandbox,
        stack.backend,
        swarmbot_zendesk_url=zendesk_url,
        swarmbot_zendesk_email=ZENDESK_EMAIL,
        swarmbot_zendesk_token=ZENDESK_TOKEN,
        swarmbot_webhook_url=receiver_url + "/hooks/swarmbot",
        swarmbot_webhook_secret=WEBHOOK_SECRET,
    )
    services = Services.create(settings, clock=stack.clock)
    yield Scheduler(stack, services)
    await services.aclose()


async def chat(stack: Stack, channel: str) -> list[str]:
    """People talk: 650 messages (four pages of history), threads, an edit, a file link and a card number."""
    people = [stack.person(name) for name in ("alice", "bob", "erin")]
    for human in people[1:]:
        await stack.sandbox.human(human).join(channel)
    seeded = [stack.sandbox.add_message(channel, people[n % 3], f"note {n}") for n in range(650)]
    alice, bob = (stack.sandbox.human(people[0]), stack.sandbox.human(people[1]))
    parent = await alice.post(channel, f"Customer read out their card: {CARD}")
    for n in range(5):
        await bob.reply(channel, parent, f"thread reply {n}")
    typo = await bob.post(channel, "Teh fix is deployed")
    await bob.edit(channel, typo, "The fix is deployed")
    await alice.post(channel, "Runbook: <https://wiki.example.com/runbook|runbook>")
    return seeded


async def test_resolve_stores_every_message_once_in_order_then_archives_the_channel(
    stack: Stack, archiving: Scheduler, targets
):
    zendesk, _, receiver, _ = targets
    channel = await opened(stack, "ZD-4521 sev2 Login loops")
    await chat(stack, channel)
    await stack.escalate("resolve Renewed the SAML certificate", channel=channel)
    await archiving.after(9)
    assert not stack.sandbox.channel(channel)["is_archived"]  # time for the review answers
    await archiving.after(2)
    assert stack.sandbox.channel(channel)["is_archived"]

    async with stack.sessions() as session:
        rows = (await session.scalars(select(TranscriptMessage).order_by(TranscriptMessage.id))).all()
        parts = await session.scalar(select(func.count()).select_from(TranscriptRendering))
    visible = [m for m in stack.sandbox.messages(channel) if m.get("subtype") not in ("channel_archive",)]
    expected = sum(1 + len(m.get("replies") or []) for m in visible)
    assert len(rows) == len({row.ts for row in rows}) == expected
    assert parts and parts >= 2  # markdown and html
    texts = " ".join(row.text for row in rows)
    assert CARD not in texts and "[card redacted]" in texts
    assert "The fix is deployed" in texts and "Teh fix" not in texts

    record = json.loads(
        (
            await asyncio.to_thread(
                CliRunner().invoke,
                main,
                ["tickets", "show", "ZD-4521", "--json"],
                env={"DATABASE_URL": stack.backend.database_url},
            )
        ).output
    )
    transcript = record["swarms"][0]["transcript"]
    assert transcript["message_count"] == expected and transcript["redactions"] == 1
    order = [(m["thread_ts"] or m["ts"], m["ts"]) for m in transcript["messages"]]
    assert order == sorted(order, key=lambda pair: (float(pair[0]), float(pair[1])))

    await archiving.after(1)  # the deliveries
    assert zendesk.tickets[4521].comments and zendesk.tickets[4521].comments[-1]["public"] is False
    assert "swarmbot-archived" in zendesk.tickets[4521].tags
    assert receiver.deliveries and receiver.deliveries[0]["json"]["event"] == "swarm.archived"
    assert receiver.rejected == []  # every delivery carried a signature the receiver verified


async def test_faults_and_rate_limits_during_archival_still_end_complete_without_duplicates(
    stack: Stack, archiving: Scheduler, targets
):
    channel = await opened(stack, "ZD-4522 sev2 Exports fail")
    await chat(stack, channel)
    await stack.escalate("resolve Fixed the export job", channel=channel)
    stack.sandbox.set_faults(
        FaultConfig(
            seed=3,
            error_rate=0.3,
            error_kinds=("http_503", "internal_error"),
            methods=frozenset({"conversations.history", "conversations.replies", "conversations.archive"}),
        )
    )
    stack.sandbox.set_rate_limits(
        RateLimitConfig(
            enabled=True, overrides={"conversations.history": MethodLimit(per_minute=600, burst=2)}
        )
    )
    await archiving.after(11)
    for _ in range(30):  # retries come back with backoff: move the clock on until it is done
        if stack.sandbox.channel(channel)["is_archived"]:
            break
        await archiving.after(15)
    stack.sandbox.set_faults(FaultConfig())
    assert stack.sandbox.channel(channel)["is_archived"]
    async with stack.sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(TranscriptMessage))
        distinct = await session.scalar(select(func.count(func.distinct(TranscriptMessage.ts))))
    assert stored == distinct and stored > 650


async def test_a_failing_ticket_system_is_retried_and_never_loses_the_local_record(
    stack: Stack, archiving: Scheduler, targets
):
    zendesk, _, receiver, _ = targets
    receiver.fail_next(Scripted(503), Scripted(503))
    channel = await opened(stack, "ZD-4521 sev2 Login loops")
    await stack.escalate("resolve Renewed the certificate", channel=channel)
    await archiving.after(11)
    assert stack.sandbox.channel(channel)["is_archived"]
    assert receiver.deliveries == []
    for _ in range(10):
        await archiving.after(5)
    assert len(receiver.deliveries) == 1
    assert zendesk.tickets[4521].comments


async def test_resolving_twice_archives_once(stack: Stack, archiving: Scheduler, targets):
    channel = await opened(stack, "ZD-4523 sev2 Slow")
    await stack.escalate("resolve done", channel=channel)
    again = await stack.escalate("resolve done again", channel=channel)
    assert "already resolved" in text_of(again)
    await archiving.after(11)
    archives = [c for c in stack.sandbox.calls("conversations.archive") if c["response"].get("ok")]
    assert len(archives) == 1
