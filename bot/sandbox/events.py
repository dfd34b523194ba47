"""Events API delivery: Slack's envelope, signed POSTs to the request URL or Socket Mode, and retries."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from .methods.context import Services
from .payloads import VERIFICATION_TOKEN
from .signing import signed_headers
from .state import Workspace

if TYPE_CHECKING:
    from .socket_mode import SocketHub


@dataclass
class Attempt:
    """One HTTP request (or Socket Mode envelope) to the app and what came back."""

    status: int | None  # over the socket: 200 once acked
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""  # over the socket: the ack's payload as JSON
    failure: str | None = None  # Slack's retry reason when this attempt failed
    transport: str = "http"
    envelope_id: str | None = None
    connection: int | None = None  # the Socket Mode connection it went to


async def send(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], timeout: float
) -> Attempt:
    """POST once; classify failures the way Slack names them in X-Slack-Retry-Reason."""
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as r:
            text = await r.text()
            failure = None if 200 <= r.status < 300 else "http_error"
            return Attempt(status=r.status, headers=dict(r.headers), body=text, failure=failure)
    except TimeoutError:
        return Attempt(status=None, failure="http_timeout")
    except aiohttp.ClientError:
        return Attempt(status=None, failure="connection_failed")


class EventBus:
    """Builds envelopes for subscribed events and delivers them in order from the server's loop."""

    def __init__(
        self, ws: Workspace, svc: Services, request_url: Callable[[], str | None], socket: SocketHub
    ) -> None:
        self.ws, self.svc, self._request_url, self.socket = ws, svc, request_url, socket
        self._queue: asyncio.Queue[tuple[dict[str, Any], asyncio.Future[None]]] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.in_flight = 0

    async def start(self) -> None:
        """Start the delivery worker (in the server's loop)."""
        self._queue = asyncio.Queue()
        self.in_flight = 0  # after a restart: what the stopped bus still held is gone
        self._session = aiohttp.ClientSession()
        self._spawn(self._worker())

    async def stop(self) -> None:
        """Cancel pending retries and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def wants(self, event: dict[str, Any], channel_id: str | None) -> bool:
        """Slack sends only subscribed events, and only from conversations the bot is in."""
        channel = self.ws.channels.get(channel_id or "")
        kind = channel.kind if channel else None
        if not self.svc.manifest.subscribes(event["type"], kind):
            return False
        return channel is None or self.ws.bot_user_id in channel.members

    def envelope(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event_callback wrapper around an event."""
        ws = self.ws
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": ws.team_id,
            "context_team_id": ws.team_id,
            "api_app_id": ws.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": self.svc.ids.next("Ev"),
            "event_time": int(self.svc.config.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": ws.team_id,
                    "user_id": ws.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{ws.team_id}-{event['type']}",
        }

    def publish(self, event: dict[str, Any], channel_id: str | None) -> asyncio.Future[None] | None:
        """Queue a subscribed event; the future settles after its first delivery attempt."""
        if self._queue is None or not self.wants(event, channel_id):
            return None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.in_flight += 1
        self._queue.put_nowait((self.envelope(event), future))
        return future

    async def _worker(self) -> None:
        assert self._queue is not None
        while True:
            envelope, future = await self._queue.get()
            try:
                attempt = await self._attempt(envelope, retry_num=0, reason=None)
                if self._should_retry(attempt):
                    self._spawn(self._retry(envelope, 1, attempt.failure or "unknown_error"))
            finally:
                self.in_flight -= 1
                if not future.done():
                    future.set_result(None)

    def _should_retry(self, attempt: Attempt) -> bool:
        # Slack: no retries once the app answers X-Slack-No-Retry: 1.
        no_retry = any(k.lower() == "x-slack-no-retry" and v == "1" for k, v in attempt.headers.items())
        return attempt.failure is not None and not no_retry and bool(self.svc.config.event_retry_schedule)

    async def _retry(self, envelope: dict[str, Any], retry_num: int, reason: str) -> None:
        schedule = self.svc.config.event_retry_schedule
        await asyncio.sleep(schedule[retry_num - 1])
        attempt = await self._attempt(envelope, retry_num=retry_num, reason=reason)
        if self._should_retry(attempt) and retry_num < len(schedule):
            await self._retry(envelope, retry_num + 1, attempt.failure or "unknown_error")

    async def _attempt(self, envelope: dict[str, Any], *, retry_num: int, reason: str | None) -> Attempt:
        if self.socket.enabled:
            # Slack: "Your app still needs to acknowledge receiving each event so that Slack knows whether
            # to retry"; the envelope says which retry it is (retry_attempt 0 and "" on the first).
            attempt = await self.socket.deliver(
                "events_api",
                envelope,
                timeout=self.svc.config.event_timeout,
                retry_attempt=retry_num,
                retry_reason=reason or "",
            )
            self.record(
                kind="event",
                payload=envelope,
                headers={},
                attempt=attempt,
                retry_num=retry_num,
                sent=attempt.connection is not None,
                retry_reason=reason,
            )
            return attempt
        url = self._request_url()
        body = json.dumps(envelope).encode()
        # Signed with wall-clock time: the app checks the timestamp against its own clock, not the sandbox's.
        headers = signed_headers(
            self.svc.config.signing_secret, body, timestamp=int(time.time()), content_type="application/json"
        )
        if retry_num:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason or ""})
        if url is None or self._session is None:
            attempt = Attempt(status=None)
        else:
            attempt = await send(self._session, url, body, headers, self.svc.config.event_timeout)
        self.record(
            kind="event",
            payload=envelope,
            headers=headers,
            attempt=attempt,
            retry_num=retry_num,
            sent=url is not None,
        )
        return attempt

    def record(
        self,
        *,
        kind: str,
        payload: Any,
        headers: dict[str, str],
        attempt: Attempt,
        retry_num: int,
        sent: bool,
        retry_reason: str | None = None,
    ) -> None:
        """Append to the delivery log (`transport` "http" or "socket"; socket entries name their envelope)."""
        entry = {
            "kind": kind,
            "payload": payload,
            "headers": headers,
            "status": attempt.status,
            "retry_num": retry_num,
            "retry_reason": retry_reason or headers.get("X-Slack-Retry-Reason"),
            "failure": attempt.failure,
            "response": attempt.body,
            "sent": sent,
            "transport": attempt.transport,
            "envelope_id": attempt.envelope_id,
            "connection": attempt.connection,
            "at": self.svc.config.clock(),
        }
        with self.ws.lock:
            self.ws.deliveries.append(entry)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
