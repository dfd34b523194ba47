"""The Home tab: published fresh whenever the person opens it; its channel buttons are plain links."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.errors import SlackCallFailed
from bot.handlers.acking import ack_first
from bot.handlers.payloads import optional_text
from bot.surfaces import Surfaces

log = logging.getLogger(__name__)

OPEN_CHANNEL = "home_open_channel"
USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")


async def home_opened(event: dict[str, Any], surfaces: Surfaces) -> None:
    """app_home_opened on the Home tab (not the Messages tab): publish it as of now."""
    user = optional_text(event, "user")
    if user is None or not USER_ID.fullmatch(user) or event.get("tab", "home") != "home":
        return  # not a person's Home tab (or not Slack's payload): nothing to publish
    try:
        await surfaces.home.publish(user)
    except SlackCallFailed as failure:  # nobody to explain it to: the tab shows its last version
        log.warning("could not publish the Home of %r: %s", user, failure)


async def channel_link_clicked() -> None:
    """Slack opens the channel itself (the button has a url) and still sends the click: just ack it."""


def register(app: AsyncApp) -> None:
    """Attach the Home tab's listeners."""
    app.event("app_home_opened")(ack_first(home_opened))
    app.action(OPEN_CHANNEL)(ack_first(channel_link_clicked))
