"""Slack's documented limits and validation rules, each raising the error code Slack answers with."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from .errors import ApiError

# conversations.create: "lowercase letters, numbers, hyphens, and underscores, ... 80 characters or less".
CHANNEL_NAME_MAX = 80
CHANNEL_NAME_CHARS = re.compile(r"^[a-z0-9_-]+$")
# chat.postMessage: Slack truncates text past 40,000 characters; the sandbox refuses it instead.
TEXT_MAX = 40_000
# Block Kit: at most 50 blocks in a message, 100 in a modal or Home tab.
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
# conversations.setTopic / setPurpose: "too_long — Topic was longer than 250 characters."
TOPIC_MAX = 250
PURPOSE_MAX = 250
PRIVATE_METADATA_MAX = 3000
# views.push: "push_limit_reached — Currently the limit is 3."
VIEW_STACK_MAX = 3
# chat.scheduleMessage: post_at may be at most 120 days in the future.
SCHEDULE_HORIZON = 120 * 24 * 3600
EMOJI_NAME = re.compile(r"^[a-z0-9_+\-']+(::skin-tone-[2-6])?$")


def check_channel_name(name: str) -> None:
    """Raise Slack's conversations.create naming errors."""
    if not name:
        raise ApiError("invalid_name_required")
    if len(name) > CHANNEL_NAME_MAX:
        raise ApiError("invalid_name_maxlength")
    if not CHANNEL_NAME_CHARS.match(name):
        raise ApiError("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise ApiError("invalid_name_punctuation")


def parse_json_arg(value: Any, *, error: str = "invalid_arguments") -> Any:
    """A JSON argument that may arrive as text (form bodies) or already decoded (JSON bodies)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ApiError(error) from exc
    return value


def check_blocks(raw: Any, *, limit: int = MESSAGE_BLOCKS_MAX) -> list[dict[str, Any]]:
    """Parse and validate blocks with slack_sdk's models; `invalid_blocks` when malformed."""
    blocks = parse_json_arg(raw, error="invalid_blocks_format")
    if not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    if len(blocks) > limit:
        raise ApiError(
            "invalid_blocks", errors=[f"no more than {limit} items allowed [json-pointer:/blocks]"]
        )
    for index, block in enumerate(blocks):
        problem = block_problem(block)
        if problem:
            raise ApiError("invalid_blocks", errors=[f"{problem} [json-pointer:/blocks/{index}]"])
    return blocks


def block_problem(block: Any) -> str | None:
    """Why slack_sdk rejects one block, or None."""
    if not isinstance(block, dict):
        return "must be an object"
    parsed = Block.parse(block)
    if parsed is None:
        return f"unsupported type: {block.get('type')!r}"
    try:
        parsed.validate_json()
    except SlackObjectFormationError as exc:
        return str(exc)
    return None


def check_text(text: str | None, blocks: list[dict[str, Any]] | None, attachments: Any) -> None:
    """chat.* content rules: something to show, and not too long."""
    if not text and not blocks and not attachments:
        raise ApiError("no_text")
    if text and len(text) > TEXT_MAX:
        raise ApiError("msg_too_long")


def check_view(raw: Any, *, kinds: tuple[str, ...]) -> dict[str, Any]:
    """Parse a view and validate it with slack_sdk's View model (`invalid_arguments` like Slack)."""
    view = parse_json_arg(raw)
    if not isinstance(view, dict) or view.get("type") not in kinds:
        raise _invalid_view(f"view type must be one of {', '.join(kinds)}")
    blocks = view.get("blocks", [])
    if not isinstance(blocks, list):
        raise _invalid_view("blocks must be a list")
    for index, block in enumerate(blocks):
        problem = block_problem(block)
        if problem:
            raise _invalid_view(f"{problem} [json-pointer:/view/blocks/{index}]")
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA_MAX:
        raise _invalid_view("private_metadata must be at most 3000 characters")
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError) as exc:
        raise _invalid_view(str(exc)) from exc
    return view


def _invalid_view(message: str) -> ApiError:
    return ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {message}"]})


def emoji_name(raw: str | None) -> str:
    """A reaction name without colons; `invalid_name` when it cannot be an emoji."""
    name = (raw or "").strip().strip(":")
    if not name or not EMOJI_NAME.match(name):
        raise ApiError("invalid_name")
    return name
