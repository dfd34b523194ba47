"""`/escalate`: open or link a swarm (alone: the form), answer help and list, and the swarm subcommands.

Each change that shows on someone's Home tab asks for a (debounced) refresh of that swarm's people.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond

from bot.escalate_form import FormStart
from bot.grammar import USAGE, Help, OpenSwarm, SwarmCommand, parse
from bot.handlers.acking import ack_first
from bot.handlers.escalate_modal import open_escalate_form
from bot.handlers.resolution import open_resolve_form
from bot.handlers.status_updates import open_form
from bot.poster import DirectPoster
from bot.rendering import render
from bot.services import Services
from bot.slack.mrkdwn import escape
from bot.subcommands import (
    ANYWHERE,
    IN_A_SWARM,
    USAGES,
    AddExperts,
    AddTask,
    AssignRole,
    ChangeSeverity,
    ListSwarms,
    PostUpdate,
    RaiseLevel,
    Reopen,
    Resolve,
    ShowExperts,
    SwarmRequest,
    parse_swarm_command,
)
from bot.surfaces import Surfaces
from bot.swarm_list import visible_swarms
from bot.updates import UpdateView

# Subcommands that change what someone's Home tab shows about the swarm they run in.
CHANGES_HOME = (AddTask, AssignRole, AddExperts, PostUpdate, RaiseLevel, ChangeSeverity, Resolve)


async def escalate_command(
    command: dict[str, Any], respond: AsyncRespond, services: Services, surfaces: Surfaces
) -> None:
    """/escalate …: parse, call one service, render the answer."""
    text = command.get("text", "")
    user, channel = command["user_id"], command.get("channel_id", "")
    if not text.strip():
        start = FormStart(request_channel=channel or None)
        await open_escalate_form(
            services, trigger_id=command.get("trigger_id", ""), user=user, start=start, respond=respond
        )
        return
    request = parse(text, categories=services.categories)
    match request:
        case Help():
            in_swarm = [USAGES[verb] for verb in IN_A_SWARM]
            anywhere = [USAGES[verb] for verb in ANYWHERE]
            await respond(**render("messages/help", usage=USAGE, in_swarm=in_swarm, anywhere=anywhere))
        case OpenSwarm():
            outcome = await services.swarms.open(request, requested_by=user, request_channel_id=channel)
            surfaces.home.refresh_swarm(outcome.swarm.id)
            await respond(**render("messages/swarm_opened", outcome=outcome))
        case SwarmCommand():
            trigger = command.get("trigger_id", "")
            answer = await _swarm_command(
                request, user=user, channel=channel, trigger=trigger, services=services, surfaces=surfaces
            )
            if answer:
                await respond(**answer)


async def _swarm_command(
    request: SwarmCommand, *, user: str, channel: str, trigger: str, services: Services, surfaces: Surfaces
) -> dict[str, Any] | None:
    parsed = parse_swarm_command(request)
    answer = await _run(parsed, user=user, channel=channel, trigger=trigger, services=services)
    if isinstance(parsed, CHANGES_HOME):
        surfaces.home.refresh_swarm((await services.swarms.in_channel(channel)).id)
    elif isinstance(parsed, Reopen):
        surfaces.home.refresh([user])
    return answer


async def _run(
    parsed: SwarmRequest, *, user: str, channel: str, trigger: str, services: Services
) -> dict[str, Any] | None:
    match parsed:
        case ListSwarms():
            return render("messages/swarm_list", listing=await visible_swarms(services.sessions, user))
        case ShowExperts(skill=skill):
            ranking = await services.directory.ranking(skill)
            return render("messages/experts_list", skill=skill, ranking=ranking)
        case AddTask(title=title):
            swarm = await services.swarms.in_channel(channel)
            task = await services.tasks.add(swarm, title, by=user)
            return render("messages/reply", line=f"Added task {task.position}: {escape(title)}")
        case AssignRole(role=role, user_id=holder):
            swarm = await services.swarms.in_channel(channel)
            assigned = await services.roles.assign(swarm, role, holder, by=user)
            return render("messages/reply", line=f"<@{holder}> now holds *{escape(assigned.title)}*.")
        case AddExperts(skills=skills):
            swarm = await services.swarms.in_channel(channel)
            added, gaps = await services.invitations.add_experts(swarm, skills)
            people = ", ".join(f"<@{i.user_id}> (#{i.skill})" for i in added) or "nobody"
            line = f"Pulled in {people}." + "".join(f"\n#{gap.skill}: {escape(gap.why)}." for gap in gaps)
            return render("messages/reply", line=line)
        case PostUpdate(text=""):
            await open_form(services, await services.swarms.in_channel(channel), trigger, user)
            return None
        case PostUpdate(text=text):
            swarm = await services.swarms.in_channel(channel)
            due = await services.updates.post(swarm, UpdateView(author=user, text=text))
            when = f" The next one is due at {due:%H:%M} UTC." if due else ""
            return render("messages/reply", line=f"Posted.{when}")
        case RaiseLevel():
            swarm = await services.swarms.in_channel(channel)
            await services.permissions.steer(swarm, user, "escalate up")
            level = await services.levels.up(swarm.id, by=user, poster=DirectPoster(services.gateway))
            return render(
                "messages/reply", line=f"Raised {escape(swarm.ticket_id)} to escalation level {level}."
            )
        case ChangeSeverity(severity=severity):
            swarm = await services.swarms.in_channel(channel)
            await services.clocks.change_severity(swarm, severity, by=user)
            return render("messages/reply", line=f"{escape(swarm.ticket_id)} is now {severity.upper()}.")
        case Resolve(text=""):
            await open_resolve_form(services, await services.swarms.in_channel(channel), trigger, user)
            return None
        case Resolve(text=text):
            swarm = await services.swarms.in_channel(channel)
            archive_at = await services.resolutions.resolve(swarm, by=user, resolution=text)
            return render(
                "messages/reply", line=f"Resolved. The channel is archived at {archive_at:%H:%M} UTC."
            )
        case Reopen(ticket_id=ticket_id):
            reopened = await services.resolutions.reopen(ticket_id, by=user)
            return render("messages/reply", line=f"Reopened <#{reopened.channel_id}>.")
    raise AssertionError("parse_swarm_command returns one of the requests above")


def register(app: AsyncApp) -> None:
    """Attach the command listener to `app`."""
    app.command("/escalate")(ack_first(escalate_command))
