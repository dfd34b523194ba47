"""auth.test and team.info."""

from __future__ import annotations

from typing import Any

from .context import CallContext
from .registry import method


@method("auth.test", tier="special_auth_test")
def auth_test(ctx: CallContext) -> dict[str, Any]:
    """Who the token belongs to."""
    body: dict[str, Any] = {
        "url": f"https://{ctx.ws.team_domain}.slack.com/",
        "team": ctx.ws.team_name,
        "user": ctx.me.name,
        "team_id": ctx.ws.team_id,
        "user_id": ctx.caller.user_id,
        "is_enterprise_install": False,
    }
    if ctx.caller.is_bot:
        body["bot_id"] = ctx.ws.bot_id
    return body


@method("team.info", tier="tier3", scopes=("team:read",))
def team_info(ctx: CallContext) -> dict[str, Any]:
    """The workspace."""
    ws = ctx.ws
    return {
        "team": {
            "id": ws.team_id,
            "name": ws.team_name,
            "domain": ws.team_domain,
            "email_domain": "",
            "icon": {"image_default": True},
            "avatar_base_url": "",
            "is_verified": False,
            "url": f"https://{ws.team_domain}.slack.com/",
        }
    }
