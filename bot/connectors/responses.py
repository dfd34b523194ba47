"""How connectors read HTTP answers: which failures are worth retrying, and how soon."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from multidict import CIMultiDictProxy

RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})  # and every 5xx
MAX_RETRY_AFTER = 3600.0  # a longer wait is a misconfigured server: cap it, the scheduler backs off anyway


def is_retryable(status: int) -> bool:
    """Whether an HTTP status means "try again later" rather than "this will never work"."""
    return status in RETRYABLE_STATUSES or status >= 500


def retry_after(headers: CIMultiDictProxy[str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def excerpt(body: str, limit: int = 300) -> str:
    """The start of a response body, on one line, for an error message."""
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
