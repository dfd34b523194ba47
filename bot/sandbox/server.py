"""The sandbox's HTTP server: Web API methods, response URLs, the state endpoint and Socket Mode's
WebSocket link, on one aiohttp app.

Each Web API call runs one fixed pipeline: unknown method → token → token type → rate limit → faults →
static scope → handler (under the workspace lock) → events → call log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from .errors import ApiError
from .events import EventBus
from .faults import FaultInjector
from .methods import REGISTRY
from .methods.chat import post_due
from .methods.context import CallContext, Caller, Services
from .ratelimit import RateLimiter
from .responses import apply_response, check_usable
from .socket_mode import SocketHub
from .state import Workspace

AWAIT_EVENTS_HEADER = "X-Sandbox-Await-Events"
APP_TOKEN_SCOPES = frozenset({"connections:write"})
FAULT_BODIES = {500: "fatal_error", 502: "bad_gateway", 503: "service_unavailable"}


class ApiServer:
    """Serves the emulator; every coroutine here runs on the sandbox's own event loop."""

    def __init__(
        self,
        ws: Workspace,
        svc: Services,
        limiter: RateLimiter,
        faults: FaultInjector,
        bus: EventBus,
        socket: SocketHub,
        snapshot: Callable[[], dict[str, Any]],
    ) -> None:
        self.ws, self.svc, self.limiter, self.faults, self.bus = ws, svc, limiter, faults, bus
        self.socket = socket
        self._snapshot = snapshot
        self._runner: web.AppRunner | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._seq = 0

    async def start(self, host: str, port: int) -> int:
        """Listen and return the bound port."""
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self.handle_api)
        app.router.add_post("/_sandbox/respond/{token}", self.handle_response_url)
        app.router.add_get("/_sandbox/state", self.handle_state)
        app.router.add_get("/link/", self.socket.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        await self.bus.start()
        self._scheduler = asyncio.ensure_future(self._run_scheduler())
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        """Stop serving, delivering and scheduling."""
        if self._scheduler is not None:
            self._scheduler.cancel()
        await self.bus.stop()
        await self.socket.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    def caller_for(self, token: str | None) -> Caller | None:
        """Who holds `token`: the bot (with the manifest's scopes), a human, or the app (app-level token)."""
        if token and token == self.svc.config.app_token:
            return Caller(kind="app", user_id=self.ws.app_id, scopes=APP_TOKEN_SCOPES)
        user_id = self.ws.tokens.get(token or "")
        if user_id is None:
            return None
        if user_id == self.ws.bot_user_id:
            return Caller(kind="bot", user_id=user_id, scopes=self.svc.manifest.bot_scopes)
        return Caller(kind="user", user_id=user_id, scopes=None)

    def bot_context(self, args: Mapping[str, Any] | None = None) -> CallContext:
        """A context acting as the bot, for work the sandbox does on the app's behalf."""
        caller = Caller(kind="bot", user_id=self.ws.bot_user_id, scopes=self.svc.manifest.bot_scopes)
        return CallContext(ws=self.ws, svc=self.svc, caller=caller, args=args or {})

    def publish(self, ctx: CallContext) -> list[asyncio.Future[None]]:
        """Hand the events a call caused to the event bus."""
        futures = [self.bus.publish(event, channel) for event, channel in ctx.events]
        return [f for f in futures if f is not None]

    async def handle_api(self, request: web.Request) -> web.Response:
        """POST/GET /api/<method>."""
        method = request.match_info["method"]
        args = await _read_args(request)
        bearer = _bearer(request)
        token = bearer or args.pop("token", None)
        status, body, headers, futures = await self._call(method, args, token, in_header=bearer is not None)
        if futures and request.headers.get(AWAIT_EVENTS_HEADER) == "1":
            await asyncio.gather(*futures)
        return web.json_response(body, status=status, headers=headers)

    async def _call(
        self, method: str, args: dict[str, Any], token: str | None, *, in_header: bool = True
    ) -> tuple[int, dict[str, Any], dict[str, str], list[asyncio.Future[None]]]:
        spec = REGISTRY.get(method)
        caller = self.caller_for(token)
        status: int = 200
        headers: dict[str, str] = {}
        futures: list[asyncio.Future[None]] = []
        if spec is None:
            body: dict[str, Any] = {"ok": False, "error": "unknown_method", "req_method": method}
        elif caller is None or (spec.app_level and not in_header):
            # Slack, apps.connections.open: "passing it as a POST parameter will result in an error".
            body = {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        elif spec.app_level != (caller.kind == "app"):
            body = {"ok": False, "error": "not_allowed_token_type"}
        else:
            limited = caller.kind != "user" or self.limiter.config.limit_user_tokens
            verdict = (
                self.limiter.check(method, spec.tier, channel=str(args.get("channel", "")))
                if limited
                else None
            )
            if verdict is not None and not verdict.allowed:
                status, body = 429, {"ok": False, "error": "ratelimited"}
                headers["Retry-After"] = str(verdict.retry_after)
            else:
                fault = self.faults.decide(method)
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.error == "ratelimited":
                    # Exactly Slack's answer over budget: the client must wait Retry-After and try again.
                    status, body = 429, {"ok": False, "error": "ratelimited"}
                    headers["Retry-After"] = str(max(1, fault.retry_after))
                elif fault.error:
                    status = fault.status
                    body = {"ok": False, "error": FAULT_BODIES.get(status, "internal_error")}
                else:
                    body, futures = self._run(spec.handler, spec.scopes, caller, args)
            if caller.is_bot:
                headers["X-OAuth-Scopes"] = ",".join(sorted(self.svc.manifest.bot_scopes))
                headers["X-Accepted-OAuth-Scopes"] = ",".join(spec.scopes)
        self._log(method, args, caller, status, body)
        return status, body, headers, futures

    def _run(
        self,
        handler: Callable[[CallContext], dict[str, Any]],
        scopes: tuple[str, ...],
        caller: Caller,
        args: dict[str, Any],
    ) -> tuple[dict[str, Any], list[asyncio.Future[None]]]:
        with self.ws.lock:
            ctx = CallContext(ws=self.ws, svc=self.svc, caller=caller, args=args)
            try:
                ctx.need_scope(*scopes)
                body = {"ok": True, **handler(ctx)}
            except ApiError as error:
                return error.body(), []
            return body, self.publish(ctx)

    def _log(
        self, method: str, args: dict[str, Any], caller: Caller | None, status: int, body: dict[str, Any]
    ) -> None:
        with self.ws.lock:
            self._seq += 1
            self.ws.calls.append(
                {
                    "seq": self._seq,
                    "method": method,
                    "args": dict(args),
                    "token_kind": caller.kind if caller else None,
                    "user": caller.user_id if caller else None,
                    "status": status,
                    "response": body,
                    "at": self.svc.config.clock(),
                }
            )

    async def handle_response_url(self, request: web.Request) -> web.Response:
        """POST /_sandbox/respond/<token>: the app answering a command or an interaction."""
        try:
            payload = (
                await request.json()
                if request.content_type == "application/json"
                else dict(await request.post())
            )
        except json.JSONDecodeError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        with self.ws.lock:
            url = self.ws.response_urls.get(request.match_info["token"])
            problem = check_usable(url, self.svc.config.clock())
            if problem or url is None:
                return web.json_response({"ok": False, "error": problem}, status=404)
            ctx = self.bot_context()
            try:
                apply_response(ctx, url, payload)
            except ApiError as error:
                return web.json_response(error.body(), status=400)
            futures = self.publish(ctx)
        if request.headers.get(AWAIT_EVENTS_HEADER) == "1":
            await asyncio.gather(*futures)
        return web.json_response({"ok": True})

    async def handle_state(self, request: web.Request) -> web.Response:
        """GET /_sandbox/state: everything, for a developer poking at a standalone sandbox."""
        return web.json_response(self._snapshot(), dumps=lambda o: json.dumps(o, default=str, indent=2))

    async def _run_scheduler(self) -> None:
        while True:
            await asyncio.sleep(self.svc.config.scheduler_interval)
            self.post_scheduled()

    def post_scheduled(self) -> list[asyncio.Future[None]]:
        """Post due scheduled messages now (the scheduler calls this; tests with a fake clock may too)."""
        with self.ws.lock:
            ctx = self.bot_context()
            post_due(ctx)
            return self.publish(ctx)


async def _read_args(request: web.Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except json.JSONDecodeError:
            return args
        if isinstance(data, dict):
            args.update(data)
    else:
        args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return args


def _bearer(request: web.Request) -> str | None:
    value = request.headers.get("Authorization", "")
    return value[7:].strip() or None if value.lower().startswith("bearer ") else None
