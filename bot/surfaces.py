"""The services behind the Slack surfaces (the Home tab, the escalation form, the message shortcut).

Built from the process's Services; handlers receive them as `surfaces`. The Home refresher itself lives in
Services (`services.home`), so domain services refresh Home tabs after their own changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.home_refresher import HomeRefresher
from bot.services import Services
from bot.source_messages import SourceMessages


@dataclass(frozen=True)
class Surfaces:
    """Home tabs and escalated-message links."""

    home: HomeRefresher
    sources: SourceMessages

    @classmethod
    def create(cls, services: Services) -> Surfaces:
        """Wire them to `services`."""
        sources = SourceMessages(
            sessions=services.sessions,
            gateway=services.gateway,
            clock=services.clock,
            playbooks=services.playbooks,
        )
        return cls(home=services.home, sources=sources)
