"""Creating, changing and removing messages, with the `message` events Slack sends for each."""

from __future__ import annotations

from typing import Any

from ..shapes import message_json
from ..state import Channel, Message
from .context import CallContext


def store(ctx: CallContext, channel: Channel, message: Message) -> dict[str, Any]:
    """Add a message to the workspace, emit its `message` event, return its JSON."""
    ctx.ws.add_message(message)
    body = message_json(ctx.ws, channel, message, in_thread=message.is_reply)
    ctx.emit(
        {**body, "channel": channel.id, "event_ts": message.ts, "channel_type": channel.kind}, channel.id
    )
    return body


def new_message(ctx: CallContext, channel: Channel, *, author: str, **fields: Any) -> Message:
    """A message by `author` (bot messages carry bot_id and app_id)."""
    message = Message(ts=ctx.next_ts(), channel=channel.id, user=author, **fields)
    if author == ctx.ws.bot_user_id:
        message.bot_id, message.app_id = ctx.ws.bot_id, ctx.ws.app_id
    return message


def system_message(
    ctx: CallContext, channel: Channel, user: str, subtype: str, text: str, **extra: Any
) -> None:
    """The messages Slack itself adds: channel_join, channel_topic, channel_purpose, channel_archive."""
    store(
        ctx,
        channel,
        Message(ts=ctx.next_ts(), channel=channel.id, user=user, text=text, subtype=subtype, extra=extra),
    )


def changed(ctx: CallContext, channel: Channel, message: Message, previous: dict[str, Any]) -> None:
    """Emit `message_changed` for an edit."""
    ts = ctx.next_ts()
    current = message_json(ctx.ws, channel, message)
    event = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel.id,
        "channel_type": channel.kind,
        "message": current,
        "previous_message": previous,
        "event_ts": ts,
        "ts": ts,
    }
    ctx.emit(event, channel.id)


def deleted(ctx: CallContext, channel: Channel, previous: dict[str, Any]) -> None:
    """Emit `message_deleted`."""
    ts = ctx.next_ts()
    event = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel.id,
        "channel_type": channel.kind,
        "deleted_ts": previous["ts"],
        "previous_message": previous,
        "event_ts": ts,
        "ts": ts,
    }
    ctx.emit(event, channel.id)


def add_member(ctx: CallContext, channel: Channel, user: str, *, inviter: str | None) -> None:
    """Put a user in a channel: the channel_join message and `member_joined_channel` event."""
    channel.members.append(user)
    extra = {"inviter": inviter} if inviter else {}
    system_message(ctx, channel, user, "channel_join", f"<@{user}> has joined the channel", **extra)
    event: dict[str, Any] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel.id,
        "channel_type": "G" if channel.is_private else "C",
        "team": ctx.ws.team_id,
        "event_ts": ctx.next_ts(),
    }
    if inviter:
        event["inviter"] = inviter
    ctx.emit(event, channel.id)
