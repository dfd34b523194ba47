"""Logging: plain or JSON lines, a request id on everything a Slack request causes, and no secrets ever.

Every record passes `SecretFilter`, which masks Slack tokens (xoxb-, xoxp-, xapp-, …) and any secret the
settings hold, whatever logged them (our code, Bolt, slack-sdk's debug output).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("swarmbot_request_id", default="-")
_TOKEN = re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]+")
MASK = "[secret]"


def new_request_id() -> str:
    """Start a request: a short id every log line it causes carries."""
    request_id = uuid.uuid4().hex[:12]
    REQUEST_ID.set(request_id)
    return request_id


class SecretFilter(logging.Filter):
    """Masks tokens and configured secrets in the message and its arguments."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if len(secret) >= 6]

    def mask(self, text: str) -> str:
        """`text` with every token and secret replaced."""
        text = _TOKEN.sub(MASK, text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.mask(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request id, message (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(*, level: int, json_lines: bool, secrets: Iterable[str] = ()) -> None:
    """Set up the root logger once: the format, the level and the secret filter on every handler."""
    handler = logging.StreamHandler()
    handler.addFilter(SecretFilter(secrets))
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
