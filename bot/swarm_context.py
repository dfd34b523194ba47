"""What the timed parts of a swarm (reminders, levels, SLA) read: the swarm, its playbook, its last update."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.durations import Duration
from bot.playbooks import Playbook, PlaybookLibrary
from bot.swarm_views import SwarmView, load_swarm_view
from storage.db import SessionFactory
from storage.models import StatusUpdate, Swarm


def for_severity(table: Mapping[Any, Duration] | None, severity: str) -> Duration | None:
    """A playbook's per-severity duration (cadence, SLA target), None when it sets none."""
    return table.get(severity) if table else None


@dataclass(frozen=True)
class SwarmState:
    """A swarm as its clocks see it."""

    view: SwarmView
    playbook: Playbook
    opened_at: datetime
    last_update_at: datetime | None
    escalation_level: int
    missed_reminders: int

    @property
    def open(self) -> bool:
        """Still being worked (not resolved)."""
        return self.view.status != "resolved"

    @property
    def clock_started(self) -> datetime:
        """What the update cadence counts from: the last update, else the opening."""
        return self.last_update_at or self.opened_at


async def swarm_state(
    sessions: SessionFactory, playbooks: PlaybookLibrary, swarm_id: int
) -> SwarmState | None:
    """The swarm's state, or None if it no longer exists."""
    async with sessions() as session:
        swarm = await session.get(Swarm, swarm_id)
        if swarm is None:
            return None
        view = await load_swarm_view(session, swarm_id)
        last = await session.scalar(
            select(func.max(StatusUpdate.posted_at)).where(StatusUpdate.swarm_id == swarm_id)
        )
        name = swarm.playbook
        playbook = playbooks.get(name) if name is not None and name in playbooks else playbooks.default
        return SwarmState(
            view=view,
            playbook=playbook,
            opened_at=swarm.opened_at,
            last_update_at=last,
            escalation_level=swarm.escalation_level,
            missed_reminders=swarm.missed_reminders,
        )
