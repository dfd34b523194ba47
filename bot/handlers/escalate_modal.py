"""The open-escalation form: opened by `/escalate` alone, the Home tab's button, the message shortcut and
the button of its own fallback; its submission opens the swarm exactly as `/escalate TICKET …` does.

The answer goes where the form was asked for: an ephemeral message in the command's (or the escalated
message's) channel, or a DM when it came from the Home tab. When the trigger id has expired before
views.open (Slack allows 3 seconds), the person gets an ephemeral message whose button opens the form again
with what it held: the click brings a fresh trigger.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.errors import SlackCallFailed
from bot.escalate_form import CALLBACK_ID, OPEN_FORM_ACTION, FormStart, read_form
from bot.grammar import SEVERITIES, SEVERITY_NAMES, OpenSwarm
from bot.handlers.acking import ack_first, after_ack
from bot.handlers.payloads import optional_text, text_at
from bot.rendering import render, render_view
from bot.services import Services
from bot.surfaces import Surfaces

SEVERITY_OPTIONS = [(severity, f"{severity.upper()} · {SEVERITY_NAMES[severity]}") for severity in SEVERITIES]
TAGS_SHOWN = 100  # a static select holds at most 100 options; the free-text field takes the rest
EXPIRED_TRIGGER = ("expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id")


async def escalate_form(services: Services, start: FormStart) -> dict[str, Any]:
    """The form, with the directory's known tags and the playbooks' categories to choose from."""
    tags = sorted(await services.directory.known_tags())[:TAGS_SHOWN]
    return render_view(
        "modals/escalate",
        start=start,
        severities=SEVERITY_OPTIONS,
        categories=sorted(services.categories),
        tags=tags,
    )


async def open_escalate_form(
    services: Services, *, trigger_id: str, user: str, start: FormStart, respond: AsyncRespond | None
) -> bool:
    """Open the form (True); if the trigger expired, offer a button that opens it again (False)."""
    view = await escalate_form(services, start)
    try:
        await services.gateway.open_view(trigger_id, view)
    except SlackCallFailed as failure:
        if failure.error not in EXPIRED_TRIGGER:
            raise
        fallback = render("messages/form_fallback", start=start)
        await _tell(services, user, start.request_channel, fallback, respond)
        return False
    return True


async def open_clicked(
    body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond, services: Services
) -> None:
    """“Escalate a ticket” on the Home tab, or “Open the form” on the fallback message."""
    start = FormStart.from_json(optional_text(action, "value"))
    trigger, user = text_at(body, "trigger_id"), text_at(body, "user", "id")
    opened = await open_escalate_form(services, trigger_id=trigger, user=user, start=start, respond=respond)
    container = body.get("container")
    if opened and isinstance(container, dict) and container.get("is_ephemeral"):
        await respond(delete_original=True)  # the fallback message has done its job


async def form_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], services: Services, surfaces: Surfaces
) -> None:
    """Errors go back next to their fields and nothing is created; a valid form opens the swarm."""
    user = optional_text(body, "user", "id")
    if user is None:
        await ack()  # nobody to open it for or to tell: a malformed submission closes quietly
        return
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    request, errors = read_form(values if isinstance(values, dict) else {}, categories=services.categories)
    if request is None:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    start = FormStart.from_json(optional_text(view, "private_metadata"))
    work = open_from_form(services, surfaces, request, start=start, user=user)
    await after_ack(work, body=body, respond=None, gateway=services.gateway)


async def open_from_form(
    services: Services, surfaces: Surfaces, request: OpenSwarm, *, start: FormStart, user: str
) -> None:
    """Open (or link) the swarm, link the escalated message, and tell the person."""
    outcome = await services.swarms.open(request, requested_by=user, request_channel_id=start.request_channel)
    if start.source_channel and start.source_ts and outcome.kind in ("opened", "resumed", "linked"):
        await surfaces.sources.link(
            outcome.swarm,
            channel=start.source_channel,
            ts=start.source_ts,
            by=user,
            new=outcome.kind != "linked",
        )
    surfaces.home.refresh_swarm(outcome.swarm.id)
    await _tell(services, user, start.request_channel, render("messages/swarm_opened", outcome=outcome), None)


async def _tell(
    services: Services,
    user: str,
    channel: str | None,
    message: dict[str, Any],
    respond: AsyncRespond | None,
) -> None:
    # A response_url answers in place (ephemeral); else an ephemeral in the channel, else a DM.
    if respond is not None and getattr(respond, "response_url", None):
        await respond(**message)
        return
    content = {key: message[key] for key in ("text", "blocks") if key in message}
    if channel:
        await services.gateway.tell(channel, user, **content)
    else:
        await services.gateway.post_message(await services.gateway.open_dm(user), **content)


def register(app: AsyncApp) -> None:
    """Attach the form's submission and the buttons that open it."""
    app.view(CALLBACK_ID)(form_submitted)
    app.action(OPEN_FORM_ACTION)(ack_first(open_clicked))
