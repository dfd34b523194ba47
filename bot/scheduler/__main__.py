"""`python -m bot.scheduler` is `swarmbot worker`."""

from bot.scheduler.cli import worker_command

worker_command(prog_name="swarmbot worker")
