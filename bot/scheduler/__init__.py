"""The durable scheduler: jobs as rows, claimed with a lease by any number of workers, run exactly once.

Services schedule jobs through `JobQueue`; `swarmbot worker` (or `serve --with-worker`) runs a `Worker`
with the handlers of `registry.job_handlers`. See queue.py for keys, claims.py for how claiming is safe
on each database, posting.py for the exactly-once Slack message.
"""

from bot.scheduler.context import JobContext, JobHandler
from bot.scheduler.errors import LeaseLost, PermanentJobError, SchedulerError
from bot.scheduler.jobs import JobView, Repeat, RetryPolicy
from bot.scheduler.queue import WAKE_TOPIC, JobQueue
from bot.scheduler.worker import Worker

__all__ = [
    "WAKE_TOPIC",
    "JobContext",
    "JobHandler",
    "JobQueue",
    "JobView",
    "LeaseLost",
    "PermanentJobError",
    "Repeat",
    "RetryPolicy",
    "SchedulerError",
    "Worker",
]
