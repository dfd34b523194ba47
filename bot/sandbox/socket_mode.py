"""Socket Mode: Slack's WebSocket link to the app — tickets, hello, envelopes out, acks back, disconnects.

Slack (docs.slack.dev, "Using Socket Mode"): a URL from apps.connections.open opens one connection,
which Slack greets with `hello`; each payload goes to *one* of the open connections as
`{envelope_id, type, payload, accepts_response_payload}`, and the app acks with `{envelope_id, payload?}`.
Envelopes are never signed: "you're receiving the events over a pre-authenticated WebSocket".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from .config import SocketModeConfig
from .events import Attempt
from .methods.context import Services
from .state import Workspace

HOST = "applink-sandbox"
# Slack: "You may receive a warning about 10 seconds before the disconnect".
DISCONNECT_GRACE = 10.0
POLL = 0.01

AckFuture = asyncio.Future[dict[str, Any] | None]


@dataclass
class Connection:
    """One open WebSocket from the app."""

    id: int
    socket: web.WebSocketResponse
    opened: float
    draining: bool = False  # told to disconnect: it gets no new envelopes
    envelopes: int = 0
    acks: int = 0

    def view(self) -> dict[str, Any]:
        """What inspection shows of this connection."""
        return {
            "id": self.id,
            "opened": self.opened,
            "draining": self.draining,
            "envelopes": self.envelopes,
            "acks": self.acks,
        }


class SocketHub:
    """The Slack end of Socket Mode; every coroutine here runs on the sandbox's own event loop."""

    def __init__(self, ws: Workspace, svc: Services, config: SocketModeConfig) -> None:
        self.ws, self.svc, self.config = ws, svc, config
        self._connections: dict[int, Connection] = {}
        self._pending: dict[str, AckFuture] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._connecting = 0
        self._count = 0
        self._turn = 0

    @property
    def enabled(self) -> bool:
        """Whether payloads go over Socket Mode rather than to the request URL."""
        configured = self.config.enabled
        return self.svc.manifest.socket_mode_enabled if configured is None else configured

    def connections(self) -> list[dict[str, Any]]:
        """The open connections, oldest first."""
        with self.ws.lock:
            return [c.view() for c in self._connections.values()]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /link/?ticket=…: trade a ticket for a connection, say hello, read acks until it closes."""
        with self.ws.lock:
            ticket = self.ws.socket_tickets.pop(request.query.get("ticket", ""), None)
            if ticket is None:
                # Unverified: how Slack refuses a spent or unknown ticket; here the handshake fails.
                return web.Response(status=401, text="invalid_ticket")
            self._connecting += 1
        socket = web.WebSocketResponse()
        try:
            await socket.prepare(request)
            if not self.enabled:
                # Slack: the message "you'll receive if you toggle off Socket Mode".
                await socket.send_json(_disconnect("link_disabled"))
                await socket.close()
                return socket
            conn = self._register(socket)
        finally:
            with self.ws.lock:
                self._connecting -= 1
        if self.config.disconnect_after is not None:
            self._spawn(
                self._refresh_later(conn, self.config.disconnect_after, self.config.disconnect_reason)
            )
        try:
            await socket.send_json(self._hello())
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._ack(conn, message.data)
        finally:
            self._unregister(conn)
        return socket

    async def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        timeout: float,
        retry_attempt: int | None = None,
        retry_reason: str = "",
    ) -> Attempt:
        """Send one envelope to one connection and wait up to `timeout` for its ack (the socket's 200)."""
        conn = await self._next_connection(timeout)
        if conn is None:
            return Attempt(status=None, failure="connection_failed", transport="socket")
        envelope_id = self.svc.ids.envelope_id()
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if retry_attempt is not None:
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        attempt = Attempt(status=None, transport="socket", envelope_id=envelope_id, connection=conn.id)
        future: AckFuture = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = future
        try:
            await conn.socket.send_json(envelope)
            answer = await asyncio.wait_for(future, timeout)
        except TimeoutError:
            attempt.failure = "timeout"
            return attempt
        except ConnectionError:
            attempt.failure = "connection_failed"
            return attempt
        finally:
            self._pending.pop(envelope_id, None)
        attempt.status, attempt.body = 200, json.dumps(answer) if answer is not None else ""
        return attempt

    async def disconnect(self, reason: str, connection: int | None = None) -> int:
        """Send Slack's `disconnect` to one or every connection; each then drains and closes soon after."""
        with self.ws.lock:
            targets = [
                c
                for c in self._connections.values()
                if not c.draining and (connection is None or c.id == connection)
            ]
            for conn in targets:
                conn.draining = True
        for conn in targets:
            with contextlib.suppress(ConnectionError):  # the app may be closing it already
                await conn.socket.send_json(_disconnect(reason))
            self._spawn(self._close_later(conn))
        return len(targets)

    async def stop(self) -> None:
        """Close every connection and cancel pending disconnects."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for conn in list(self._connections.values()):
            await conn.socket.close(code=WSCloseCode.GOING_AWAY)

    def _register(self, socket: web.WebSocketResponse) -> Connection:
        with self.ws.lock:
            self._count += 1
            conn = Connection(id=self._count, socket=socket, opened=self.svc.config.clock())
            self._connections[conn.id] = conn
        return conn

    def _unregister(self, conn: Connection) -> None:
        with self.ws.lock:
            self._connections.pop(conn.id, None)

    def _hello(self) -> dict[str, Any]:
        now = self.svc.config.clock()
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}"
        with self.ws.lock:
            count = len(self._connections)
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": HOST,
                "started": started,
                "build_number": 1,
                "approximate_connection_time": self.config.connection_time,
            },
            "connection_info": {"app_id": self.ws.app_id},
        }

    def _ack(self, conn: Connection, data: str) -> None:
        try:
            frame = json.loads(data)
        except json.JSONDecodeError:
            return
        if not isinstance(frame, dict) or "envelope_id" not in frame:
            return
        with self.ws.lock:
            conn.acks += 1
        future = self._pending.get(str(frame["envelope_id"]))
        # An ack counts on any of the app's connections (slack_sdk acks on its newest one after a
        # refresh); only the first ack of an envelope counts, late or unknown ones are ignored.
        if future is not None and not future.done():
            answer = frame.get("payload")
            future.set_result(answer if isinstance(answer, dict) else None)

    async def _next_connection(self, timeout: float) -> Connection | None:
        # Slack: "each payload may be sent to any of the connections"; round robin makes tests repeatable.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self.ws.lock:
                live = [c for c in self._connections.values() if not c.draining]
                if live:
                    conn = live[self._turn % len(live)]
                    self._turn += 1
                    conn.envelopes += 1
                    return conn
                coming = bool(self.ws.socket_tickets) or self._connecting > 0
                coming = coming or any(c.draining for c in self._connections.values())
            # Wait only while a connection is on its way (a ticket out, a handshake, a refresh).
            if not coming or loop.time() >= deadline:
                return None
            await asyncio.sleep(POLL)

    async def _refresh_later(self, conn: Connection, delay: float, reason: str) -> None:
        await asyncio.sleep(delay)
        await self.disconnect(reason, conn.id)

    async def _close_later(self, conn: Connection) -> None:
        await asyncio.sleep(DISCONNECT_GRACE)
        await conn.socket.close(code=WSCloseCode.GOING_AWAY)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _disconnect(reason: str) -> dict[str, Any]:
    return {"type": "disconnect", "reason": reason, "debug_info": {"host": HOST}}
