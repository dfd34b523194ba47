"""Slack's v0 request signing (HMAC-SHA256 of "v0:{timestamp}:{body}") via slack_sdk's SignatureVerifier."""

from __future__ import annotations

import hashlib
import hmac

from slack_sdk.signature import SignatureVerifier


def signature(secret: str, timestamp: str, body: bytes | str) -> str:
    """The `X-Slack-Signature` value for a body sent at `timestamp`."""
    value = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    assert value is not None  # only None without a timestamp
    return value


def signed_headers(
    secret: str, body: bytes, *, timestamp: int, content_type: str, forged_signature: str | None = None
) -> dict[str, str]:
    """Headers Slack sends with a request; `forged_signature="bad"` produces a wrong but well-formed one."""
    stamp = str(timestamp)
    if forged_signature == "bad":
        digest = hmac.new(b"not-the-secret", f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
        value = f"v0={digest}"
    else:
        value = forged_signature or signature(secret, stamp, body)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": value,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
