"""Things attached to messages and channels: reactions, pins and bookmarks."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..errors import ApiError
from ..shapes import bookmark_json, message_json
from ..state import Bookmark, Channel, Message, Pin, Reaction
from .context import CallContext
from .registry import method


def _reaction_target(ctx: CallContext) -> tuple[Channel, Message, str]:
    channel = ctx.channel(ctx.arg("channel"))
    message = ctx.message(channel, ctx.arg("timestamp"))
    if channel.is_archived:
        raise ApiError("is_archived")
    return channel, message, rules.emoji_name(ctx.arg("name"))


def _reaction_event(ctx: CallContext, kind: str, channel: Channel, message: Message, name: str) -> None:
    event = {
        "type": kind,
        "user": ctx.caller.user_id,
        "reaction": name,
        "item_user": message.user,
        "item": {"type": "message", "channel": channel.id, "ts": message.ts},
        "event_ts": ctx.next_ts(),
    }
    ctx.emit(event, channel.id)


@method("reactions.add", tier="tier3", scopes=("reactions:write",))
def reactions_add(ctx: CallContext) -> dict[str, Any]:
    """Add the caller's emoji reaction to a message."""
    channel, message, name = _reaction_target(ctx)
    reaction = next((r for r in message.reactions if r.name == name), None)
    if reaction is None:
        reaction = Reaction(name=name)
        message.reactions.append(reaction)
    if ctx.caller.user_id in reaction.users:
        raise ApiError("already_reacted")
    reaction.users.append(ctx.caller.user_id)
    _reaction_event(ctx, "reaction_added", channel, message, name)
    return {}


@method("reactions.remove", tier="tier2", scopes=("reactions:write",))
def reactions_remove(ctx: CallContext) -> dict[str, Any]:
    """Remove the caller's emoji reaction."""
    channel, message, name = _reaction_target(ctx)
    reaction = next((r for r in message.reactions if r.name == name), None)
    if reaction is None or ctx.caller.user_id not in reaction.users:
        raise ApiError("no_reaction")
    reaction.users.remove(ctx.caller.user_id)
    if not reaction.users:
        message.reactions.remove(reaction)
    _reaction_event(ctx, "reaction_removed", channel, message, name)
    return {}


@method("reactions.get", tier="tier3", scopes=("reactions:read",))
def reactions_get(ctx: CallContext) -> dict[str, Any]:
    """A message with its reactions."""
    channel = ctx.channel(ctx.arg("channel"))
    message = ctx.message(channel, ctx.arg("timestamp"))
    return {"type": "message", "channel": channel.id, "message": message_json(ctx.ws, channel, message)}


def _pin_target(ctx: CallContext) -> tuple[Channel, Message]:
    channel = ctx.channel(ctx.arg("channel"))
    if not ctx.is_member(channel):
        raise ApiError("not_in_channel")
    if channel.is_archived:
        raise ApiError("is_archived")
    return channel, ctx.message(channel, ctx.arg("timestamp"))


@method("pins.add", tier="tier2", scopes=("pins:write",))
def pins_add(ctx: CallContext) -> dict[str, Any]:
    """Pin a message to its channel."""
    channel, message = _pin_target(ctx)
    if any(p.ts == message.ts for p in channel.pins):
        raise ApiError("already_pinned")
    channel.pins.append(Pin(ts=message.ts, created=ctx.now(), created_by=ctx.caller.user_id))
    message.pinned_to.append(channel.id)
    item = {"type": "message", "channel": channel.id, "message": message_json(ctx.ws, channel, message)}
    ctx.emit(
        {
            "type": "pin_added",
            "user": ctx.caller.user_id,
            "channel_id": channel.id,
            "item": item,
            "event_ts": ctx.next_ts(),
        },
        channel.id,
    )
    return {}


@method("pins.remove", tier="tier2", scopes=("pins:write",))
def pins_remove(ctx: CallContext) -> dict[str, Any]:
    """Unpin a message."""
    channel, message = _pin_target(ctx)
    if not any(p.ts == message.ts for p in channel.pins):
        raise ApiError("no_pin")
    channel.pins = [p for p in channel.pins if p.ts != message.ts]
    message.pinned_to.remove(channel.id)
    return {}


@method("pins.list", tier="tier2", scopes=("pins:read",))
def pins_list(ctx: CallContext) -> dict[str, Any]:
    """Pinned messages, most recently pinned first."""
    channel = ctx.channel(ctx.arg("channel"))
    items = [
        {
            "type": "message",
            "created": p.created,
            "created_by": p.created_by,
            "channel": channel.id,
            "message": message_json(ctx.ws, channel, channel.messages[p.ts]),
        }
        for p in reversed(channel.pins)
    ]
    return {"items": items}


@method("bookmarks.add", tier="tier2", scopes=("bookmarks:write",))
def bookmarks_add(ctx: CallContext) -> dict[str, Any]:
    """Add a link bookmark to a channel's header."""
    channel = ctx.channel(ctx.arg("channel_id"))
    if not ctx.is_member(channel):
        raise ApiError("not_in_channel")
    if channel.is_archived:
        raise ApiError("is_archived")
    title, kind, link = ctx.arg("title"), ctx.arg("type") or "link", ctx.arg("link")
    if not title:
        raise ApiError("invalid_arguments")
    if kind != "link" or not link or not link.startswith(("http://", "https://")):
        raise ApiError("invalid_link")
    bookmark = Bookmark(
        id=ctx.svc.ids.next("Bk"),
        channel_id=channel.id,
        title=title,
        link=link,
        type=kind,
        emoji=ctx.arg("emoji"),
        created=ctx.now(),
        created_by=ctx.caller.user_id,
    )
    channel.bookmarks.append(bookmark)
    return {"bookmark": bookmark_json(bookmark, ctx.ws)}


@method("bookmarks.list", tier="tier3", scopes=("bookmarks:read",))
def bookmarks_list(ctx: CallContext) -> dict[str, Any]:
    """A channel's bookmarks."""
    channel = ctx.channel(ctx.arg("channel_id"))
    return {"bookmarks": [bookmark_json(b, ctx.ws) for b in channel.bookmarks]}


@method("bookmarks.remove", tier="tier2", scopes=("bookmarks:write",))
def bookmarks_remove(ctx: CallContext) -> dict[str, Any]:
    """Remove a bookmark."""
    channel = ctx.channel(ctx.arg("channel_id"))
    bookmark = next((b for b in channel.bookmarks if b.id == ctx.arg("bookmark_id")), None)
    if bookmark is None:
        raise ApiError("not_found")
    channel.bookmarks.remove(bookmark)
    return {}
