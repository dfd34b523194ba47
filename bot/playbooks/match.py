"""When a playbook applies: its `match` rules (category, severity, customer tier) and how they compare."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationInfo, field_validator

from bot.playbooks.fields import SEVERITIES, Category, CustomerTier, Section, Severity


def _unique(items: Sequence[Any], noun: str) -> Sequence[Any]:
    if not items:
        raise ValueError(f"an empty list matches nothing: leave the key out to match any {noun}")
    duplicates = sorted({item for item in items if items.count(item) > 1})
    if duplicates:
        raise ValueError(f"lists {', '.join(duplicates)} more than once")
    return items


class Match(Section):
    """Which escalations a playbook takes; an omitted key matches anything."""

    categories: tuple[Category, ...] | None = None
    severities: tuple[Severity, ...] | None = None
    customer_tiers: tuple[CustomerTier, ...] | None = None

    @field_validator("categories", "severities", "customer_tiers")
    @classmethod
    def _non_empty_and_unique(
        cls, values: tuple[str, ...] | None, info: ValidationInfo
    ) -> tuple[str, ...] | None:
        nouns = {"categories": "category", "severities": "severity", "customer_tiers": "customer tier"}
        return None if values is None else tuple(_unique(values, nouns[info.field_name or "categories"]))

    def fits(self, *, category: str | None, severity: str, customer_tier: str | None) -> bool:
        """Whether an escalation with these attributes matches."""
        return (
            (self.categories is None or category in self.categories)
            and (self.severities is None or severity in self.severities)
            and (self.customer_tiers is None or customer_tier in self.customer_tiers)
        )

    def covers(self, other: Match) -> bool:
        """Whether every escalation `other` matches is also matched by this one."""
        pairs = (
            (self.categories, other.categories),
            (self.severities, other.severities),
            (self.customer_tiers, other.customer_tiers),
        )
        return all(
            mine is None or (theirs is not None and set(theirs) <= set(mine)) for mine, theirs in pairs
        )

    @property
    def matched_severities(self) -> tuple[Severity, ...]:
        """The severities this match accepts."""
        return self.severities if self.severities is not None else SEVERITIES

    def describe(self) -> str:
        """One line: `categories=outage severities=sev1,sev2 customer_tiers=any`."""
        parts = {
            "categories": self.categories,
            "severities": self.severities,
            "customer_tiers": self.customer_tiers,
        }
        return " ".join(f"{key}={','.join(values) if values else 'any'}" for key, values in parts.items())


MATCH_ANYTHING = Match()
