"""Render workspace objects as the JSON Slack sends (copies, never live state)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .state import Bookmark, Channel, Message, User, Usergroup, View, Workspace


def user_json(user: User, *, with_email: bool = True) -> dict[str, Any]:
    """A user object as users.info returns it."""
    offset, label = _tz(user.tz)
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.display_name,
        "display_name_normalized": user.display_name,
        "team": user.team_id,
    }
    if user.email and with_email:
        profile["email"] = user.email
    if user.bot_id:
        profile["bot_id"] = user.bot_id
    return {
        "id": user.id,
        "team_id": user.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": label,
        "tz_offset": offset,
        "profile": profile,
        "is_admin": user.is_admin,
        "is_owner": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": user.updated,
    }


def _tz(name: str) -> tuple[int, str]:
    try:
        now = datetime.now(ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        return 0, name
    delta = now.utcoffset()
    return (int(delta.total_seconds()) if delta else 0), now.tzname() or name


def usergroup_json(group: Usergroup, *, include_users: bool) -> dict[str, Any]:
    """A user group as usergroups.list returns it."""
    body: dict[str, Any] = {
        "id": group.id,
        "team_id": group.team_id,
        "is_usergroup": True,
        "name": group.name,
        "description": group.description,
        "handle": group.handle,
        "is_external": False,
        "date_create": group.date_create,
        "date_update": group.date_create,
        "date_delete": 0,
        "auto_type": None,
        "created_by": group.created_by,
        "updated_by": group.created_by,
        "deleted_by": None,
        "prefs": {"channels": [], "groups": []},
        "user_count": len(group.users),
    }
    if include_users:
        body["users"] = list(group.users)
    return body


def channel_json(channel: Channel, *, viewer: str | None, num_members: bool = False) -> dict[str, Any]:
    """A conversation object as conversations.info returns it."""
    if channel.is_im:
        other = channel.im_user or next((m for m in channel.members if m != viewer), viewer)
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": other,
            "is_user_deleted": False,
            "priority": 0,
        }
    body: dict[str, Any] = {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_private and not channel.is_mpim,
        "is_group": False,
        "is_im": False,
        "is_mpim": channel.is_mpim,
        "is_private": channel.is_private,
        "created": channel.created,
        "is_archived": channel.is_archived,
        "is_general": channel.is_general,
        "unlinked": 0,
        "name_normalized": channel.name,
        "is_shared": False,
        "is_org_shared": False,
        "is_ext_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "parent_conversation": None,
        "creator": channel.creator,
        "is_member": viewer in channel.members,
        "topic": dict(channel.topic),
        "purpose": dict(channel.purpose),
        "previous_names": list(channel.previous_names),
    }
    if num_members:
        body["num_members"] = len(channel.members)
    return body


def message_json(
    ws: Workspace, channel: Channel, message: Message, *, metadata: bool = True, in_thread: bool = False
) -> dict[str, Any]:
    """A message as history/replies return it; parents carry reply_count and friends."""
    body: dict[str, Any] = {"type": "message", "ts": message.ts, "user": message.user, "text": message.text}
    if message.subtype:
        body["subtype"] = message.subtype
    if message.blocks is not None:
        body["blocks"] = copy.deepcopy(message.blocks)
    if message.attachments:
        body["attachments"] = copy.deepcopy(message.attachments)
    if message.bot_id:
        body["bot_id"], body["app_id"] = message.bot_id, message.app_id
        body["bot_profile"] = _bot_profile(ws)
    body["team"] = ws.team_id
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    if message.is_reply:
        parent = channel.messages.get(message.thread_ts or "")
        body["parent_user_id"] = parent.user if parent else message.user
    elif message.replies:
        repliers = list(dict.fromkeys(channel.messages[r].user for r in message.replies))
        body.update(
            reply_count=len(message.replies),
            reply_users=repliers[:5],
            reply_users_count=len(repliers),
            latest_reply=message.replies[-1],
            is_locked=False,
            subscribed=False,
        )
    if message.reply_broadcast and not in_thread:
        body["subtype"] = "thread_broadcast"
        body["root"] = {"ts": message.thread_ts}
    if message.edited:
        body["edited"] = dict(message.edited)
    if message.reactions:
        body["reactions"] = [
            {"name": r.name, "users": list(r.users), "count": len(r.users)} for r in message.reactions
        ]
    if message.pinned_to:
        body["pinned_to"] = list(message.pinned_to)
    if message.metadata and metadata:
        body["metadata"] = copy.deepcopy(message.metadata)
    body.update(copy.deepcopy(message.extra))
    return body


def _bot_profile(ws: Workspace) -> dict[str, Any]:
    bot = ws.users[ws.bot_user_id]
    return {
        "id": ws.bot_id,
        "app_id": ws.app_id,
        "name": bot.name,
        "deleted": False,
        "team_id": ws.team_id,
        "icons": {"image_36": "", "image_48": "", "image_72": ""},
    }


def view_json(view: View) -> dict[str, Any]:
    """A view object as views.* return it and view payloads carry it."""
    body = copy.deepcopy(view.body)
    body.setdefault("private_metadata", "")
    body.setdefault("callback_id", "")
    body.update(
        id=view.id,
        team_id=view.team_id,
        type=view.type,
        state={"values": copy.deepcopy(view.state_values)},
        hash=view.hash,
        root_view_id=view.root_view_id,
        previous_view_id=view.previous_view_id,
        app_id=view.app_id,
        external_id=view.external_id or "",
        app_installed_team_id=view.team_id,
        bot_id=view.bot_id,
    )
    return body


def bookmark_json(bookmark: Bookmark, ws: Workspace) -> dict[str, Any]:
    """A bookmark as bookmarks.add/list return it."""
    return {
        "id": bookmark.id,
        "channel_id": bookmark.channel_id,
        "title": bookmark.title,
        "link": bookmark.link,
        "emoji": bookmark.emoji,
        "icon_url": None,
        "type": bookmark.type,
        "entity_id": None,
        "date_created": bookmark.created,
        "date_updated": bookmark.created,
        "rank": "U",
        "last_updated_by_user_id": bookmark.created_by,
        "last_updated_by_team_id": ws.team_id,
        "shortcut_id": None,
        "app_id": ws.app_id if bookmark.created_by == ws.bot_user_id else None,
    }
