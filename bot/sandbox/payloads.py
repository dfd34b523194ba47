"""Interaction payloads as Slack builds them: block_actions (on messages, ephemeral ones and views),
view_submission and message_action."""

from __future__ import annotations

from typing import Any

from .errors import SandboxError
from .shapes import message_json, view_json
from .state import Channel, View, Workspace

VERIFICATION_TOKEN = "sandbox-verification-token"


def user_ref(ws: Workspace, user_id: str) -> dict[str, Any]:
    """The `user` object of interaction payloads."""
    user = ws.users.get(user_id)
    if user is None:
        raise SandboxError(f"no user {user_id}")
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": ws.team_id}


def _common(ws: Workspace, kind: str, user_id: str, trigger_id: str) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def message_context(ws: Workspace, channel: Channel, message_ts: str) -> dict[str, Any]:
    """The `message` object of a payload about a message."""
    message = channel.messages.get(message_ts)
    if message is None:
        raise SandboxError(f"no message {message_ts} in {channel.id}")
    return message_json(ws, channel, message)


def find_ephemeral(ws: Workspace, channel_id: str, message_ts: str, user_id: str) -> dict[str, Any] | None:
    """The ephemeral message `user_id` sees in `channel_id` at `message_ts` (only they can click it)."""
    return next(
        (
            e
            for e in ws.ephemerals
            if e["channel"] == channel_id and e["message_ts"] == message_ts and e["user"] == user_id
        ),
        None,
    )


def find_element(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The (block, element) carrying `action_id`."""
    for block in blocks:
        candidates = [*(block.get("elements") or []), block.get("element"), block.get("accessory")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block, element
    return None


def block_actions(
    ws: Workspace,
    *,
    user_id: str,
    trigger_id: str,
    action_ts: str,
    action_id: str,
    value: str | None,
    block_id: str | None,
    channel_id: str | None,
    message_ts: str | None,
    view_id: str | None,
    action_type: str,
    action: dict[str, Any] | None,
) -> dict[str, Any]:
    """A block_actions payload for an element of a stored message or view (no response_url yet)."""
    payload = _common(ws, "block_actions", user_id, trigger_id)
    if view_id:
        view = ws.views.get(view_id)
        if view is None:
            raise SandboxError(f"no view {view_id}")
        blocks = view.body.get("blocks", [])
        payload.update(container={"type": "view", "view_id": view_id}, view=view_json(view))
    elif channel_id and message_ts:
        channel = ws.channels[channel_id]
        ephemeral = (
            None if message_ts in channel.messages else find_ephemeral(ws, channel_id, message_ts, user_id)
        )
        container = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": ephemeral is not None,
        }
        payload.update(
            container=container, channel={"id": channel_id, "name": channel.name}, state={"values": {}}
        )
        if ephemeral is not None:
            # Slack keeps no copy of an ephemeral message, so the payload carries none: only its container.
            blocks = ephemeral.get("blocks") or []
        else:
            message = message_context(ws, channel, message_ts)
            blocks = message.get("blocks") or []
            payload["message"] = message
    else:
        raise SandboxError("block_action needs view_id, or channel_id and message_ts")
    found = find_element(blocks, action_id)
    element = found[1] if found else {}
    entry: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id or (found[0].get("block_id", "") if found else ""),
        "type": element.get("type", action_type),
        "action_ts": action_ts,
    }
    if value is not None:
        entry["value"] = value
    if "text" in element:
        entry["text"] = element["text"]
    entry.update(action or {})
    payload["actions"] = [entry]
    return payload


def view_submission(ws: Workspace, view: View, *, user_id: str, trigger_id: str) -> dict[str, Any]:
    """A view_submission payload carrying the view with its state."""
    payload = _common(ws, "view_submission", user_id, trigger_id)
    payload.update(view=view_json(view), response_urls=[])
    return payload


def message_action(
    ws: Workspace,
    *,
    user_id: str,
    trigger_id: str,
    action_ts: str,
    callback_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
) -> dict[str, Any]:
    """A message shortcut payload."""
    channel = ws.channels[channel_id]
    payload = _common(ws, "message_action", user_id, trigger_id)
    payload.update(
        action_ts=action_ts,
        channel={"id": channel_id, "name": channel.name},
        callback_id=callback_id,
        response_url=response_url,
        message_ts=message_ts,
        message=message_context(ws, channel, message_ts),
    )
    return payload
