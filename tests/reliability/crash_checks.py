"""The crash suite's inspection: storage, the sandbox's channels and what people did, compared."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.sandbox import Sandbox
from storage.db import SessionFactory
from storage.models import (
    Invitation,
    Job,
    StatusUpdate,
    Swarm,
    Task,
    Ticket,
    TimelineEntry,
    Transcript,
)
from tests.reliability.crash_script import Escalation, Tally

BRIEF = re.compile(r"^SEV\d escalation for ticket ")
TASK = re.compile(r"\*Task (\d+)\*")
INVITATION = " swarm for {}"  # the invitation DM's text before it is answered


@dataclass
class Findings:
    """What the inspection after the run found; `duplicates` and `lost` must stay empty."""

    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)  # a problem swarm's timeline
    reminders_fired: int = 0
    reminder_due_times: int = 0
    swarms: int = 0
    resolved: int = 0
    archived: int = 0


async def inspect(
    sandbox: Sandbox, sessions: SessionFactory, script: list[Escalation], tally: Tally
) -> Findings:
    """Compare storage, the sandbox's channels and what the people did."""
    found = Findings()
    bot = sandbox.bot_user_id
    async with sessions() as session:
        swarms = (await session.execute(select(Swarm, Ticket.ticket_id).join(Ticket))).all()
        tasks = (await session.scalars(select(Task))).all()
        invitations = (await session.scalars(select(Invitation))).all()
        transcripts = {t.swarm_id: t for t in (await session.scalars(select(Transcript))).all()}
        updates = (
            await session.execute(
                select(Ticket.ticket_id, StatusUpdate.text)
                .select_from(StatusUpdate)
                .join(Swarm, StatusUpdate.swarm_id == Swarm.id)
                .join(Ticket, Swarm.ticket_pk == Ticket.id)
            )
        ).all()
        jobs = (await session.scalars(select(Job))).all()
        timeline = (await session.scalars(select(TimelineEntry).order_by(TimelineEntry.id))).all()
    by_ticket = Counter(ticket for _, ticket in swarms)
    for escalation in script:
        if by_ticket[escalation.ticket_id] == 0:
            found.lost.append(f"{escalation.ticket_id}: no swarm")
        elif by_ticket[escalation.ticket_id] > 1:
            found.duplicates.append(f"{escalation.ticket_id}: {by_ticket[escalation.ticket_id]} swarms")
    found.swarms = len(swarms)
    swarm_channels = {swarm.channel_id for swarm, _ in swarms if swarm.channel_id}
    for channel in sandbox.channels():
        if channel["creator"] == bot and not channel["is_general"] and channel["id"] not in swarm_channels:
            found.orphans.append(f"#{channel['name']} ({channel['id']}) belongs to no swarm")
    for swarm, ticket in swarms:
        check_swarm(sandbox, found, swarm, ticket, tasks, invitations, transcripts.get(swarm.id))
    check_reminders(sandbox, found, swarms, jobs)
    # Every acknowledged action shows in the end state.
    ticket_of = {swarm.id: ticket for swarm, ticket in swarms}
    claimed = {(ticket_of[t.swarm_id], t.position): t.claimed_by for t in tasks}
    for ticket, position, user in tally.claims:
        if claimed.get((ticket, position)) != user:
            found.lost.append(f"{ticket}: the claim of task {position} by {user} was not recorded")
    accepted = {(ticket_of[i.swarm_id], i.user_id): i.status for i in invitations}
    for ticket, expert in tally.accepts:
        if accepted.get((ticket, expert)) != "accepted":
            found.lost.append(f"{ticket}: {expert}'s accept was not recorded")
    for (ticket, text), times in Counter((t, x) for t, x in updates).items():
        if times > 1:
            found.duplicates.append(f"{ticket}: status update {text!r} recorded {times} times")
    for ticket, text in tally.updates:
        if (ticket, text) not in set(updates):
            found.lost.append(f"{ticket}: status update {text!r} not recorded")
    status_of = {ticket: swarm.status for swarm, ticket in swarms}
    for ticket in tally.resolves:
        if status_of.get(ticket) != "resolved":
            found.lost.append(f"{ticket}: the resolve was not recorded")
    for job in jobs:
        if job.state == "failed":
            found.lost.append(f"job {job.id} ({job.kind}, swarm {job.swarm_id}) failed: {job.last_error}")
    problems = " ".join(found.duplicates + found.lost + found.incomplete)
    for entry in timeline:
        ticket = ticket_of.get(entry.swarm_id or 0, "?")
        if f"(swarm {entry.swarm_id})" in problems or f"{ticket}:" in problems:
            found.evidence.setdefault(f"swarm {entry.swarm_id}", []).append(
                f"{entry.at:%H:%M:%S.%f} {entry.kind} {entry.actor or ''} {json.dumps(entry.detail)[:160]}"
            )
    return found


def check_swarm(
    sandbox: Sandbox,
    found: Findings,
    swarm: Swarm,
    ticket: str,
    tasks: Any,
    invitations: Any,
    transcript: Transcript | None,
) -> None:
    """One swarm: whole in storage and in Slack, nothing posted twice, resolved ones archived."""
    label = f"{ticket} (swarm {swarm.id})"
    missing = [
        step
        for step, done in (
            ("status open or resolved", swarm.status in ("open", "resolved")),
            ("channel", swarm.channel_id is not None),
            ("people invited", swarm.people_invited),
            ("topic", swarm.topic_set),
            ("purpose", swarm.purpose_set),
            ("brief", swarm.brief_ts is not None),
            ("brief pinned", swarm.brief_pinned),
        )
        if not done
    ]
    if missing or swarm.channel_id is None:
        found.incomplete.append(f"{label}: missing {', '.join(missing)}")
        return
    channel = sandbox.channel(swarm.channel_id) or {}
    if not channel.get("topic", {}).get("value"):
        found.incomplete.append(f"{label}: the channel has no topic")
    members = set(sandbox.members(swarm.channel_id))
    if swarm.requested_by not in members:
        found.incomplete.append(f"{label}: the requester is not in the channel")
    if swarm.brief_ts not in {pin["ts"] for pin in sandbox.pins(swarm.channel_id)}:
        found.incomplete.append(f"{label}: the brief is not pinned")
    own_tasks = [t for t in tasks if t.swarm_id == swarm.id]
    if not own_tasks or any(t.message_ts is None for t in own_tasks):
        found.incomplete.append(f"{label}: tasks not all posted")
    for invitation in (i for i in invitations if i.swarm_id == swarm.id):
        if invitation.user_id not in members:
            found.incomplete.append(f"{label}: expert {invitation.user_id} not in the channel")
        # The DM is updated in place once answered: the recorded one, plus any unrecorded copy.
        dms = [
            m
            for m in sandbox.messages(invitation.dm_channel or "", system=False)
            if m["ts"] == invitation.dm_ts
            or (m.get("user") == sandbox.bot_user_id and INVITATION.format(ticket) in (m.get("text") or ""))
        ]
        if not dms:
            found.incomplete.append(f"{label}: expert {invitation.user_id} was not told")
        elif len(dms) > 1:
            found.duplicates.append(f"{label}: expert {invitation.user_id} was told {len(dms)} times")
    bot_messages = [
        m for m in sandbox.messages(swarm.channel_id, system=False) if m.get("user") == sandbox.bot_user_id
    ]
    posted_once: dict[str, list[str]] = defaultdict(list)  # what → the ts of each copy
    for message in bot_messages:
        text, ts = message.get("text") or "", message["ts"]
        if BRIEF.match(text):
            posted_once["brief"].append(ts)
        if text.startswith("Experts pulled in"):
            posted_once["experts note"].append(ts)
        if text.startswith("Checklist for"):
            posted_once["checklist"].append(ts)
        if "Customer liaison*" in text:
            posted_once["open role"].append(ts)
        if text.startswith("Status update on"):
            posted_once[f"status update {text}"].append(ts)
        for block in message.get("blocks") or []:
            inner = block.get("text") if isinstance(block.get("text"), dict) else {}
            if task := TASK.search(str(inner.get("text", ""))):
                posted_once[f"task {task.group(1)}"].append(ts)
                break
    for what, copies in posted_once.items():
        if len(copies) > 1:
            found.duplicates.append(f"{label}: {what} posted {len(copies)} times (ts {', '.join(copies)})")
    if swarm.status == "resolved":
        found.resolved += 1
        if not channel.get("is_archived") or not swarm.channel_archived:
            found.incomplete.append(f"{label}: resolved but the channel is not archived")
        elif transcript is None or transcript.state != "stored" or not transcript.message_count:
            found.incomplete.append(f"{label}: archived without a stored transcript")
        else:
            found.archived += 1


def check_reminders(sandbox: Sandbox, found: Findings, swarms: Any, jobs: Any) -> None:
    """Each reminder job posted once, each due time reminded once, and no reminder job lost its post."""
    per_job: Counter[tuple[str, int, str]] = Counter()
    per_due_time: Counter[tuple[str, str]] = Counter()
    for swarm, _ in swarms:
        for message in sandbox.messages(swarm.channel_id or "", system=False):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") != "swarmbot_job":
                continue
            marker = metadata.get("event_payload") or {}
            per_job[(swarm.channel_id, int(marker.get("job_id", 0)), str(marker.get("slot")))] += 1
            if marker.get("slot") == "reminder":
                found.reminders_fired += 1
                per_due_time[(swarm.channel_id, reminded_at(message))] += 1
    for (channel, job_id, slot), times in per_job.items():
        if times > 1:
            found.duplicates.append(f"job {job_id} posted its {slot} message {times} times in {channel}")
    for (channel, at), times in per_due_time.items():
        if times > 1:
            found.duplicates.append(f"the reminder due at {at} was posted {times} times in {channel}")
    found.reminder_due_times = len(per_due_time)
    channel_of = {swarm.id: swarm.channel_id for swarm, _ in swarms}
    for job in jobs:
        if job.kind != "status_reminder" or job.state != "done":
            continue
        posted = (job.result or {}).get("reminder")
        if posted is None:
            continue  # nothing was due when it ran (an update had moved the clock)
        if sandbox.message(channel_of.get(job.swarm_id) or "", str(posted.get("ts"))) is None:
            found.lost.append(f"reminder job {job.id}: its post {posted} is not in the channel")


def reminded_at(message: dict[str, Any]) -> str:
    """The due time a reminder was for, from its Snooze button."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == "reminder_snooze":
                return str(json.loads(element["value"]).get("at"))
    return "?"
