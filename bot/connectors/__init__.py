"""Ticket-system connectors: where an archived transcript goes besides swarmbot's own ticket record.

Each connector delivers one `ArchivedTicket` and raises `ConnectorError(retryable=…)` when it was not
taken; retries with backoff belong to the scheduler (one job per delivery), so a failing ticket system
never blocks the archive and never loses the local record.
"""

from bot.connectors.configuration import connectors_from_settings
from bot.connectors.errors import ConnectorError
from bot.connectors.ticket import ArchivedTicket, TicketConnector
from bot.connectors.webhook import WebhookConnector, signature, verify_signature
from bot.connectors.zendesk import ZendeskConnector, zendesk_ticket_number

__all__ = [
    "ArchivedTicket",
    "ConnectorError",
    "TicketConnector",
    "WebhookConnector",
    "ZendeskConnector",
    "connectors_from_settings",
    "signature",
    "verify_signature",
    "zendesk_ticket_number",
]
