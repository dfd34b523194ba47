"""The exception tree.

SwarmbotError
├── UserError                 the person in Slack did something we can explain; shown as an ephemeral message
│   ├── InvalidCommand        the slash-command text does not fit the grammar
│   ├── NotInSwarm            a swarm-only command outside a swarm channel
│   ├── PermissionDenied      the person lacks the role the action needs
│   └── SwarmIncomplete       Slack failed part-way through opening; a retry finishes the job
├── ConfigurationError        the operator must fix the environment, a playbook or a file
├── SlackCallFailed           a Web API call failed after the gateway's retries
├── ConnectorError            (bot.connectors.errors) a ticket system did not take an archive
└── SchedulerError            (bot.scheduler.errors) a job could not run as planned
    ├── LeaseLost             another worker took the job over: this one must stop touching it
    └── PermanentJobError     a handler's way to fail a job without retrying
"""

from __future__ import annotations


class SwarmbotError(Exception):
    """Base of every error swarmbot raises on purpose."""


class UserError(SwarmbotError):
    """An error the person in Slack can fix; `message` says what went wrong, `hint` how to do it right."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidCommand(UserError):
    """The slash-command text does not fit the grammar."""


class NotInSwarm(UserError):
    """A command that only works inside a swarm channel was used elsewhere."""


class PermissionDenied(UserError):
    """The person lacks the role the action needs."""


class UnknownSwarm(UserError):
    """A button or form names a swarm that is not on record (deleted, or a forged payload)."""


class SwarmIncomplete(UserError):
    """Slack failed part-way through opening a swarm; what succeeded is recorded and a retry completes it."""


class ConfigurationError(SwarmbotError):
    """The operator must fix the environment, a playbook or an input file."""


# What Slack answers when it, not the request, is at fault (HTTP 5xx bodies, 429, `internal_error`).
TRANSIENT_SLACK_ERRORS = frozenset(
    {
        "ratelimited",
        "fatal_error",
        "internal_error",
        "bad_gateway",
        "service_unavailable",
        "gateway_timeout",
        "request_timeout",
    }
)
CONNECTION_FAILED = "connection failed"  # the gateway's error for a lost connection or a timeout


class SlackCallFailed(SwarmbotError):
    """A Web API call failed after the gateway's retries."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"{method} failed: {error}")
        self.method = method
        self.error = error

    @property
    def transient(self) -> bool:
        """Whether Slack or the network failed (trying later may work), rather than Slack refusing."""
        return self.error in TRANSIENT_SLACK_ERRORS or self.error.startswith(CONNECTION_FAILED)
