"""ConnectorError: a ticket system did not take an archived transcript.

SwarmbotError
└── ConnectorError        retryable (429, 5xx, 409, timeouts, lost connections) or not (credentials,
                          permissions, a missing ticket, a rejected update, a ticket id the system cannot use)
"""

from __future__ import annotations

from bot.errors import SwarmbotError


class ConnectorError(SwarmbotError):
    """A delivery failed; `retryable` says whether trying again later can help, `retry_after` how soon."""

    def __init__(
        self, connector: str, message: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{connector}: {message}")
        self.connector = connector
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
