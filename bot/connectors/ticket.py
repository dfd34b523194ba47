"""What a connector delivers, and the shape every connector has."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ArchivedTicket:
    """A resolved swarm's archive, as it leaves swarmbot.

    `record` is the ticket record JSON (`swarmbot tickets show --json`); `markdown` the rendered transcript,
    which a connector may cut to its target's limit with a note saying so.
    """

    ticket_id: str
    channel_name: str
    severity: str
    resolution: str | None
    record: Mapping[str, Any]
    markdown: str


class TicketConnector(Protocol):
    """A ticket system that receives archived transcripts."""

    name: str

    async def deliver(self, archive: ArchivedTicket) -> None:
        """Hand over one archive; raises ConnectorError(retryable=…) when it was not taken."""
        ...
