"""A generic webhook: the archive as signed JSON, POSTed to a URL of the operator's choosing.

The request: `POST {url}` with `Content-Type: application/json` and the body
`{"event": "swarm.archived", "ticket": <ticket record>, "swarm": {"channel_name", "severity", "resolution"},
"transcript_markdown": <transcript>}`, plus three headers:

- `X-Swarmbot-Timestamp`: when it was signed, in Unix seconds;
- `X-Swarmbot-Signature`: `v1=` + hex HMAC-SHA256 keyed with the shared secret (SWARMBOT_WEBHOOK_SECRET)
  over the bytes `v1:{timestamp}:{body}`, the body exactly as received;
- `X-Swarmbot-Delivery`: `{ticket_id}/{channel_name}`, the same on every retry, so a receiver can drop
  repeats.

A receiver recomputes the signature over the raw body, compares in constant time, and refuses timestamps
more than five minutes off its clock (`verify_signature` below does all three). Any 2xx answer is
success; 408, 409, 425, 429 (honouring Retry-After) and 5xx are retried later, as are timeouts and lost
connections; other answers are not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.connectors.errors import ConnectorError
from bot.connectors.responses import excerpt, is_retryable, retry_after
from bot.connectors.ticket import ArchivedTicket

EVENT = "swarm.archived"
SIGNATURE_VERSION = "v1"
TOLERANCE = 300  # seconds a receiver should accept between the timestamp and its own clock


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Swarmbot-Signature value: "v1=" + hex HMAC-SHA256(secret, b"v1:{timestamp}:" + body)."""
    message = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    return f"{SIGNATURE_VERSION}=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    received: str,
    *,
    now: float | None = None,
    tolerance: float = TOLERANCE,
) -> bool:
    """What a receiver does: the signature matches the raw body and the timestamp is recent."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except ValueError:
        return False
    if age > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), received)


class WebhookConnector:
    """POSTs each archive, signed, to one URL."""

    name = "webhook"

    def __init__(
        self, url: str, secret: str, *, timeout: float = 30.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.url = url
        self._secret = secret
        self.timeout = timeout
        self._clock = clock

    def payload(self, archive: ArchivedTicket) -> dict[str, Any]:
        """The JSON body for `archive`."""
        return {
            "event": EVENT,
            "ticket": dict(archive.record),
            "swarm": {
                "channel_name": archive.channel_name,
                "severity": archive.severity,
                "resolution": archive.resolution,
            },
            "transcript_markdown": archive.markdown,
        }

    def signed_request(self, archive: ArchivedTicket) -> tuple[bytes, dict[str, str]]:
        """The exact body bytes and headers of the delivery."""
        body = json.dumps(
            self.payload(archive), ensure_ascii=False, separators=(",", ":"), default=str
        ).encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "swarmbot-webhook/1",
            "X-Swarmbot-Timestamp": timestamp,
            "X-Swarmbot-Signature": signature(self._secret, timestamp, body),
            "X-Swarmbot-Delivery": f"{archive.ticket_id}/{archive.channel_name}",
        }
        return body, headers

    async def deliver(self, archive: ArchivedTicket) -> None:
        """POST the archive; raises ConnectorError, retryable for 408/409/425/429/5xx and lost connections."""
        body, headers = self.signed_request(archive)
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http,
                http.post(self.url, data=body, headers=headers, allow_redirects=False) as response,
            ):
                if 200 <= response.status < 300:
                    return
                text = await response.text(errors="replace")
                raise ConnectorError(
                    self.name,
                    self._message(response.status, text),
                    retryable=is_retryable(response.status),
                    retry_after=retry_after(response.headers),
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ConnectorError(
                self.name, f"could not reach {self.url} ({type(error).__name__}: {error})", retryable=True
            ) from error

    def _message(self, status: int, text: str) -> str:
        if status in (401, 403):
            return (
                f"the receiver refused the delivery ({status}): check that it verifies with the same "
                f"SWARMBOT_WEBHOOK_SECRET. {excerpt(text)}"
            ).strip()
        if status == 404:
            return f"nothing answers at {self.url} (404): check SWARMBOT_WEBHOOK_URL."
        if 300 <= status < 400:
            return (
                f"the receiver answered with a redirect ({status}): "
                "set SWARMBOT_WEBHOOK_URL to the final address."
            )
        if status == 429:
            return "the receiver is rate limiting (429)"
        return f"the receiver answered {status}: {excerpt(text) or 'no details'}"
