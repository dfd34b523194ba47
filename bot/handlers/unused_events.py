"""Events the manifest subscribes to that this version does not act on yet.

They are acknowledged, so Slack does not retry them and the app answers 200 rather than 404. Task claims
by reaction and the App Home replace these listeners as they land.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

NOT_YET_HANDLED = ("reaction_added", "reaction_removed", "app_home_opened")


async def acknowledge() -> None:
    """Nothing to do for this event yet."""


def register(app: AsyncApp) -> None:
    """Attach a no-op listener per event type not yet handled."""
    for event_type in NOT_YET_HANDLED:
        app.event(event_type)(acknowledge)
