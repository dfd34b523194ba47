"""Errors of the sandbox.

SandboxError            misuse of the sandbox itself (seeding, driver, inspection)
└── SandboxTimeout      `wait_for` gave up; the message lists recent calls and deliveries
ApiError                a Web API handler's `ok: false` answer, with Slack's error code and extras
"""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """The sandbox was used in a way it does not support."""


class SandboxTimeout(SandboxError, AssertionError):
    """A `wait_for` predicate never became true."""


class ApiError(Exception):
    """A Web API error answer: `{"ok": false, "error": code, **extra}`."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack would send."""
        return {"ok": False, "error": self.code, **self.extra}
