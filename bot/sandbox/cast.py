"""The small demo cast `swarmbot sandbox --seed` creates: support people, experts, leads and #support."""

from __future__ import annotations

from dataclasses import dataclass

from .sandbox import Sandbox

PEOPLE = [
    ("alice", "Alice Ng", "Europe/Berlin"),
    ("bob", "Bob Okafor", "America/New_York"),
    ("carol", "Carol Diaz", "America/Los_Angeles"),
    ("dave", "Dave Kim", "Asia/Seoul"),
    ("erin", "Erin Walsh", "Europe/Dublin"),
]


@dataclass(frozen=True)
class Cast:
    """Ids of the seeded people, groups and channel."""

    people: dict[str, str]
    usergroups: dict[str, str]
    support_channel: str


def seed_demo(sb: Sandbox) -> Cast:
    """Five people, @support-leads and @eng-managers, and #support with everyone (and the bot) in it."""
    people = {
        name: sb.add_user(name, real_name=real, email=f"{name}@example.com", tz=tz)
        for name, real, tz in PEOPLE
    }
    groups = {
        "support-leads": sb.add_usergroup("support-leads", name="Support leads", users=[people["alice"]]),
        "eng-managers": sb.add_usergroup("eng-managers", name="Engineering managers", users=[people["dave"]]),
    }
    support = sb.add_channel(
        "support",
        created_by=people["alice"],
        members=[sb.bot_user_id, *people.values()],
        purpose="Customer support",
    )
    return Cast(people=people, usergroups=groups, support_channel=support)
