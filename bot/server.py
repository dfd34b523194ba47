"""The HTTP front door (Starlette routes behind uvicorn) and Socket Mode."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import build_app
from bot.clock import Clock
from bot.config import Settings
from bot.scheduler.cli import run_worker
from bot.services import Services

log = logging.getLogger(__name__)

# The first generation's threshold for a long-running server (Python's default is 700 allocations):
# fewer collections, so fewer of the full ones whose pauses land on the slowest acks.
SERVER_GC_THRESHOLD = 20_000


def settle_garbage_collector() -> None:
    """Once started: what was built at start-up is never collected again; collections come less often."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(SERVER_GC_THRESHOLD, middle, oldest)


@asynccontextmanager
async def scheduler_alongside(services: Services, *, enabled: bool) -> AsyncIterator[None]:
    """Run the scheduler in this process while the block runs (`serve --with-worker`)."""
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(services, stop=stop, grace=5), name="scheduler")
    try:
        yield
    finally:
        stop.set()
        await worker


def build_asgi(
    settings: Settings, *, clock: Clock | None = None, with_worker: bool = False, own_process: bool = False
) -> Starlette:
    """The ASGI app: `POST /slack/events` (events, commands, interactivity) and `GET /healthz`.

    `own_process`: the app is the process (`swarmbot serve`), so it may tune the garbage collector.
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = Services.create(settings, clock=clock)
        try:
            await services.check_ready()
            app.state.services = services
            app.state.slack = AsyncSlackRequestHandler(build_app(services))
            if own_process:
                settle_garbage_collector()
            async with scheduler_alongside(services, enabled=with_worker):
                yield
        finally:
            await services.aclose()

    async def slack_events(request: Request) -> Response:
        handler: AsyncSlackRequestHandler = request.app.state.slack
        try:
            return await handler.handle(request)
        except Exception:
            # Bolt parses payloads before any listener runs and assumes Slack's shapes (view.type, …): a
            # signed but malformed body is the sender's mistake, answered 400, not a 500 that invites retries.
            log.warning("could not process a Slack request: malformed payload", exc_info=True)
            return JSONResponse({"ok": False, "error": "malformed_payload"}, status_code=400)

    async def healthz(request: Request) -> Response:
        services: Services = request.app.state.services
        report = await services.health()
        healthy = all(state == "ok" for state in report.values())
        return JSONResponse({"ok": healthy, **report}, status_code=200 if healthy else 503)

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def uvicorn_config(
    settings: Settings,
    *,
    host: str,
    port: int,
    clock: Clock | None = None,
    log_level: str = "info",
    with_worker: bool = False,
    own_process: bool = False,
) -> uvicorn.Config:
    """uvicorn's configuration for swarmbot."""
    return uvicorn.Config(
        build_asgi(settings, clock=clock, with_worker=with_worker, own_process=own_process),
        host=host,
        port=port,
        lifespan="on",
        log_level=log_level,
        log_config=None,  # uvicorn logs through our handler: one format, request ids, secrets masked
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


def run_http(
    settings: Settings, *, host: str = "0.0.0.0", port: int | None = None, with_worker: bool = False
) -> None:
    """Serve until interrupted."""
    config = uvicorn_config(
        settings, host=host, port=port or settings.port, with_worker=with_worker, own_process=True
    )
    uvicorn.Server(config).run()


@asynccontextmanager
async def serving(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None
) -> AsyncIterator[str]:
    """Run the real HTTP server inside the current event loop; yields its events URL (demo and tests)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn_config(settings, host=host, port=sock.getsockname()[1], clock=clock, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises what stopped the server from starting
            raise RuntimeError("the server stopped before it started; see the log above")
        await asyncio.sleep(0.01)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}/slack/events"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


async def run_socket_mode(settings: Settings, *, with_worker: bool = False) -> None:
    """Connect to Slack over Socket Mode (no public URL needed) until cancelled."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    services = Services.create(settings)
    try:
        await services.check_ready()
        handler = AsyncSocketModeHandler(build_app(services), settings.app_token())
        async with scheduler_alongside(services, enabled=with_worker):
            await handler.start_async()  # type: ignore[no-untyped-call]
    finally:
        await services.aclose()
