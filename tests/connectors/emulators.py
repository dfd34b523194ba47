"""Local HTTP emulators of the connectors' targets: Zendesk's Update Ticket endpoint and a webhook receiver.

Both keep what they were sent, answer like the real thing (Zendesk's status codes and error bodies), and take
a script of failures to answer first (`fail_next`).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.connectors import verify_signature

COMMENT_MAX_BYTES = 64 * 1024


@dataclass
class Scripted:
    """One answer to give instead of the real one."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0


@dataclass
class ZendeskTicket:
    id: int
    status: str = "open"
    tags: list[str] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


class ZendeskEmulator:
    """PUT /api/v2/tickets/{id}.json with API-token basic auth, as Zendesk Support answers it."""

    def __init__(self, *, email: str, token: str) -> None:
        self.email, self.token = email, token
        self.tickets: dict[int, ZendeskTicket] = {}
        self.requests: list[dict[str, Any]] = []
        self.script: list[Scripted] = []

    def add_ticket(self, number: int, *, status: str = "open", tags: list[str] | None = None) -> None:
        self.tickets[number] = ZendeskTicket(number, status=status, tags=list(tags or []))

    def fail_next(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_put("/api/v2/tickets/{number}.json", self.update_ticket)
        return app

    async def update_ticket(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append(
            {"path": request.path, "headers": dict(request.headers), "body": raw, "method": request.method}
        )
        if self.script:
            answer = self.script.pop(0)
            await asyncio.sleep(answer.delay)
            return web.json_response(
                answer.body or {"error": "scripted"}, status=answer.status, headers=answer.headers
            )
        if not self._authenticated(request.headers.get("Authorization", "")):
            return web.json_response({"error": "Couldn't authenticate you"}, status=401)
        if request.content_type != "application/json":
            return web.json_response({"error": "Unsupported Media Type"}, status=415)
        ticket = self.tickets.get(int(request.match_info["number"]))
        if ticket is None:
            return web.json_response({"error": "RecordNotFound", "description": "Not found"}, status=404)
        body = json.loads(raw)
        update = body.get("ticket") or {}
        comment = update.get("comment") or {}
        if ticket.status == "closed":
            return _invalid("status", "Status: closed prevents ticket update")
        if not isinstance(comment.get("body"), str) or not comment["body"]:
            return _invalid("comment", "Comment: body is required")
        if len(comment["body"].encode()) > COMMENT_MAX_BYTES:
            return _invalid("comment", "Comment: body is too long")
        ticket.comments.append({"body": comment["body"], "public": comment.get("public", True)})
        for tag in update.get("additional_tags") or []:
            if tag not in ticket.tags:
                ticket.tags.append(tag)
        return web.json_response({"ticket": {"id": ticket.id, "status": ticket.status, "tags": ticket.tags}})

    def _authenticated(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme != "Basic":
            return False
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return user == f"{self.email}/token" and password == self.token


def _invalid(field_name: str, description: str) -> web.Response:
    return web.json_response(
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {field_name: [{"description": description}]},
        },
        status=422,
    )


class WebhookReceiver:
    """A receiver that verifies swarmbot's signature the way the README tells receivers to."""

    def __init__(self, *, secret: str) -> None:
        self.secret = secret
        self.deliveries: list[dict[str, Any]] = []
        self.rejected: list[str] = []
        self.script: list[Scripted] = []

    def fail_next(self, *answers: Scripted) -> None:
        self.script.extend(answers)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/hooks/swarmbot", self.receive)
        app.router.add_post("/moved", self.moved)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()  # the raw bytes: the signature covers them exactly
        if self.script:
            answer = self.script.pop(0)
            await asyncio.sleep(answer.delay)
            return web.json_response(
                answer.body or {"error": "scripted"}, status=answer.status, headers=answer.headers
            )
        timestamp = request.headers.get("X-Swarmbot-Timestamp", "")
        signature = request.headers.get("X-Swarmbot-Signature", "")
        if not verify_signature(self.secret, timestamp, body, signature):
            self.rejected.append(signature)
            return web.json_response({"error": "bad signature"}, status=401)
        self.deliveries.append({"headers": dict(request.headers), "json": json.loads(body)})
        return web.json_response({"ok": True}, status=202)

    async def moved(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/hooks/swarmbot")


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
