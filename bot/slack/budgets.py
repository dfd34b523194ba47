"""Slack's rate-limit budgets per Web API method, as the pacer keeps to them.

Slack limits each app per workspace and per method by tier (docs.slack.dev/apis/web-api/rate-limits:
Tier 1 1+ calls a minute, Tier 2 20+, Tier 3 50+, Tier 4 100+), with special cases: chat.postMessage
allows about one message a second per channel with short bursts, auth.test and chat.getPermalink hundreds
a minute. The sandbox enforces the same table (bot/sandbox/ratelimit.py; a test keeps them equal).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """Calls a minute and how many may go at once (None: a whole minute's budget), before `scale`."""

    per_minute: float
    burst: float | None = None
    per_channel: bool = False  # a separate bucket for each channel (chat.postMessage)


# Slack's published minimums per tier; the same table the sandbox enforces (bot/sandbox/ratelimit.py).
TIER_BUDGETS: dict[str, Budget] = {
    "tier1": Budget(1),
    "tier2": Budget(20),
    "tier3": Budget(50),
    "tier4": Budget(100),
}
SPECIAL_BUDGETS: dict[str, Budget] = {
    # "Hundreds of requests per minute" (600, as Slack's Java SDK budgets them).
    "auth.test": Budget(600),
    "chat.getPermalink": Budget(600),
    # "One message per second per channel", short bursts allowed.
    "chat.postMessage": Budget(60, burst=3, per_channel=True),
}
METHOD_TIERS: dict[str, str] = {
    "apps.connections.open": "tier1",
    "bookmarks.add": "tier2",
    "bookmarks.list": "tier3",
    "bookmarks.remove": "tier2",
    "chat.delete": "tier3",
    "chat.deleteScheduledMessage": "tier3",
    "chat.postEphemeral": "tier4",
    "chat.scheduleMessage": "tier3",
    "chat.scheduledMessages.list": "tier3",
    "chat.update": "tier3",
    "conversations.archive": "tier2",
    "conversations.create": "tier2",
    "conversations.history": "tier3",
    "conversations.info": "tier3",
    "conversations.invite": "tier3",
    "conversations.join": "tier3",
    "conversations.list": "tier2",
    "conversations.members": "tier4",
    "conversations.open": "tier3",
    "conversations.replies": "tier3",
    "conversations.setPurpose": "tier2",
    "conversations.setTopic": "tier2",
    "conversations.unarchive": "tier2",
    "pins.add": "tier2",
    "pins.list": "tier2",
    "pins.remove": "tier2",
    "reactions.add": "tier3",
    "reactions.get": "tier3",
    "reactions.remove": "tier2",
    "team.info": "tier3",
    "usergroups.list": "tier2",
    "usergroups.users.list": "tier2",
    "users.info": "tier4",
    "users.list": "tier2",
    "users.lookupByEmail": "tier3",
    "views.open": "tier4",
    "views.publish": "tier4",
    "views.push": "tier4",
    "views.update": "tier4",
}
DEFAULT_TIER = "tier3"  # most Web API methods; a method missing above is paced as Tier 3


def budget_for(method: str) -> Budget:
    """The budget `method` is paced by."""
    return SPECIAL_BUDGETS.get(method) or TIER_BUDGETS[METHOD_TIERS.get(method, DEFAULT_TIER)]
