"""conversations.history (newest first, parents only) and conversations.replies (parent, then replies)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..ids import ts_key
from ..pagination import page_limit, paginate
from ..shapes import message_json
from ..state import Channel, Message
from .context import CallContext
from .registry import method


def _readable(ctx: CallContext) -> Channel:
    channel = ctx.channel(ctx.arg("channel"))
    ctx.need_channel_scope(channel, "history")
    # A bot token reads only conversations the bot is in; a user token reads every public channel.
    if ctx.caller.is_bot and not ctx.is_member(channel):
        raise ApiError("not_in_channel")
    return channel


def _window(ctx: CallContext, messages: list[Message]) -> list[Message]:
    oldest = ts_key(ctx.arg("oldest") or "0")
    latest_arg = ctx.arg("latest")
    latest = ts_key(latest_arg) if latest_arg else None
    inclusive = ctx.flag("inclusive")

    def inside(m: Message) -> bool:
        key = ts_key(m.ts)
        after = key >= oldest if inclusive else key > oldest
        before = latest is None or (key <= latest if inclusive else key < latest)
        return after and before

    return [m for m in messages if inside(m)]


@method("conversations.history", tier="tier3")
def history(ctx: CallContext) -> dict[str, Any]:
    """Top-level messages (thread parents carry reply_count), newest first."""
    channel = _readable(ctx)
    newest_first = list(reversed(_window(ctx, ctx.ws.sorted_timeline(channel))))
    limit = page_limit(ctx.integer("limit"), default=100, maximum=999)
    page, cursor = paginate(
        newest_first,
        kind="next_ts",
        limit=limit,
        cursor=ctx.arg("cursor"),
        token=lambda m: m.ts,
        order=ts_key,
        descending=True,
    )
    metadata = ctx.flag("include_all_metadata")
    return {
        "messages": [message_json(ctx.ws, channel, m, metadata=metadata) for m in page],
        "has_more": cursor is not None,
        "pin_count": len(channel.pins),
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": cursor or ""},
    }


@method("conversations.replies", tier="tier3")
def replies(ctx: CallContext) -> dict[str, Any]:
    """A thread: the parent first on every page, then replies oldest first."""
    channel = _readable(ctx)
    parent = ctx.ws.thread_root(channel, ctx.arg("ts") or "")
    if parent is None:
        raise ApiError("thread_not_found")
    thread = _window(ctx, [channel.messages[ts] for ts in parent.replies])
    limit = page_limit(ctx.integer("limit"), default=1000, maximum=1000)
    page, cursor = paginate(
        thread, kind="next_ts", limit=limit, cursor=ctx.arg("cursor"), token=lambda m: m.ts, order=ts_key
    )
    metadata = ctx.flag("include_all_metadata")
    return {
        "messages": [
            message_json(ctx.ws, channel, m, metadata=metadata, in_thread=True) for m in [parent, *page]
        ],
        "has_more": cursor is not None,
        "response_metadata": {"next_cursor": cursor or ""},
    }
