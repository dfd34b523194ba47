"""conversations.create/info/list/invite/join/members/open/setTopic/setPurpose/archive/unarchive."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..errors import ApiError
from ..pagination import page_limit, paginate
from ..shapes import channel_json
from ..state import Channel
from .context import SCOPES_BY_KIND, CallContext
from .posting import add_member, system_message
from .registry import method

MPIM_MAX_USERS = 8


def _info(ctx: CallContext, channel: Channel) -> dict[str, Any]:
    return {"channel": channel_json(channel, viewer=ctx.caller.user_id)}


def _must_be_member(ctx: CallContext, channel: Channel) -> None:
    if not ctx.is_member(channel):
        raise ApiError("not_in_channel")


def _not_archived(channel: Channel) -> None:
    if channel.is_archived:
        raise ApiError("is_archived")


@method("conversations.create", tier="tier2")
def create(ctx: CallContext) -> dict[str, Any]:
    """A new public or private channel, with the caller as its first member."""
    is_private = ctx.flag("is_private")
    ctx.need_scope("groups:write" if is_private else "channels:manage")
    name = ctx.arg("name") or ""
    rules.check_channel_name(name)
    if ctx.ws.channel_named(name) is not None:
        raise ApiError("name_taken")
    channel = Channel(
        id=ctx.svc.ids.next("C"),
        name=name,
        created=ctx.now(),
        creator=ctx.caller.user_id,
        is_private=is_private,
    )
    ctx.ws.channels[channel.id] = channel
    channel.members.append(ctx.caller.user_id)
    system_message(
        ctx, channel, ctx.caller.user_id, "channel_join", f"<@{ctx.caller.user_id}> has joined the channel"
    )
    return _info(ctx, channel)


@method("conversations.info", tier="tier3")
def info(ctx: CallContext) -> dict[str, Any]:
    """One conversation."""
    channel = ctx.channel(ctx.arg("channel"))
    ctx.need_channel_scope(channel, "read")
    body = channel_json(channel, viewer=ctx.caller.user_id, num_members=ctx.flag("include_num_members"))
    return {"channel": body}


@method("conversations.list", tier="tier2")
def list_(ctx: CallContext) -> dict[str, Any]:
    """Conversations of the requested types that the caller can see, paginated by id."""
    kinds = {"public_channel": "channel", "private_channel": "group", "mpim": "mpim", "im": "im"}
    wanted = [t.strip() for t in (ctx.arg("types") or "public_channel").split(",") if t.strip()]
    for t in wanted:
        if t not in kinds:
            raise ApiError("invalid_types")
        ctx.need_scope(SCOPES_BY_KIND["read"][kinds[t]])
    visible = [
        c
        for c in sorted(ctx.ws.channels.values(), key=lambda c: c.id)
        if c.kind in {kinds[t] for t in wanted}
        and (c.kind == "channel" or ctx.is_member(c))
        and not (ctx.flag("exclude_archived") and c.is_archived)
    ]
    limit = page_limit(ctx.integer("limit"), default=100, maximum=1000)
    page, cursor = paginate(
        visible, kind="channel", limit=limit, cursor=ctx.arg("cursor"), token=lambda c: c.id, order=str
    )
    return {
        "channels": [channel_json(c, viewer=ctx.caller.user_id) for c in page],
        "response_metadata": {"next_cursor": cursor or ""},
    }


@method("conversations.invite", tier="tier3")
def invite(ctx: CallContext) -> dict[str, Any]:
    """Invite users; all or nothing unless `force` (then the valid ones join and the rest are listed)."""
    channel = ctx.channel(ctx.arg("channel"))
    if channel.is_im or channel.is_mpim:
        raise ApiError("method_not_supported_for_channel_type")
    public, private = ("channels:manage", "channels:write.invites"), ("groups:write", "groups:write.invites")
    ctx.need_scope(*(private if channel.is_private else public))
    _must_be_member(ctx, channel)
    _not_archived(channel)
    users = [u.strip() for u in (ctx.arg("users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("no_user")
    if len(users) > ctx.svc.config.invite_batch_limit:
        raise ApiError("too_many_users")
    valid: list[str] = []
    errors: list[dict[str, Any]] = []
    for user_id in dict.fromkeys(users):
        code = _invite_problem(ctx, channel, user_id)
        if code:
            errors.append({"user": user_id, "ok": False, "error": code})
        else:
            valid.append(user_id)
    # Slack: if any invite fails nobody is invited, unless `force` asks to invite the valid ones anyway.
    if errors and (not ctx.flag("force") or not valid):
        raise ApiError(errors[0]["error"], errors=errors)
    for user_id in valid:
        add_member(ctx, channel, user_id, inviter=ctx.caller.user_id)
    body = _info(ctx, channel)
    if errors:
        body["errors"] = errors
    return body


def _invite_problem(ctx: CallContext, channel: Channel, user_id: str) -> str | None:
    user = ctx.ws.users.get(user_id)
    if user is None or user.deleted:
        return "user_not_found"
    if user_id == ctx.caller.user_id:
        return "cant_invite_self"
    if user_id in channel.members:
        return "already_in_channel"
    return None


@method("conversations.join", tier="tier3", scopes=("channels:join",))
def join(ctx: CallContext) -> dict[str, Any]:
    """Join a public channel."""
    channel = ctx.channel(ctx.arg("channel"))
    if channel.is_private or channel.is_im or channel.is_mpim:
        raise ApiError("method_not_supported_for_channel_type")
    _not_archived(channel)
    if ctx.is_member(channel):
        return {
            **_info(ctx, channel),
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    add_member(ctx, channel, ctx.caller.user_id, inviter=None)
    return _info(ctx, channel)


@method("conversations.members", tier="tier4")
def members(ctx: CallContext) -> dict[str, Any]:
    """Member ids, paginated."""
    channel = ctx.channel(ctx.arg("channel"))
    ctx.need_channel_scope(channel, "read")
    limit = page_limit(ctx.integer("limit"), default=100, maximum=1000)
    ids = sorted(channel.members)
    page, cursor = paginate(ids, kind="member", limit=limit, cursor=ctx.arg("cursor"), token=str, order=str)
    return {"members": page, "response_metadata": {"next_cursor": cursor or ""}}


@method("conversations.open", tier="tier3")
def open_(ctx: CallContext) -> dict[str, Any]:
    """Open (or find) a DM or group DM."""
    if ctx.arg("channel"):
        channel = ctx.channel(ctx.arg("channel"))
        return {
            "channel": channel_json(channel, viewer=ctx.caller.user_id)
            if ctx.flag("return_im")
            else {"id": channel.id}
        }
    others = [u.strip() for u in (ctx.arg("users") or "").split(",") if u.strip()]
    if not others:
        raise ApiError("users_list_not_supplied")
    for user_id in others:
        ctx.user(user_id)
    if len(others) > MPIM_MAX_USERS:
        raise ApiError("too_many_users")
    ctx.need_scope("im:write" if len(others) == 1 else "mpim:write")
    channel, existed = open_conversation(ctx, others)
    body: dict[str, Any] = {
        "channel": channel_json(channel, viewer=ctx.caller.user_id)
        if ctx.flag("return_im")
        else {"id": channel.id}
    }
    if existed:
        body.update(no_op=True, already_open=True)
    return body


def open_conversation(ctx: CallContext, others: list[str]) -> tuple[Channel, bool]:
    """The caller's DM with one user (or group DM with several), created when missing."""
    people = list(dict.fromkeys([ctx.caller.user_id, *others]))
    if len(people) == 2:
        existing = ctx.ws.im_between(*people)
        if existing:
            return existing, True
        channel = Channel(
            id=ctx.svc.ids.next("D"),
            name="",
            created=ctx.now(),
            creator=ctx.caller.user_id,
            is_im=True,
            members=people,
        )
    else:
        name = "mpdm-" + "--".join(ctx.ws.users[p].name for p in people) + "-1"
        found = ctx.ws.channel_named(name)
        if found:
            return found, True
        channel = Channel(
            id=ctx.svc.ids.next("C"),
            name=name,
            created=ctx.now(),
            creator=ctx.caller.user_id,
            is_mpim=True,
            is_private=True,
            members=people,
        )
    ctx.ws.channels[channel.id] = channel
    return channel, False


def _set_text(ctx: CallContext, key: str, limit: int) -> dict[str, Any]:
    channel = ctx.channel(ctx.arg("channel"))
    ctx.need_channel_scope(channel, "manage")
    _must_be_member(ctx, channel)
    _not_archived(channel)
    value = ctx.arg(key) or ""
    if len(value) > limit:
        raise ApiError("too_long")
    setattr(channel, key, {"value": value, "creator": ctx.caller.user_id, "last_set": ctx.now()})
    verb = "set the channel topic" if key == "topic" else "set the channel purpose"
    system_message(ctx, channel, ctx.caller.user_id, f"channel_{key}", f"{verb}: {value}", **{key: value})
    return _info(ctx, channel)


@method("conversations.setTopic", tier="tier2")
def set_topic(ctx: CallContext) -> dict[str, Any]:
    """Set the topic (at most 250 characters)."""
    return _set_text(ctx, "topic", rules.TOPIC_MAX)


@method("conversations.setPurpose", tier="tier2")
def set_purpose(ctx: CallContext) -> dict[str, Any]:
    """Set the purpose (at most 250 characters)."""
    return _set_text(ctx, "purpose", rules.PURPOSE_MAX)


@method("conversations.archive", tier="tier2")
def archive(ctx: CallContext) -> dict[str, Any]:
    """Archive a channel."""
    channel = ctx.channel(ctx.arg("channel"))
    ctx.need_channel_scope(channel, "manage")
    if channel.is_im or channel.is_mpim:
        raise ApiError("method_not_supported_for_channel_type")
    if channel.is_general:
        raise ApiError("cant_archive_general")
    if channel.is_archived:
        raise ApiError("already_archived")
    _must_be_member(ctx, channel)
    system_message(ctx, channel, ctx.caller.user_id, "channel_archive", "archived the channel")
    channel.is_archived = True
    return {}


@method("conversations.unarchive", tier="tier2")
def unarchive(ctx: CallContext) -> dict[str, Any]:
    """Unarchive a channel."""
    channel = ctx.channel(ctx.arg("channel"))
    ctx.need_channel_scope(channel, "manage")
    if not channel.is_archived:
        raise ApiError("not_archived")
    _must_be_member(ctx, channel)
    channel.is_archived = False
    system_message(ctx, channel, ctx.caller.user_id, "channel_unarchive", "un-archived the channel")
    return {}
