"""The set of playbooks in force, and how an escalation picks one: ordered rules, first match wins."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from bot.playbooks.fields import SEVERITIES
from bot.playbooks.match import MATCH_ANYTHING
from bot.playbooks.schema import Playbook


@dataclass(frozen=True)
class LibraryProblem:
    """A rule about the whole set that one playbook breaks, at one of its fields."""

    playbook: str
    field: str
    reason: str


def library_problems(playbooks: Iterable[Playbook]) -> list[LibraryProblem]:
    """What is wrong with this set as a whole: the default, clashing orders, playbooks never selected."""
    listed = list(playbooks)
    problems: list[LibraryProblem] = []
    defaults = [playbook for playbook in listed if playbook.default]
    if not defaults:
        problems.append(
            LibraryProblem("", "", "no playbook is marked `default: true`: exactly one must be the fallback")
        )
    for extra in defaults[1:]:
        problems.append(
            LibraryProblem(
                extra.name,
                "default",
                f"`{defaults[0].name}` is the default already: exactly one playbook is the fallback",
            )
        )
    ordered = _in_order(listed)
    first_with_order: dict[int, Playbook] = {}
    for playbook in ordered:
        assert playbook.order is not None  # _in_order holds only the ordered (non-default) playbooks
        earlier = first_with_order.setdefault(playbook.order, playbook)
        if earlier is not playbook:
            problems.append(
                LibraryProblem(
                    playbook.name,
                    "order",
                    f"{playbook.order} is also the order of `{earlier.name}`: give each playbook its own",
                )
            )
    for playbook in ordered:
        if playbook.effective_match.covers(MATCH_ANYTHING):
            problems.append(
                LibraryProblem(
                    playbook.name,
                    "match",
                    "matches every escalation, so the default would never be used: narrow `match`, "
                    "or make this the default",
                )
            )
    for index, playbook in enumerate(ordered):
        shadow = next(
            (e for e in ordered[:index] if e.effective_match.covers(playbook.effective_match)), None
        )
        if shadow is not None:
            problems.append(
                LibraryProblem(
                    playbook.name,
                    "match",
                    f"is never selected: `{shadow.name}` (order {shadow.order}) is tried first and matches "
                    "everything this playbook matches",
                )
            )
    return problems


def _in_order(playbooks: Iterable[Playbook]) -> list[Playbook]:
    # Python's sort is stable, so equal orders (an error reported above) keep their file order.
    return sorted((p for p in playbooks if not p.default), key=lambda p: p.order or 0)


class PlaybookLibrary:
    """The playbooks in force: the ordered ones by ascending `order`, then the default fallback."""

    def __init__(self, playbooks: Iterable[Playbook]) -> None:
        listed = list(playbooks)
        problems = library_problems(listed)
        names = [playbook.name for playbook in listed]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if problems or duplicates:
            reasons = [f"{p.playbook}: {p.field}: {p.reason}" for p in problems]
            reasons += [f"{name}: the name is used twice" for name in duplicates]
            raise ValueError("not a valid set of playbooks: " + "; ".join(reasons))
        self.default = next(playbook for playbook in listed if playbook.default)
        self.playbooks: tuple[Playbook, ...] = (*_in_order(listed), self.default)
        self._by_name = {playbook.name: playbook for playbook in self.playbooks}

    @cached_property  # asked on every request; the library never changes once loaded
    def categories(self) -> frozenset[str]:
        """Every category word some playbook matches: the words `/escalate` recognises as a category."""
        return frozenset(
            category
            for playbook in self.playbooks
            for category in (playbook.effective_match.categories or ())
        )

    def select(self, category: str | None, severity: str, customer_tier: str | None = None) -> Playbook:
        """The first playbook (by ascending order) whose match fits, otherwise the default."""
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity `{severity}`: use one of {', '.join(SEVERITIES)}")
        for playbook in self.playbooks[:-1]:
            if playbook.effective_match.fits(
                category=category, severity=severity, customer_tier=customer_tier
            ):
                return playbook
        return self.default

    def get(self, name: str) -> Playbook:
        """The playbook called `name`; KeyError if there is none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no playbook is called `{name}`; there are {', '.join(self._by_name)}") from None

    def __iter__(self) -> Iterator[Playbook]:
        return iter(self.playbooks)

    def __len__(self) -> int:
        return len(self.playbooks)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        return f"PlaybookLibrary({', '.join(self._by_name)})"
