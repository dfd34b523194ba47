"""Running independent Slack steps side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable


async def all_finished(*steps: Awaitable[None]) -> None:
    """Run `steps` together, each to its end (what succeeded is recorded), then raise the first failure.

    Unlike a TaskGroup, a failing step does not cancel its siblings half-way through a Slack call.
    """
    for outcome in await asyncio.gather(*steps, return_exceptions=True):
        if isinstance(outcome, BaseException):
            raise outcome
