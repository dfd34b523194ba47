"""apps.connections.open: the app-level token trades for a single-use Socket Mode WebSocket URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .context import CallContext
from .registry import method


# Slack: Tier 1; "This API method uses an app-level token"; the token needs `connections:write`.
@method("apps.connections.open", tier="tier1", scopes=("connections:write",), app_level=True)
def connections_open(ctx: CallContext) -> dict[str, Any]:
    """A fresh `ws://…/link/?ticket=…&app_id=…` URL; its ticket opens exactly one connection."""
    ticket = ctx.svc.ids.secret("ticket")
    ctx.ws.socket_tickets[ticket] = ctx.svc.config.clock()
    host = urlsplit(ctx.svc.api_url()).netloc
    return {"url": f"ws://{host}/link/?ticket={ticket}&app_id={ctx.ws.app_id}"}
