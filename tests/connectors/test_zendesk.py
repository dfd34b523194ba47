"""The Zendesk connector against a local emulator of Zendesk's Update Ticket API."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest

from bot.connectors import ConnectorError, ZendeskConnector, zendesk_ticket_number
from bot.connectors.zendesk import COMMENT_LIMIT, comment_body
from tests.connectors.conftest import ZENDESK_EMAIL, ZENDESK_TOKEN
from tests.connectors.emulators import Scripted


def connector(url: str, *, token: str = ZENDESK_TOKEN, timeout: float = 5.0) -> ZendeskConnector:
    return ZendeskConnector(url, ZENDESK_EMAIL, token, "swarmbot-archived", timeout)


async def test_the_transcript_lands_as_an_internal_comment_and_the_tag_is_added(zendesk, archive):
    emulator, url = zendesk
    await connector(url).deliver(archive)

    [request] = emulator.requests
    assert request["method"] == "PUT" and request["path"] == "/api/v2/tickets/4521.json"
    credentials = base64.b64decode(request["headers"]["Authorization"].removeprefix("Basic ")).decode()
    assert credentials == f"{ZENDESK_EMAIL}/token:{ZENDESK_TOKEN}"
    body = json.loads(request["body"])
    assert body["ticket"]["comment"]["public"] is False
    assert body["ticket"]["additional_tags"] == ["swarmbot-archived"]
    assert set(body["ticket"]) == {"comment", "additional_tags"}  # `tags` would replace the ticket's tags
    ticket = emulator.tickets[4521]
    assert ticket.tags == ["vip", "swarmbot-archived"]
    [comment] = ticket.comments
    assert comment["public"] is False
    assert comment["body"].startswith("swarmbot archived the swarm #esc-zd-4521-login (sev2).")
    assert "Resolution: Renewed the expired SAML certificate" in comment["body"]
    assert archive.markdown in comment["body"]


@pytest.mark.parametrize(
    ("ticket_id", "number"),
    [("ZD-4521", 4521), ("zd4521", 4521), ("#4521", 4521), ("4521", 4521), ("ZD 0042", 42), ("zd_9", 9)],
)
def test_the_zendesk_number_is_the_only_run_of_digits_in_the_ticket_id(ticket_id, number):
    assert zendesk_ticket_number(ticket_id) == number


@pytest.mark.parametrize("ticket_id", ["INC-2024-0001", "ACME", "ZD-", "4521-2", "ZD-0", "SF-12A"])
def test_ticket_ids_without_one_clear_number_are_refused_not_guessed(ticket_id):
    with pytest.raises(ConnectorError) as raised:
        zendesk_ticket_number(ticket_id)
    assert not raised.value.retryable and ticket_id in raised.value.message


async def test_a_rate_limit_is_retryable_after_the_time_zendesk_asks(zendesk, archive):
    emulator, url = zendesk
    emulator.fail_next(Scripted(429, {"Retry-After": "7"}, {"error": "TooManyRequests"}))
    with pytest.raises(ConnectorError) as raised:
        await connector(url).deliver(archive)
    assert raised.value.retryable and raised.value.retry_after == 7.0
    assert "429" in str(raised.value)
    assert emulator.tickets[4521].comments == []


@pytest.mark.parametrize("status", [500, 502, 503, 409])
async def test_server_errors_and_update_conflicts_are_retryable(zendesk, archive, status):
    emulator, url = zendesk
    emulator.fail_next(Scripted(status, {"Retry-After": "30"} if status == 503 else {}))
    with pytest.raises(ConnectorError) as raised:
        await connector(url).deliver(archive)
    assert raised.value.retryable and str(status) in str(raised.value)
    assert raised.value.retry_after == (30.0 if status == 503 else None)


async def test_retrying_with_backoff_delivers_exactly_one_comment(zendesk, archive):
    emulator, url = zendesk
    emulator.fail_next(Scripted(429, {"Retry-After": "1"}), Scripted(503), Scripted(500))
    zd = connector(url)
    attempts = 0
    while True:  # what the scheduler does: one job per delivery, retried while retryable
        attempts += 1
        try:
            await zd.deliver(archive)
            break
        except ConnectorError as error:
            assert error.retryable
    assert attempts == 4 and len(emulator.tickets[4521].comments) == 1


async def test_an_unreachable_zendesk_is_retryable(archive):
    with pytest.raises(ConnectorError) as raised:
        await connector("http://127.0.0.1:9").deliver(archive)  # discard port: nothing listens
    assert raised.value.retryable and "could not reach http://127.0.0.1:9" in str(raised.value)


async def test_a_zendesk_that_does_not_answer_in_time_is_retryable(zendesk, archive):
    emulator, url = zendesk
    emulator.fail_next(Scripted(200, delay=1.0))
    with pytest.raises(ConnectorError) as raised:
        await connector(url, timeout=0.3).deliver(archive)
    assert raised.value.retryable and "TimeoutError" in str(raised.value)


async def test_wrong_credentials_are_not_retryable_and_name_the_settings(zendesk, archive):
    _, url = zendesk
    with pytest.raises(ConnectorError) as raised:
        await connector(url, token="wrong").deliver(archive)
    error = raised.value
    assert not error.retryable
    assert "401" in error.message and "SWARMBOT_ZENDESK_TOKEN" in error.message
    assert "wrong" not in str(error)  # never the token itself


async def test_a_missing_ticket_is_not_retryable(zendesk, archive):
    _, url = zendesk
    with pytest.raises(ConnectorError) as raised:
        await connector(url).deliver(dataclasses.replace(archive, ticket_id="ZD-999"))
    assert not raised.value.retryable
    assert raised.value.message.startswith("Zendesk has no ticket 999 at http://127.0.0.1:")


async def test_forbidden_is_not_retryable(zendesk, archive):
    emulator, url = zendesk
    emulator.fail_next(Scripted(403, body={"error": "Forbidden", "description": "You do not have access"}))
    with pytest.raises(ConnectorError) as raised:
        await connector(url).deliver(archive)
    assert not raised.value.retryable and "403" in raised.value.message
    assert "You do not have access" in raised.value.message


async def test_an_update_zendesk_rejects_is_not_retryable_and_says_why(zendesk, archive):
    _, url = zendesk
    with pytest.raises(ConnectorError) as raised:
        await connector(url).deliver(dataclasses.replace(archive, ticket_id="ZD-77"))
    assert not raised.value.retryable
    assert "422" in raised.value.message and "Status: closed prevents ticket update" in raised.value.message


async def test_a_transcript_too_long_for_a_comment_is_cut_with_a_note(zendesk, archive):
    emulator, url = zendesk
    lines = [f"**Person {n}** · 2026-11-23 15:00:00 UTC\n\nmessage {n} ünïcödé ✓\n" for n in range(4000)]
    long = dataclasses.replace(archive, markdown="\n".join(lines))
    assert len(long.markdown.encode()) > COMMENT_LIMIT

    await connector(url).deliver(long)

    [comment] = emulator.tickets[4521].comments
    body = comment["body"]
    assert len(body.encode()) <= COMMENT_LIMIT
    assert "[Transcript cut to fit a Zendesk comment:" in body
    assert "swarmbot tickets show ZD-4521 --json]" in body
    kept = body[: body.index("\n\n[Transcript cut")]
    assert kept.endswith("✓") and long.markdown.startswith(kept.split("\n\n", 1)[1])


def test_a_short_transcript_is_sent_whole(archive):
    assert comment_body(archive).endswith(archive.markdown)
