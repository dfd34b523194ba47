"""The demo world `swarmbot sandbox --seed`, `swarmbot demo` and the end-to-end tests share.

A small support organisation: front-line agents, experts with skills, leads and managers in the user groups
the bundled playbooks notify, #support where escalations start and #escalations-feed for stakeholders.
`experts_file(cast)` writes its expert directory in the format `swarmbot experts import` reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sandbox import Sandbox


@dataclass(frozen=True)
class Person:
    """Someone in the demo world, and what the expert directory says about them (if anything)."""

    name: str
    real_name: str
    timezone: str
    tier: str | None = None  # None: not in the expert directory
    skills: tuple[str, ...] = ()
    hours: str = "00:00-24:00"
    max_active_swarms: int = 3


PEOPLE = (
    Person("alice", "Alice Ng", "Europe/Berlin", "L1", ("support",)),
    Person("bob", "Bob Okafor", "America/New_York", "L3", ("postgres:3", "sre"), "08:00-20:00"),
    Person("carol", "Carol Diaz", "America/Los_Angeles", "L2", ("billing:3", "payments"), "07:00-19:00"),
    Person("dave", "Dave Kim", "Asia/Seoul"),
    Person("erin", "Erin Walsh", "Europe/Dublin", "L3", ("sre:3", "networking"), "09:00-18:00"),
    Person("frank", "Frank Moreau", "Europe/Paris", "L2", ("postgres", "identity"), "09:00-18:00"),
    Person("grace", "Grace Liu", "Asia/Singapore", "L2", ("sre", "engineering"), "09:00-18:00"),
)
# Monday 15:00 UTC: New York, Dublin, Paris and Los Angeles are at work, Singapore has gone home.
DEMO_TIME = "2026-11-23T15:00:00+00:00"
USERGROUPS = {
    "support-leads": ("Support leads", ("dave",)),
    "support-managers": ("Support managers", ("dave",)),
    "eng-managers": ("Engineering managers", ("grace",)),
    "account-managers": ("Account managers", ("carol",)),
}


@dataclass(frozen=True)
class Cast:
    """Ids of the seeded people, groups and channels."""

    people: dict[str, str]
    usergroups: dict[str, str]
    support_channel: str
    feed_channel: str


def seed_demo(sb: Sandbox) -> Cast:
    """The people, their user groups, #support (everyone and the bot) and #escalations-feed."""
    people = {
        p.name: sb.add_user(p.name, real_name=p.real_name, email=f"{p.name}@example.com", tz=p.timezone)
        for p in PEOPLE
    }
    groups = {
        handle: sb.add_usergroup(handle, name=name, users=[people[member] for member in members])
        for handle, (name, members) in USERGROUPS.items()
    }
    support = sb.add_channel(
        "support",
        created_by=people["alice"],
        members=[sb.bot_user_id, *people.values()],
        purpose="Customer support",
    )
    feed = sb.add_channel(
        "escalations-feed",
        created_by=people["dave"],
        members=[people["dave"], people["carol"]],
        purpose="Where stakeholders hear about escalations",
    )
    return Cast(people=people, usergroups=groups, support_channel=support, feed_channel=feed)


def experts_file(cast: Cast) -> str:
    """The demo world's expert directory as the YAML `swarmbot experts import` reads."""
    lines = ["experts:"]
    for person in PEOPLE:
        if person.tier is None:
            continue
        skills = ", ".join(
            f"{{tag: {tag}, proficiency: {level}}}" if level else tag
            for tag, _, level in (skill.partition(":") for skill in person.skills)
        )
        lines += [
            f"  - slack_id: {cast.people[person.name]}",
            f"    name: {person.real_name}",
            f"    skills: [{skills}]",
            f"    tier: {person.tier}",
            f"    timezone: {person.timezone}",
            f'    hours: "{person.hours}"',
            f"    max_active_swarms: {person.max_active_swarms}",
        ]
    return "\n".join(lines) + "\n"
