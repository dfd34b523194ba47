"""views.open/push/update/publish, with trigger ids that expire after 3 seconds and work once."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..errors import ApiError
from ..shapes import view_json
from ..state import Trigger, View
from .context import CallContext
from .registry import method


def consume_trigger(ctx: CallContext) -> Trigger:
    """Exchange `trigger_id`: Slack's triggers expire after 3 seconds and can be used once."""
    trigger = ctx.ws.triggers.get(ctx.arg("trigger_id") or ctx.arg("interactivity_pointer") or "")
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if ctx.svc.config.clock() - trigger.created > ctx.svc.config.trigger_ttl:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger


def new_view(
    ctx: CallContext, user: str, body: dict[str, Any], *, root: str | None, previous: str | None
) -> View:
    external_id = body.get("external_id") or None
    if external_id and any(v.external_id == external_id for v in ctx.ws.views.values()):
        raise ApiError("duplicate_external_id")
    _stamp_ids(ctx, body)
    view_id = ctx.svc.ids.next("V")
    view = View(
        id=view_id,
        user=user,
        type=body["type"],
        body=body,
        hash=_hash(ctx),
        team_id=ctx.ws.team_id,
        app_id=ctx.ws.app_id,
        bot_id=ctx.ws.bot_id,
        root_view_id=root or view_id,
        previous_view_id=previous,
        external_id=external_id,
    )
    ctx.ws.views[view.id] = view
    return view


def _stamp_ids(ctx: CallContext, body: dict[str, Any]) -> None:
    """Slack fills in a block_id (and an element's action_id) the app left out."""
    for block in body.get("blocks", []):
        block.setdefault("block_id", ctx.svc.ids.secret("block")[:5])
        element = block.get("element")
        if isinstance(element, dict):
            element.setdefault("action_id", ctx.svc.ids.secret("action")[:5])


def _hash(ctx: CallContext) -> str:
    return f"{ctx.now()}.{ctx.svc.ids.secret('view-hash')[:8]}"


@method("views.open", tier="tier4")
def views_open(ctx: CallContext) -> dict[str, Any]:
    """Open a modal for the user whose interaction produced the trigger."""
    body = rules.check_view(ctx.raw("view"), kinds=("modal",))
    trigger = consume_trigger(ctx)
    for old in ctx.ws.modal_stacks.get(trigger.user, []):
        ctx.ws.views[old].is_open = False
    view = new_view(ctx, trigger.user, body, root=None, previous=None)
    ctx.ws.modal_stacks[trigger.user] = [view.id]
    return {"view": view_json(view)}


@method("views.push", tier="tier4")
def views_push(ctx: CallContext) -> dict[str, Any]:
    """Push a modal on top of the user's open one (at most 3 deep)."""
    body = rules.check_view(ctx.raw("view"), kinds=("modal",))
    trigger = consume_trigger(ctx)
    stack = ctx.ws.modal_stacks.get(trigger.user) or []
    if not stack:
        raise ApiError("not_found")
    if len(stack) >= rules.VIEW_STACK_MAX:
        raise ApiError("push_limit_reached")
    view = new_view(ctx, trigger.user, body, root=stack[0], previous=stack[-1])
    stack.append(view.id)
    return {"view": view_json(view)}


@method("views.update", tier="tier4")
def views_update(ctx: CallContext) -> dict[str, Any]:
    """Replace a view by id or external_id; a stale `hash` is a hash_conflict."""
    view_id, external_id = ctx.arg("view_id"), ctx.arg("external_id")
    view = ctx.ws.views.get(view_id or "") or next(
        (v for v in ctx.ws.views.values() if external_id and v.external_id == external_id), None
    )
    if view is None:
        raise ApiError("not_found")
    body = rules.check_view(ctx.raw("view"), kinds=(view.type,))
    if ctx.arg("hash") and ctx.arg("hash") != view.hash:
        raise ApiError("hash_conflict")
    body.setdefault("external_id", view.external_id)
    _stamp_ids(ctx, body)
    view.body, view.hash, view.errors = body, _hash(ctx), {}
    return {"view": view_json(view)}


@method("views.publish", tier="tier4")
def views_publish(ctx: CallContext) -> dict[str, Any]:
    """Set a user's Home tab."""
    user = ctx.user(ctx.arg("user_id"))
    body = rules.check_view(ctx.raw("view"), kinds=("home",))
    current = ctx.ws.views.get(ctx.ws.home_views.get(user.id, ""))
    if current is not None:
        if ctx.arg("hash") and ctx.arg("hash") != current.hash:
            raise ApiError("hash_conflict")
        _stamp_ids(ctx, body)
        current.body, current.hash = body, _hash(ctx)
        return {"view": view_json(current)}
    view = new_view(ctx, user.id, body, root=None, previous=None)
    ctx.ws.home_views[user.id] = view.id
    return {"view": view_json(view)}
