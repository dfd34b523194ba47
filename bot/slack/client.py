"""slack-sdk's async Web API client as the gateway uses it: its retry handlers, two of them sharpened.

429s wait for Retry-After and tell the gateway's pacer; every transient 5xx and dropped connection is
retried. The client is built here and handed to a SlackGateway, which alone makes calls with it.
"""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.pacing import NoPacing, Pacer

TRANSIENT_STATUSES = (500, 502, 503, 504)


class TransientServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """Retries every transient 5xx: slack-sdk's own handler retries only 500 and 503, but Slack's edge
    also answers 502 and 504 when it is busy, and those fail a call that a second try would finish."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in TRANSIENT_STATUSES


class PacedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (wait Retry-After, retry) that first tells the pacer, so the calls queued
    behind this one move back with it instead of each meeting a 429 of its own."""

    def __init__(self, pacer: Pacer, *, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is not None:
            method = request.url.rsplit("/", 1)[-1]
            await self.pacer.hold(method, channel=_channel_of(request), seconds=_retry_after(response))
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def _channel_of(request: HttpRequest) -> str | None:
    """The channel a form-encoded call names (JSON bodies are not in slack-sdk's HttpRequest)."""
    for params in (request.data, request.body_params):
        if isinstance(params, dict) and params.get("channel"):
            return str(params["channel"])
    return None


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            try:
                return float(values[0] if isinstance(values, list) else values)
            except (TypeError, ValueError, IndexError):
                break
    return 1.0  # slack-sdk's own default


def build_client(*, token: str, base_url: str, timeout: int = 30) -> AsyncWebClient:
    """slack-sdk's async client on `base_url`, retrying rate limits, server errors and lost connections.

    Its 429 handler reports to the pacer of the SlackGateway the client is given to.
    """
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            PacedRateLimitRetryHandler(NoPacing(), max_retry_count=5),
            TransientServerErrorRetryHandler(max_retry_count=3),
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
        ],
    )
