"""`swarmbot sandbox`: run the local Slack workspace standalone and point a real bot process at it."""

from __future__ import annotations

import threading

import click

from .cast import seed_demo
from .config import RateLimitConfig, SandboxConfig, SocketModeConfig
from .sandbox import Sandbox


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8900, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option("--request-url", default=None, help="The app's events/commands/interactivity URL.")
@click.option("--signing-secret", default="sandbox-signing-secret", show_default=True)
@click.option("--bot-token", default="xoxb-sandbox-bot-token", show_default=True)
@click.option("--app-token", default="xapp-1-sandbox-app-token", show_default=True, help="For Socket Mode.")
@click.option(
    "--socket/--http",
    "socket_mode",
    default=None,
    help="Deliver over Socket Mode or to the request URL.  [default: as manifest.yml says]",
)
@click.option("--seed/--no-seed", default=True, show_default=True, help="Create a demo cast and #support.")
@click.option(
    "--rate-limits/--no-rate-limits", default=False, show_default=True, help="Enforce Slack's tiers."
)
def sandbox_command(
    host: str,
    port: int,
    request_url: str | None,
    signing_secret: str,
    bot_token: str,
    app_token: str,
    socket_mode: bool | None,
    seed: bool,
    rate_limits: bool,
) -> None:
    """Serve a local Slack workspace (Web API at /api/, state at /_sandbox/state) until Ctrl-C."""
    config = SandboxConfig(
        host=host,
        port=port,
        request_url=request_url,
        signing_secret=signing_secret,
        bot_token=bot_token,
        app_token=app_token,
        rate_limits=RateLimitConfig(enabled=rate_limits),
        socket_mode=SocketModeConfig(enabled=socket_mode),
    )
    sb = Sandbox(config).start()
    click.echo(f"Slack sandbox listening: SLACK_API_URL={sb.api_url}")
    click.echo(f"  SLACK_BOT_TOKEN={sb.bot_token}")
    click.echo(f"  SLACK_SIGNING_SECRET={sb.signing_secret}")
    click.echo(f"  bot user {sb.bot_user_id}, bot {sb.bot_id}, app {sb.app_id}, team {sb.team_id}")
    click.echo(f"  SLACK_APP_TOKEN={sb.app_token}")
    if sb.socket_mode:
        click.echo("  Socket Mode: on (run `swarmbot serve --socket`; the request URL is not used)")
    else:
        click.echo(f"  request URL: {request_url or '(none: events are only logged)'}")
    click.echo(f"  state: {sb.base_url}/_sandbox/state")
    if seed:
        cast = seed_demo(sb)
        click.echo(f"  #support {cast.support_channel}")
        for name, user_id in cast.people.items():
            click.echo(f"  @{name} {user_id} token {sb.token_of(user_id)}")
        for handle, group_id in cast.usergroups.items():
            click.echo(f"  @{handle} {group_id}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        sb.stop()
