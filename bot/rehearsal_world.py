"""The sandbox world a rehearsal runs in: the demo's support team, plus a stand-in for everyone the
playbook names that the demo world lacks.

Every user group and channel the playbook notifies gets created (a group with one stand-in member), and
every skill it asks for gets a stand-in expert who is always on shift, so the timeline shows each
notification and invitation going out rather than "no such user group". What the rehearsal then shows is
the playbook, not the gaps of a made-up directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.playbooks import Playbook
from bot.sandbox import Sandbox
from bot.sandbox.cast import PEOPLE, USERGROUPS, Cast, experts_file, seed_demo

STAND_IN_NAME_MAX = 21  # Slack's limit on a username


@dataclass(frozen=True)
class RehearsalWorld:
    """The seeded workspace and the expert directory to import."""

    cast: Cast
    experts_yaml: str
    stand_ins: tuple[str, ...]  # what was added for the playbook, one line each


def needed_groups(playbook: Playbook) -> list[str]:
    """User-group handles the playbook notifies or fills roles from."""
    handles = [t.name for level in playbook.escalation for t in level.notify if t.kind == "usergroup"]
    handles += [r.fill.name for r in playbook.roles if r.fill.kind == "usergroup" and r.fill.name]
    return list(dict.fromkeys(handles))


def needed_channels(playbook: Playbook) -> list[str]:
    """Channels the playbook posts to by name."""
    names = [t.name for level in playbook.escalation for t in level.notify if t.kind == "channel"]
    if playbook.stakeholders is not None and playbook.stakeholders.channel:
        names.append(playbook.stakeholders.channel)
    return list(dict.fromkeys(names))


def needed_skills(playbook: Playbook) -> list[str]:
    """Skills the playbook pulls experts in for, or fills roles by."""
    tags = [expert.skill for expert in playbook.experts]
    tags += [r.fill.name for r in playbook.roles if r.fill.kind == "skill" and r.fill.name]
    return list(dict.fromkeys(tags))


def seed_world(sb: Sandbox, playbook: Playbook) -> RehearsalWorld:
    """Seed the demo world and the playbook's stand-ins into `sb`."""
    cast = seed_demo(sb)
    added: list[str] = []
    for handle in needed_groups(playbook):
        if handle not in USERGROUPS:
            member = sb.add_user(_stand_in_name(handle, "-1"), real_name=f"Stand-in for @{handle}")
            cast.usergroups[handle] = sb.add_usergroup(handle, name=handle, users=[member])
            added.append(f"user group @{handle} (one stand-in member)")
    for name in needed_channels(playbook):
        if sb.channel_by_name(name) is None:
            sb.add_channel(name, created_by=cast.people["dave"], members=[cast.people["dave"]])
            added.append(f"channel #{name}")
    known = {skill.partition(":")[0] for person in PEOPLE for skill in person.skills}
    lines = [experts_file(cast).rstrip("\n")]
    for tag in needed_skills(playbook):
        if tag in known:
            continue
        expert = sb.add_user(_stand_in_name(tag, "-expert"), real_name=f"Stand-in #{tag} expert")
        lines += [
            f"  - slack_id: {expert}",
            f"    name: Stand-in {tag} expert",
            f"    skills: [{tag}]",
            "    tier: L3",
            "    timezone: UTC",
            '    hours: "00:00-24:00"',
            "    max_active_swarms: 5",
        ]
        added.append(f"expert with #{tag} (always on shift)")
    return RehearsalWorld(cast=cast, experts_yaml="\n".join(lines) + "\n", stand_ins=tuple(added))


def _stand_in_name(base: str, suffix: str) -> str:
    return base.lower()[: STAND_IN_NAME_MAX - len(suffix)].strip("-_.") + suffix
