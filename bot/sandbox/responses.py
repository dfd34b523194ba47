"""What a POST to a `response_url` does: an ephemeral or in-channel reply, or a change to the original
(a channel message, or the ephemeral message a button was clicked on)."""

from __future__ import annotations

from typing import Any

from . import rules
from .errors import ApiError
from .methods.chat import post
from .methods.context import CallContext
from .methods.posting import changed, deleted
from .payloads import find_ephemeral
from .shapes import message_json
from .state import ResponseUrl

# Slack: a response_url may be used up to 5 times within 30 minutes.
MAX_USES = 5
LIFETIME = 30 * 60


def check_usable(url: ResponseUrl | None, now: float) -> str | None:
    """Why this response_url cannot be used now (an error code), or None."""
    if url is None:
        return "invalid_url"
    if now - url.created > LIFETIME:
        return "expired_url"
    if url.uses >= MAX_USES:
        return "used_url"
    return None


def apply_response(ctx: CallContext, url: ResponseUrl, payload: dict[str, Any]) -> None:
    """Carry out one response_url POST as the app's bot."""
    url.uses += 1
    ctx.ws.responses.append(
        {
            "source": url.source,
            "channel": url.channel,
            "user": url.user,
            "payload": payload,
            "at": ctx.svc.config.clock(),
        }
    )
    channel = ctx.ws.channels.get(url.channel or "")
    original = channel.messages.get(url.message_ts or "") if channel else None
    ephemeral = (
        find_ephemeral(ctx.ws, url.channel or "", url.message_ts or "", url.user)
        if original is None and url.message_ts
        else None
    )
    if ephemeral is not None and (payload.get("delete_original") or payload.get("replace_original")):
        _change_ephemeral(ctx, ephemeral, payload)
        return
    if channel and original and payload.get("delete_original"):
        previous = message_json(ctx.ws, channel, original)
        ctx.ws.remove_message(channel, original)
        deleted(ctx, channel, previous)
        return
    blocks = rules.check_blocks(payload["blocks"]) if payload.get("blocks") is not None else None
    text = payload.get("text") or ""
    rules.check_text(text, blocks, payload.get("attachments"))
    if channel and original and payload.get("replace_original"):
        previous = message_json(ctx.ws, channel, original)
        original.text, original.blocks = text, blocks
        original.edited = {"user": ctx.ws.bot_user_id, "ts": ctx.next_ts()}
        changed(ctx, channel, original, previous)
        return
    if payload.get("response_type") == "in_channel" and channel is not None:
        if channel.is_archived:
            raise ApiError("is_archived")
        fields = {"text": text, "blocks": blocks, "attachments": payload.get("attachments")}
        post(ctx, channel, fields, thread_ts=payload.get("thread_ts"))
        return
    ctx.ws.ephemerals.append(
        {
            "channel": url.channel,
            "user": url.user,
            "message_ts": ctx.next_ts(),
            "thread_ts": payload.get("thread_ts"),
            "source": "response_url",
            "posted_by": ctx.ws.bot_user_id,
            "text": text,
            "blocks": blocks,
            "attachments": payload.get("attachments"),
        }
    )


def _change_ephemeral(ctx: CallContext, ephemeral: dict[str, Any], payload: dict[str, Any]) -> None:
    """An ephemeral message's response_url may replace or delete it (only its person ever saw it)."""
    if payload.get("delete_original"):
        ctx.ws.ephemerals.remove(ephemeral)
        return
    blocks = rules.check_blocks(payload["blocks"]) if payload.get("blocks") is not None else None
    text = payload.get("text") or ""
    rules.check_text(text, blocks, payload.get("attachments"))
    ephemeral.update(text=text, blocks=blocks, attachments=payload.get("attachments"))
