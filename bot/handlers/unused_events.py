"""Events the manifest subscribes to that this version does not act on yet.

They are acknowledged, so Slack does not retry them and the app answers 200 rather than 404. Every event
the manifest subscribes to has a real listener now (app_home_opened: handlers/home.py), so the list is
empty; it stays as the place for the next one.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

NOT_YET_HANDLED: tuple[str, ...] = ()


async def acknowledge() -> None:
    """Nothing to do for this event yet."""


def register(app: AsyncApp) -> None:
    """Attach a no-op listener per event type not yet handled."""
    for event_type in NOT_YET_HANDLED:
        app.event(event_type)(acknowledge)
