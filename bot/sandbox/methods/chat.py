"""chat.postMessage/update/delete/postEphemeral/getPermalink/scheduleMessage and scheduled-message upkeep."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..errors import ApiError
from ..shapes import message_json
from ..state import Channel, ScheduledMessage
from .context import CallContext
from .conversations import open_conversation
from .posting import changed, deleted, new_message, store
from .registry import method


def target(ctx: CallContext) -> Channel:
    """The `channel` argument: an id, a #name, or a user id (the app's DM with that user)."""
    key = ctx.arg("channel") or ""
    if key.startswith(("U", "W")) and key in ctx.ws.users:
        return open_conversation(ctx, [key])[0]
    return ctx.channel(key, by_name=True)


def check_can_post(ctx: CallContext, channel: Channel) -> None:
    """Slack's posting rules: not archived, and a member unless chat:write.public on a public channel."""
    if channel.is_archived:
        raise ApiError("is_archived")
    if ctx.is_member(channel):
        return
    public = not (channel.is_private or channel.is_im or channel.is_mpim)
    if not (ctx.caller.is_bot and public and ctx.has_scope("chat:write.public")):
        raise ApiError("not_in_channel")


def content(ctx: CallContext, *, required: bool = True) -> dict[str, Any]:
    """Validated text, blocks, attachments and metadata from the arguments."""
    blocks = rules.check_blocks(ctx.raw("blocks")) if ctx.raw("blocks") not in (None, "") else None
    attachments = rules.parse_json_arg(ctx.raw("attachments")) if ctx.raw("attachments") else None
    text = ctx.arg("text")
    if required:
        rules.check_text(text, blocks, attachments)
    elif text and len(text) > rules.TEXT_MAX:
        raise ApiError("msg_too_long")
    fields: dict[str, Any] = {"text": text or "", "blocks": blocks, "attachments": attachments}
    raw_metadata = ctx.raw("metadata")
    if raw_metadata:
        metadata = rules.parse_json_arg(raw_metadata, error="invalid_metadata_format")
        if not isinstance(metadata, dict) or "event_type" not in metadata or "event_payload" not in metadata:
            raise ApiError("invalid_metadata_schema")
        fields["metadata"] = metadata
    return fields


def post(
    ctx: CallContext,
    channel: Channel,
    fields: dict[str, Any],
    *,
    thread_ts: str | None,
    broadcast: bool = False,
) -> dict[str, Any]:
    """Create a message (a reply when `thread_ts` is set) and return its JSON."""
    if thread_ts:
        root = ctx.ws.thread_root(channel, thread_ts)
        if root is None:
            raise ApiError("thread_not_found")
        thread_ts = root.ts
    message = new_message(
        ctx,
        channel,
        author=ctx.caller.user_id,
        thread_ts=thread_ts,
        reply_broadcast=broadcast and thread_ts is not None,
        **fields,
    )
    return store(ctx, channel, message)


@method("chat.postMessage", tier="special_post_message", scopes=("chat:write",))
def post_message(ctx: CallContext) -> dict[str, Any]:
    """Post a message or a thread reply."""
    channel = target(ctx)
    check_can_post(ctx, channel)
    body = post(
        ctx, channel, content(ctx), thread_ts=ctx.arg("thread_ts"), broadcast=ctx.flag("reply_broadcast")
    )
    return {"channel": channel.id, "ts": body["ts"], "message": body}


@method("chat.update", tier="tier3", scopes=("chat:write",))
def update(ctx: CallContext) -> dict[str, Any]:
    """Edit one of the caller's own messages; omitted blocks and attachments are kept, as Slack does."""
    channel = ctx.channel(ctx.arg("channel"))
    message = ctx.message(channel, ctx.arg("ts"))
    if message.user != ctx.caller.user_id:
        raise ApiError("cant_update_message")
    if channel.is_archived:
        raise ApiError("is_archived")
    fields = content(ctx, required=False)
    previous = message_json(ctx.ws, channel, message)
    if ctx.arg("text") is not None:
        message.text = fields["text"]
    for key in ("blocks", "attachments", "metadata"):
        if fields.get(key) is not None:
            setattr(message, key, fields[key] or None)
    if not message.text and not message.blocks and not message.attachments:
        raise ApiError("no_text")
    message.edited = {"user": ctx.caller.user_id, "ts": ctx.next_ts()}
    changed(ctx, channel, message, previous)
    body = message_json(ctx.ws, channel, message)
    return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": body}


@method("chat.delete", tier="tier3", scopes=("chat:write",))
def delete(ctx: CallContext) -> dict[str, Any]:
    """Delete one of the caller's own messages (admins may delete anyone's)."""
    channel = ctx.channel(ctx.arg("channel"))
    message = ctx.message(channel, ctx.arg("ts"))
    if message.user != ctx.caller.user_id and not ctx.me.is_admin:
        raise ApiError("cant_delete_message")
    previous = message_json(ctx.ws, channel, message)
    ctx.ws.remove_message(channel, message)
    deleted(ctx, channel, previous)
    return {"channel": channel.id, "ts": message.ts}


@method("chat.postEphemeral", tier="tier4", scopes=("chat:write",))
def post_ephemeral(ctx: CallContext) -> dict[str, Any]:
    """A message only one member of the channel sees."""
    channel = target(ctx)
    check_can_post(ctx, channel)
    user = ctx.user(ctx.arg("user"))
    if user.id not in channel.members:
        raise ApiError("user_not_in_channel")
    message_ts = ctx.next_ts()
    ctx.ws.ephemerals.append(
        {
            "channel": channel.id,
            "user": user.id,
            "message_ts": message_ts,
            "thread_ts": ctx.arg("thread_ts"),
            "source": "chat.postEphemeral",
            "posted_by": ctx.caller.user_id,
            **content(ctx),
        }
    )
    return {"message_ts": message_ts}


@method("chat.getPermalink", tier="special_permalink")
def get_permalink(ctx: CallContext) -> dict[str, Any]:
    """A link to a message (replies link into their thread)."""
    channel = ctx.channel(ctx.arg("channel"))
    message = ctx.message(channel, ctx.arg("message_ts"))
    link = f"https://{ctx.ws.team_domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


@method("chat.scheduleMessage", tier="tier3", scopes=("chat:write",))
def schedule_message(ctx: CallContext) -> dict[str, Any]:
    """Post later, when the sandbox clock reaches `post_at`."""
    channel = target(ctx)
    check_can_post(ctx, channel)
    post_at = ctx.integer("post_at")
    if post_at is None:
        raise ApiError("invalid_time")
    if post_at <= ctx.now():
        raise ApiError("time_in_past")
    if post_at > ctx.now() + rules.SCHEDULE_HORIZON:
        raise ApiError("time_too_far")
    fields = content(ctx)
    args = {**fields, "thread_ts": ctx.arg("thread_ts"), "reply_broadcast": ctx.flag("reply_broadcast")}
    item = ScheduledMessage(
        id=ctx.svc.ids.next("Q"), channel=channel.id, post_at=post_at, args=args, created=ctx.now()
    )
    ctx.ws.scheduled[item.id] = item
    message = {
        "type": "message",
        "text": fields["text"],
        "user": ctx.caller.user_id,
        "bot_id": ctx.ws.bot_id,
        "team": ctx.ws.team_id,
        "blocks": fields["blocks"],
    }
    return {"channel": channel.id, "scheduled_message_id": item.id, "post_at": post_at, "message": message}


@method("chat.scheduledMessages.list", tier="tier3")
def scheduled_list(ctx: CallContext) -> dict[str, Any]:
    """Messages still waiting to be posted."""
    channel_filter = ctx.arg("channel")
    items = [
        {
            "id": s.id,
            "channel_id": s.channel,
            "post_at": s.post_at,
            "date_created": s.created,
            "text": s.args["text"],
        }
        for s in sorted(ctx.ws.scheduled.values(), key=lambda s: s.post_at)
        if s.posted_ts is None and (channel_filter is None or s.channel == channel_filter)
    ]
    return {"scheduled_messages": items, "response_metadata": {"next_cursor": ""}}


@method("chat.deleteScheduledMessage", tier="tier3", scopes=("chat:write",))
def delete_scheduled(ctx: CallContext) -> dict[str, Any]:
    """Cancel a scheduled message."""
    ctx.channel(ctx.arg("channel"))
    item = ctx.ws.scheduled.get(ctx.arg("scheduled_message_id") or "")
    if item is None or item.posted_ts is not None or item.channel != ctx.arg("channel"):
        raise ApiError("invalid_scheduled_message_id")
    del ctx.ws.scheduled[item.id]
    return {}


def post_due(ctx: CallContext) -> list[str]:
    """Post every scheduled message whose time has come (silently dropped if it can no longer post)."""
    posted = []
    for item in sorted(ctx.ws.scheduled.values(), key=lambda s: s.post_at):
        if item.posted_ts is not None or item.post_at > ctx.svc.config.clock():
            continue
        channel = ctx.ws.channels[item.channel]
        args = dict(item.args)
        thread_ts, broadcast = args.pop("thread_ts"), args.pop("reply_broadcast")
        try:
            check_can_post(ctx, channel)
            item.posted_ts = post(ctx, channel, args, thread_ts=thread_ts, broadcast=broadcast)["ts"]
        except ApiError:
            item.posted_ts = ""
        posted.append(item.id)
    return posted
