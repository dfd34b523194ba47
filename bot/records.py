"""Recording what Slack answered, one short transaction per step, so a retry resumes where it stopped."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result, update

from storage.db import SessionFactory
from storage.models import Base


async def record(sessions: SessionFactory, model: type[Base], row_id: int, **values: Any) -> None:
    """Set `values` on row `row_id` of `model` and commit."""
    async with sessions() as session:
        await session.execute(update(model).where(model.__table__.c.id == row_id).values(**values))
        await session.commit()


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE changed (compare-and-set: 1 means this caller won)."""
    return cast(CursorResult[Any], result).rowcount
