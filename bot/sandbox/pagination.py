"""Slack's cursor pagination: `limit`, `response_metadata.next_cursor` and `has_more`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from .errors import ApiError

T = TypeVar("T")


def encode_cursor(kind: str, value: str) -> str:
    """An opaque cursor like Slack's ("dXNlcjpVMDYxTkZUVDI=" is "user:U061NFTT2")."""
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(kind: str, cursor: str) -> str:
    """The value inside a cursor of this kind; `invalid_cursor` otherwise."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError("invalid_cursor") from exc
    prefix, sep, value = text.partition(":")
    if prefix != kind or not sep:
        raise ApiError("invalid_cursor")
    return value


def paginate(
    items: Sequence[T],
    *,
    kind: str,
    limit: int,
    cursor: str | None,
    token: Callable[[T], str],
    order: Callable[[str], int | str],
    descending: bool = False,
) -> tuple[list[T], str | None]:
    """One page of `items` (already sorted) and the cursor of the next page.

    The cursor names the first item of the next page by its sort key, so items added or removed
    between calls never make a page skip or repeat what remains.
    """
    start = 0
    if cursor:
        mark = order(decode_cursor(kind, cursor))
        start = next(
            (i for i, item in enumerate(items) if _reached(order(token(item)), mark, descending)), len(items)
        )
    page = list(items[start : start + limit])
    rest = items[start + limit :]
    return page, (encode_cursor(kind, token(rest[0])) if rest else None)


def _reached(key: int | str, mark: int | str, descending: bool) -> bool:
    if isinstance(key, int) and isinstance(mark, int):
        return key <= mark if descending else key >= mark
    return str(key) <= str(mark) if descending else str(key) >= str(mark)


def page_limit(raw: int | None, *, default: int, maximum: int) -> int:
    """A `limit` argument clamped like Slack: 0 or missing means the default."""
    if raw is None or raw <= 0:
        return default
    return min(raw, maximum)
