"""Connector fixtures: local emulators of Zendesk and of a webhook receiver, and an archive to deliver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.connectors import ArchivedTicket
from tests.connectors.emulators import WebhookReceiver, ZendeskEmulator, serving

ZENDESK_EMAIL = "agent@acme.example"
ZENDESK_TOKEN = "zd-api-token-123"
WEBHOOK_SECRET = "whsec-0123456789abcdef"


@pytest.fixture
async def zendesk() -> AsyncIterator[tuple[ZendeskEmulator, str]]:
    """A Zendesk emulator with open ticket 4521 (tagged `vip`) and closed ticket 77; and its base URL."""
    emulator = ZendeskEmulator(email=ZENDESK_EMAIL, token=ZENDESK_TOKEN)
    emulator.add_ticket(4521, tags=["vip"])
    emulator.add_ticket(77, status="closed")
    async with serving(emulator.app()) as url:
        yield emulator, url


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[WebhookReceiver, str]]:
    """A webhook receiver that verifies signatures; and its base URL."""
    emulator = WebhookReceiver(secret=WEBHOOK_SECRET)
    async with serving(emulator.app()) as url:
        yield emulator, url


@pytest.fixture
def archive() -> ArchivedTicket:
    """A resolved swarm's archive, as the lead's archive job hands it over."""
    return ArchivedTicket(
        ticket_id="ZD-4521",
        channel_name="esc-zd-4521-login",
        severity="sev2",
        resolution="Renewed the expired SAML certificate",
        record={
            "ticket_id": "ZD-4521",
            "status": "resolved",
            "swarms": [{"channel_name": "esc-zd-4521-login", "transcript": {"message_count": 2}}],
        },
        markdown=(
            "# Transcript of #esc-zd-4521-login\n\n"
            "**Alice** · 2026-11-23 15:00:00 UTC\n\nCustomer cannot log in ✓\n"
        ),
    )
