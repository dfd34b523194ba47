"""The scheduler's exceptions (they join the tree in bot/errors.py).

SwarmbotError
└── SchedulerError            something went wrong with a durable job
    ├── LeaseLost             this worker no longer holds the job: another took it over, or it was cancelled
    └── PermanentJobError     a handler's way to say "retrying cannot help": the job fails at once
"""

from __future__ import annotations

from bot.errors import SwarmbotError


class SchedulerError(SwarmbotError):
    """Base of the scheduler's errors."""


class LeaseLost(SchedulerError):
    """The worker no longer holds the job's lease, so it may not write to it."""

    def __init__(self, job_id: int, owner: str) -> None:
        super().__init__(f"job {job_id} is no longer held by {owner}")
        self.job_id = job_id
        self.owner = owner


class PermanentJobError(SchedulerError):
    """Raised by a handler when retrying cannot help; the job goes straight to `failed`."""
