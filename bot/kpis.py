"""Key figures per swarm (on the ticket record) and across swarms (`swarmbot report`)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Participant, Swarm, TimelineEntry


@dataclass(frozen=True)
class SwarmKpis:
    """How one swarm went."""

    time_to_first_expert: float | None  # seconds
    time_to_first_update: float | None
    time_to_resolve: float | None
    participants: int
    missed_reminders: int
    highest_level: int
    sla: dict[str, str]  # respond / resolve → met | breached | pending

    def as_record(self) -> dict[str, Any]:
        """The `kpis` object of the ticket record."""
        return {
            "time_to_first_expert_seconds": self.time_to_first_expert,
            "time_to_first_update_seconds": self.time_to_first_update,
            "time_to_resolve_seconds": self.time_to_resolve,
            "participants": self.participants,
            "missed_reminders": self.missed_reminders,
            "highest_level": self.highest_level,
            "sla": self.sla,
        }


def _since(start: datetime, moment: datetime | None) -> float | None:
    return (moment - start).total_seconds() if moment is not None else None


async def swarm_kpis(session: AsyncSession, swarm: Swarm) -> SwarmKpis:
    """The figures of one swarm, from its timeline and rows."""
    entries = (
        await session.execute(
            select(TimelineEntry.kind, TimelineEntry.at, TimelineEntry.detail)
            .where(TimelineEntry.swarm_id == swarm.id)
            .order_by(TimelineEntry.at, TimelineEntry.id)
        )
    ).all()
    first: dict[str, datetime] = {}
    breached: set[str] = set()
    reminders = 0
    for kind, at, detail in entries:
        first.setdefault(kind, at)
        if kind == "sla_breached":
            breached.add(str(detail.get("target")))
        elif kind == "reminder_sent":
            reminders += 1
    participants = await session.scalar(
        select(func.count()).select_from(Participant).where(Participant.swarm_id == swarm.id)
    )
    resolved = swarm.status == "resolved"
    sla = {
        "respond": "breached" if "respond" in breached else "met" if "status_update" in first else "pending",
        "resolve": "breached" if "resolve" in breached else "met" if resolved else "pending",
    }
    return SwarmKpis(
        time_to_first_expert=_since(swarm.opened_at, first.get("expert_accepted")),
        time_to_first_update=_since(swarm.opened_at, first.get("status_update")),
        time_to_resolve=_since(swarm.opened_at, swarm.resolved_at),
        participants=int(participants or 0),
        missed_reminders=reminders,
        highest_level=swarm.escalation_level,
        sla=sla,
    )


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share 0.9 for p90) of non-empty `values`."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = seconds / 60
    return f"{minutes:.0f}m" if minutes < 120 else f"{minutes / 60:.1f}h"


@dataclass(frozen=True)
class ReportRow:
    """One group of swarms (a severity or a category) and its figures."""

    group: str
    swarms: int
    figures: dict[str, tuple[float | None, float | None]]  # kpi → (median, p90)
    breaches: int

    def line(self) -> str:
        """The report's line for this group."""
        cells = [f"{_duration(median)} / {_duration(p90)}" for median, p90 in self.figures.values()]
        return (
            f"{self.group:<14} {self.swarms:>6}   "
            + "   ".join(f"{cell:>15}" for cell in cells)
            + f"   {self.breaches:>8}"
        )


KPI_COLUMNS = {
    "time_to_first_expert": "first expert",
    "time_to_first_update": "first update",
    "time_to_resolve": "resolve",
}


def summarise(group: str, kpis: Iterable[SwarmKpis]) -> ReportRow:
    """Medians and p90s of a group of swarms."""
    items = list(kpis)
    figures: dict[str, tuple[float | None, float | None]] = {}
    for name in KPI_COLUMNS:
        values = [value for kpi in items if (value := getattr(kpi, name)) is not None]
        figures[name] = (statistics.median(values), percentile(values, 0.9)) if values else (None, None)
    breaches = sum(1 for kpi in items if "breached" in kpi.sla.values())
    return ReportRow(group, len(items), figures, breaches)


async def report(session: AsyncSession, *, since: datetime) -> list[str]:
    """`swarmbot report`: medians and p90 per severity and per category of swarms opened since `since`."""
    swarms = (await session.scalars(select(Swarm).where(Swarm.opened_at >= since).order_by(Swarm.id))).all()
    by_severity: dict[str, list[SwarmKpis]] = defaultdict(list)
    by_category: dict[str, list[SwarmKpis]] = defaultdict(list)
    everything: list[SwarmKpis] = []
    for swarm in swarms:
        kpis = await swarm_kpis(session, swarm)
        by_severity[swarm.severity].append(kpis)
        by_category[swarm.category or "(none)"].append(kpis)
        everything.append(kpis)
    header = f"{'':<14} {'swarms':>6}   " + "   ".join(f"{title:>15}" for title in KPI_COLUMNS.values())
    lines = [f"Swarms opened since {since:%Y-%m-%d %H:%M} UTC: median / p90", header + "   breaches"]
    lines += [summarise(sev, by_severity[sev]).line() for sev in sorted(by_severity)]
    lines.append("")
    lines += [summarise(cat, by_category[cat]).line() for cat in sorted(by_category)]
    lines.append("")
    lines.append(summarise("all", everything).line())
    return lines
