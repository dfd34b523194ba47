"""Events the manifest subscribes to that this version does not act on yet.

They are acknowledged, so Slack does not retry them and the app answers 200 rather than 404. The App Home
replaces this listener when it lands.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

NOT_YET_HANDLED = ("app_home_opened",)


async def acknowledge() -> None:
    """Nothing to do for this event yet."""


def register(app: AsyncApp) -> None:
    """Attach a no-op listener per event type not yet handled."""
    for event_type in NOT_YET_HANDLED:
        app.event(event_type)(acknowledge)
