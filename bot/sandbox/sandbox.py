"""`Sandbox`: a local Slack workspace serving the Web API on loopback, with seeding, people and a driver."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .config import FaultConfig, RateLimitConfig, SandboxConfig, SocketModeConfig
from .errors import SandboxError, SandboxTimeout
from .events import EventBus
from .faults import FaultInjector
from .ids import IdFactory, TsSource
from .inspection import Inspection
from .manifest import AppManifest
from .methods.context import Services
from .ratelimit import RateLimiter
from .seeding import Seeding
from .server import ApiServer
from .shapes import view_json
from .socket_mode import SocketHub
from .state import Channel, ResponseUrl, Trigger, User, Workspace

if TYPE_CHECKING:
    from .driver import Driver
    from .human import Human

T = TypeVar("T")


class Sandbox(Seeding, Inspection):
    """A stateful Slack workspace: start it, seed it, point slack-sdk at `api_url`, inspect it."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.manifest = AppManifest.resolve(self.config.manifest_path)
        c = self.config
        self.ws = Workspace(team_id=c.team_id, team_name=c.team_name, team_domain=c.team_domain)
        self.ids = IdFactory()
        self.svc = Services(
            config=c, manifest=self.manifest, ids=self.ids, ts=TsSource(c.clock), api_url=lambda: self.api_url
        )
        self.request_url: str | None = c.request_url
        self.limiter = RateLimiter(c.rate_limits)
        self.faults = FaultInjector(c.faults)
        self.socket = SocketHub(self.ws, self.svc, c.socket_mode)
        self.bus = EventBus(self.ws, self.svc, lambda: self.request_url, self.socket)
        self.server = ApiServer(
            self.ws, self.svc, self.limiter, self.faults, self.bus, self.socket, self.state
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.port = c.port
        self.restarts = 0
        self._seed_workspace()

    def _seed_workspace(self) -> None:
        ws = self.ws
        ws.bot_user_id, ws.bot_id, ws.app_id = self.ids.next("U"), self.ids.next("B"), self.ids.next("A")
        name = self.manifest.bot_display_name
        ws.users[ws.bot_user_id] = User(
            id=ws.bot_user_id,
            name=name,
            team_id=ws.team_id,
            real_name=name,
            display_name=name,
            is_bot=True,
            bot_id=ws.bot_id,
            token=self.config.bot_token,
        )
        ws.tokens[self.config.bot_token] = ws.bot_user_id
        general = Channel(
            id=self.ids.next("C"),
            name="general",
            created=self._now(),
            creator=ws.bot_user_id,
            is_general=True,
        )
        ws.channels[general.id] = general

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Serve on a background thread with its own event loop; returns once listening.

        After `stop` it serves again on the same port, with the workspace as it was (a restart).
        """
        if self._thread is not None:
            raise SandboxError("sandbox already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self.port = loop.run_until_complete(self.server.start(self.config.host, self.port))
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.server.stop())
            loop.close()

        self._thread = threading.Thread(target=run, name="slack-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise SandboxError(f"sandbox could not start: {failure[0]}") from failure[0]
        return self

    def stop(self) -> None:
        """Stop serving and join the thread; the workspace stays, and `start` serves it again."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._thread, self._loop = None, None

    async def restart(self, *, down_for: float = 0.0) -> None:
        """Slack going away and coming back: stop (connections are refused), stay down `down_for`
        seconds, then serve again on the same port with every channel, message and call kept.

        Requests in flight are answered first; events not yet delivered are dropped, as an outage would.
        """
        await asyncio.to_thread(self.stop)
        self.restarts += 1
        await asyncio.sleep(down_for)
        await asyncio.to_thread(self.start)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://host:port"""
        return f"http://{self.config.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL for slack-sdk (methods live at /api/<method>)."""
        return f"{self.base_url}/api/"

    @property
    def bot_user_id(self) -> str:
        """The app's bot user."""
        return self.ws.bot_user_id

    @property
    def bot_id(self) -> str:
        """The app's bot id (B…)."""
        return self.ws.bot_id

    @property
    def app_id(self) -> str:
        """The app id (A…)."""
        return self.ws.app_id

    @property
    def team_id(self) -> str:
        """The workspace id."""
        return self.ws.team_id

    @property
    def bot_token(self) -> str:
        """The bot token the app uses."""
        return self.config.bot_token

    @property
    def signing_secret(self) -> str:
        """The app's signing secret."""
        return self.config.signing_secret

    @property
    def app_token(self) -> str:
        """The app-level token (xapp-) that apps.connections.open accepts."""
        return self.config.app_token

    @property
    def socket_mode(self) -> bool:
        """Whether payloads go over Socket Mode rather than to the request URL."""
        return self.socket.enabled

    def set_rate_limits(self, limits: RateLimitConfig) -> None:
        """Switch rate limiting at run time."""
        self.config = replace(self.config, rate_limits=limits)
        self.limiter.reconfigure(limits)

    def set_faults(self, faults: FaultConfig) -> None:
        """Switch fault injection at run time."""
        self.config = replace(self.config, faults=faults)
        self.faults.reconfigure(faults)

    def set_socket_mode(self, socket_mode: SocketModeConfig) -> None:
        """Switch Socket Mode (and its refresh fault) at run time; switching it off sends `link_disabled`."""
        self.config = replace(self.config, socket_mode=socket_mode)
        self.socket.config = socket_mode
        if not self.socket.enabled and self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.socket.disconnect("link_disabled"), self._loop)

    def socket_connections(self) -> list[dict[str, Any]]:
        """Open Socket Mode connections: id, opened, draining, envelopes sent, acks received."""
        return self.socket.connections()

    async def disconnect_sockets(
        self, reason: str = "refresh_requested", connection: int | None = None
    ) -> int:
        """Send Slack's `disconnect` message to one or every connection; returns how many got it."""
        return await self.run_in_loop(lambda: self.socket.disconnect(reason, connection))

    # -- people, driver, app-side plumbing ------------------------------------------------------

    def human(self, user_id: str) -> Human:
        """Act as a person through the real Web API with their user token."""
        from .human import Human

        return Human(self, user_id)

    def driver(self) -> Driver:
        """Send what Slack sends to the app's request URL."""
        from .driver import Driver

        return Driver(self)

    def register_trigger(self, user_id: str) -> str:
        """A fresh trigger_id for `user_id`, valid for `trigger_ttl` seconds and one use."""
        team_number = int("".join(ch for ch in self.ws.team_id if ch.isdigit()) or "1")
        trigger = Trigger(id=self.ids.trigger_id(team_number), user=user_id, created=self.config.clock())
        with self.ws.lock:
            self.ws.triggers[trigger.id] = trigger
        return trigger.id

    def register_response_url(
        self, *, user: str, channel: str | None, source: str, message_ts: str | None = None
    ) -> str:
        """A response_url the sandbox serves (5 uses within 30 minutes)."""
        url = ResponseUrl(
            token=self.ids.secret("response"),
            user=user,
            channel=channel,
            created=self.config.clock(),
            source=source,
            message_ts=message_ts,
        )
        with self.ws.lock:
            self.ws.response_urls[url.token] = url
        return f"{self.base_url}/_sandbox/respond/{url.token}"

    async def run_in_loop(self, factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run a coroutine on the sandbox's loop and await it from any other loop."""
        if self._loop is None:
            raise SandboxError("sandbox is not running")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(factory(), self._loop))

    async def open_home(self, user_id: str) -> None:
        """The user opens the app's Home tab: `app_home_opened`, delivered before this returns."""

        async def deliver() -> None:
            with self.ws.lock:
                ctx = self.server.bot_context()
                from .methods.conversations import open_conversation

                dm, _ = open_conversation(ctx, [user_id])
                home = self.ws.views.get(self.ws.home_views.get(user_id, ""))
                event: dict[str, Any] = {
                    "type": "app_home_opened",
                    "user": user_id,
                    "channel": dm.id,
                    "tab": "home",
                    "event_ts": self.svc.ts.next(),
                }
                if home is not None:
                    event["view"] = view_json(home)
                future = self.bus.publish(event, None)
            if future is not None:
                await future

        await self.run_in_loop(deliver)

    async def run_scheduled(self) -> None:
        """Post scheduled messages that are due now (useful with a fake clock)."""

        async def run() -> None:
            futures = self.server.post_scheduled()
            if futures:
                await asyncio.gather(*futures)

        await self.run_in_loop(run)

    async def wait_for(
        self,
        predicate: Callable[[], Any | Awaitable[Any]],
        timeout: float = 5.0,
        *,
        interval: float = 0.02,
        message: str = "",
    ) -> Any:
        """Poll until `predicate()` is truthy and return its value; else raise listing recent traffic."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if asyncio.iscoroutine(value) or isinstance(value, Awaitable):
                value = await value
            if value:
                return value
            if time.monotonic() >= deadline:
                raise SandboxTimeout(self._timeout_report(predicate, timeout, message))
            await asyncio.sleep(interval)

    def _timeout_report(self, predicate: Callable[..., Any], timeout: float, message: str) -> str:
        name = getattr(predicate, "__name__", repr(predicate))
        calls = [
            f"  {c['method']} [{c['token_kind']}] -> {c['status']} {c['response'].get('error') or 'ok'}"
            for c in self.calls()[-10:]
        ]
        deliveries = [
            f"  {d['kind']} {(d['payload'].get('event') or {}).get('type', '')} retry={d['retry_num']} "
            f"[{d['transport']}] -> {d['status']} {d['failure'] or ''}"
            for d in self.deliveries()[-10:]
        ]
        return "\n".join(
            [
                f"condition {name} not met within {timeout}s. {message}".rstrip(),
                "last Web API calls:",
                *(calls or ["  (none)"]),
                "last deliveries to the app:",
                *(deliveries or ["  (none)"]),
            ]
        )
