"""The framework's floor: a bare Bolt app on swarmbot's server stack whose listeners only ack.

    python -m bench.floor_app --port 3100      (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL)

Same pieces as `swarmbot serve` (bot/server.py): Bolt's AsyncApp with the same signing secret and client
(so the same request verification and single-team authorization, auth.test asked once), behind Bolt's
Starlette adapter, behind uvicorn with the same settings. Nothing else: no middleware, no services.
"""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack.client import build_client

COMMANDS = ("/escalate",)
EVENTS = ("reaction_added", "reaction_removed", "member_joined_channel", "app_home_opened", "message")
ACTIONS = ("invitation_accept", "invitation_decline")


def build_floor_asgi(*, token: str, signing_secret: str, api_url: str) -> Starlette:
    """Starlette + Bolt, listeners that only ack."""
    app = AsyncApp(
        client=build_client(token=token, base_url=api_url),
        signing_secret=signing_secret,
        logger=logging.getLogger("floor.bolt"),
        process_before_response=False,
    )

    async def just_ack(ack: AsyncAck) -> None:
        await ack()

    for command in COMMANDS:
        app.command(command)(just_ack)
    for event in EVENTS:
        app.event(event)(just_ack)
    for action in ACTIONS:
        app.action(action)(just_ack)
    handler = AsyncSlackRequestHandler(app)

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor_app", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    asgi = build_floor_asgi(
        token=os.environ["SLACK_BOT_TOKEN"],
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ["SLACK_API_URL"],
    )
    # The same uvicorn settings as bot.server.uvicorn_config.
    config = uvicorn.Config(
        asgi,
        host=args.host,
        port=args.port,
        lifespan="on",
        log_level="warning",
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
