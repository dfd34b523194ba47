"""The webhook connector against a local receiver that verifies signatures as the README documents."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.connectors import ConnectorError, WebhookConnector, signature, verify_signature
from tests.connectors.conftest import WEBHOOK_SECRET
from tests.connectors.emulators import Scripted


def connector(url: str, *, secret: str = WEBHOOK_SECRET, timeout: float = 5.0) -> WebhookConnector:
    return WebhookConnector(url, secret, timeout=timeout)


async def test_the_archive_arrives_as_signed_json_the_receiver_can_verify(receiver, archive):
    emulator, url = receiver
    await connector(f"{url}/hooks/swarmbot").deliver(archive)

    [delivery] = emulator.deliveries
    assert delivery["json"] == {
        "event": "swarm.archived",
        "ticket": archive.record,
        "swarm": {
            "channel_name": "esc-zd-4521-login",
            "severity": "sev2",
            "resolution": "Renewed the expired SAML certificate",
        },
        "transcript_markdown": archive.markdown,
    }
    headers = delivery["headers"]
    assert headers["X-Swarmbot-Signature"].startswith("v1=")
    assert abs(int(headers["X-Swarmbot-Timestamp"]) - time.time()) < 5
    assert headers["X-Swarmbot-Delivery"] == "ZD-4521/esc-zd-4521-login"
    assert headers["Content-Type"].startswith("application/json")


def test_the_signature_is_hmac_sha256_over_version_timestamp_and_raw_body():
    # A receiver in any language can reproduce this: HMAC-SHA256(key=secret, msg="v1:{ts}:{body}"), hex.
    import hashlib
    import hmac

    body = b'{"event":"swarm.archived"}'
    expected = hmac.new(b"secret", b'v1:1700000000:{"event":"swarm.archived"}', hashlib.sha256).hexdigest()
    assert signature("secret", "1700000000", body) == f"v1={expected}"


async def test_a_receiver_with_another_secret_refuses_and_the_error_is_not_retryable(receiver, archive):
    emulator, url = receiver
    with pytest.raises(ConnectorError) as raised:
        await connector(f"{url}/hooks/swarmbot", secret="not-the-shared-secret").deliver(archive)
    assert not raised.value.retryable
    assert "401" in raised.value.message and "SWARMBOT_WEBHOOK_SECRET" in raised.value.message
    assert emulator.rejected and not emulator.deliveries


def test_verification_refuses_a_changed_body_an_old_timestamp_and_a_bad_header():
    body = json.dumps({"event": "swarm.archived", "n": 1}).encode()
    now = 1_800_000_000
    signed = signature(WEBHOOK_SECRET, str(now), body)
    assert verify_signature(WEBHOOK_SECRET, str(now), body, signed, now=now + 10)
    assert not verify_signature(WEBHOOK_SECRET, str(now), body.replace(b"1", b"2"), signed, now=now)
    assert not verify_signature(WEBHOOK_SECRET, str(now + 1), body, signed, now=now)
    assert not verify_signature(WEBHOOK_SECRET, str(now), body, signed, now=now + 301)  # a replay
    assert not verify_signature(WEBHOOK_SECRET, "soon", body, signed, now=now)
    assert not verify_signature("other", str(now), body, signed, now=now)


@given(body=st.binary(max_size=2048), secret=st.text(min_size=1, max_size=64), flip=st.integers(0, 2047))
def test_any_body_verifies_and_any_changed_byte_does_not(body, secret, flip):
    signed = signature(secret, "1800000000", body)
    assert verify_signature(secret, "1800000000", body, signed, now=1_800_000_000)
    if body:
        changed = bytearray(body)
        changed[flip % len(body)] ^= 0x01
        assert not verify_signature(secret, "1800000000", bytes(changed), signed, now=1_800_000_000)


async def test_a_rate_limit_is_retryable_after_the_time_the_receiver_asks(receiver, archive):
    emulator, url = receiver
    emulator.fail_next(Scripted(429, {"Retry-After": "12"}))
    with pytest.raises(ConnectorError) as raised:
        await connector(f"{url}/hooks/swarmbot").deliver(archive)
    assert raised.value.retryable and raised.value.retry_after == 12.0


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_server_errors_are_retryable_and_a_retry_delivers(receiver, archive, status):
    emulator, url = receiver
    emulator.fail_next(Scripted(status))
    hook = connector(f"{url}/hooks/swarmbot")
    with pytest.raises(ConnectorError) as raised:
        await hook.deliver(archive)
    assert raised.value.retryable
    await hook.deliver(archive)
    assert len(emulator.deliveries) == 1


async def test_an_unreachable_receiver_is_retryable(archive):
    with pytest.raises(ConnectorError) as raised:
        await connector("http://127.0.0.1:9/hooks").deliver(archive)
    assert raised.value.retryable


async def test_a_slow_receiver_is_retryable(receiver, archive):
    emulator, url = receiver
    emulator.fail_next(Scripted(200, delay=1.0))
    with pytest.raises(ConnectorError) as raised:
        await connector(f"{url}/hooks/swarmbot", timeout=0.3).deliver(archive)
    assert raised.value.retryable


async def test_a_wrong_url_is_not_retryable(receiver, archive):
    _, url = receiver
    with pytest.raises(ConnectorError) as raised:
        await connector(f"{url}/nowhere").deliver(archive)
    assert not raised.value.retryable and "SWARMBOT_WEBHOOK_URL" in raised.value.message


async def test_redirects_are_not_followed(receiver, archive):
    emulator, url = receiver
    with pytest.raises(ConnectorError) as raised:
        await connector(f"{url}/moved").deliver(archive)
    assert not raised.value.retryable and "redirect (301)" in raised.value.message
    assert not emulator.deliveries
