"""Zendesk: the transcript as a private (internal) comment on the ticket, and a tag.

One request: `PUT {base}/api/v2/tickets/{id}.json` with
`{"ticket": {"comment": {"body": …, "public": false}, "additional_tags": [tag]}}`, authenticated with an API
token (`{email}/token:{token}`, HTTP basic). `additional_tags` adds the tag without touching the others.

The ticket id: swarmbot's ticket id holds the Zendesk ticket number as its only run of digits, optionally
after a prefix of letters or "#" ("ZD-4521", "zd4521", "#4521", "4521" → 4521). Anything else
("INC-2024-0001", "ACME") is refused rather than guessed: a private transcript must never land on the
wrong ticket.

Zendesk keeps a comment to about 64 KB, so the body is cut at COMMENT_LIMIT bytes of UTF-8 with a note
that says so and where the whole transcript is.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import aiohttp

from bot.connectors.errors import ConnectorError
from bot.connectors.responses import excerpt, is_retryable, retry_after
from bot.connectors.ticket import ArchivedTicket

COMMENT_LIMIT = 60_000  # bytes of UTF-8; Zendesk rejects comments over about 64 KB
_TICKET_NUMBER = re.compile(r"^\s*(?:[A-Za-z]+[-_ #:]?|#)?0*(?P<number>[1-9]\d{0,18})\s*$")


def zendesk_ticket_number(ticket_id: str) -> int:
    """The Zendesk ticket number in swarmbot's ticket id ("ZD-4521" → 4521); ConnectorError if unclear."""
    match = _TICKET_NUMBER.match(ticket_id)
    if match is None:
        raise ConnectorError(
            "zendesk",
            f"cannot tell the Zendesk ticket number from the ticket id `{ticket_id}`: use the number, "
            "optionally after letters (ZD-4521, #4521 or 4521).",
            retryable=False,
        )
    return int(match.group("number"))


def comment_body(archive: ArchivedTicket, *, limit: int = COMMENT_LIMIT) -> str:
    """The internal comment: what was resolved, then the transcript, cut to `limit` bytes with a note."""
    intro = f"swarmbot archived the swarm #{archive.channel_name} ({archive.severity})."
    if archive.resolution:
        intro += f"\nResolution: {archive.resolution}"
    body = f"{intro}\n\n{archive.markdown}"
    encoded = body.encode()
    if len(encoded) <= limit:
        return body
    total = len(body)

    def note_for(shown: int) -> str:
        return (
            f"\n\n[Transcript cut to fit a Zendesk comment: {shown:,} of {total:,} characters shown. "
            f"The whole transcript is in swarmbot's ticket record: "
            f"swarmbot tickets show {archive.ticket_id} --json]"
        )

    budget = limit - len(note_for(total).encode())
    kept = encoded[:budget].decode(errors="ignore")
    if "\n" in kept[len(intro) :]:
        kept = kept[: kept.rindex("\n")].rstrip()  # end on a whole line
    return kept + note_for(len(kept))


class ZendeskConnector:
    """Adds the transcript to the Zendesk ticket as an internal note and tags the ticket."""

    name = "zendesk"

    def __init__(
        self, base_url: str, email: str, token: str, tag: str = "swarmbot-archived", timeout: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.email = email
        self._token = token
        self.tag = tag
        self.timeout = timeout

    def request_body(self, archive: ArchivedTicket) -> dict[str, Any]:
        """The Update Ticket body for `archive`."""
        return {
            "ticket": {
                "comment": {"body": comment_body(archive), "public": False},
                "additional_tags": [self.tag],
            }
        }

    async def deliver(self, archive: ArchivedTicket) -> None:
        """PUT the comment and tag; raises ConnectorError (retryable: 429, 409, 5xx, lost connections)."""
        number = zendesk_ticket_number(archive.ticket_id)
        url = f"{self.base_url}/api/v2/tickets/{number}.json"
        credentials = base64.b64encode(f"{self.email}/token:{self._token}".encode()).decode()
        headers = {"Accept": "application/json", "Authorization": f"Basic {credentials}"}
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http,
                http.put(
                    url,
                    json=self.request_body(archive),
                    headers=headers,
                    allow_redirects=False,
                ) as response,
            ):
                if 200 <= response.status < 300:
                    return
                text = await response.text(errors="replace")
                raise self._failure(response.status, text, number, retry_after(response.headers))
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ConnectorError(
                self.name,
                f"could not reach {self.base_url} ({type(error).__name__}: {error})",
                retryable=True,
            ) from error

    def _failure(self, status: int, text: str, number: int, wait: float | None) -> ConnectorError:
        detail = _zendesk_detail(text)
        if status == 401:
            message = (
                "Zendesk refused the credentials (401): check SWARMBOT_ZENDESK_EMAIL and "
                "SWARMBOT_ZENDESK_TOKEN (an API token, with token access enabled in the Admin Center)."
            )
        elif status == 403:
            message = (
                f"Zendesk forbids {self.email} to update ticket {number} (403): the agent needs access to "
                f"the ticket. {detail}"
            )
        elif status == 404:
            message = (
                f"Zendesk has no ticket {number} at {self.base_url} (404): check the ticket id and "
                "SWARMBOT_ZENDESK_URL."
            )
        elif status == 422:
            message = f"Zendesk rejected the update of ticket {number} (422): {detail}"
        elif status == 429:
            message = "Zendesk rate limit reached (429)"
        elif 300 <= status < 400:
            message = (
                f"Zendesk answered with a redirect ({status}): set SWARMBOT_ZENDESK_URL to "
                "https://<subdomain>.zendesk.com"
            )
        else:
            message = f"Zendesk answered {status}: {detail}"
        return ConnectorError(self.name, message.strip(), retryable=is_retryable(status), retry_after=wait)


def _zendesk_detail(text: str) -> str:
    """Zendesk's words from an error body: {"error", "description", "details": {field: [{description}]}}."""
    try:
        body = json.loads(text)
    except ValueError:
        return excerpt(text) or "no details"
    if not isinstance(body, dict):
        return excerpt(text)
    parts: list[str] = []
    error = body.get("error")
    if isinstance(error, dict):
        parts.extend(str(error.get(key)) for key in ("title", "message") if error.get(key))
    elif error:
        parts.append(str(error))
    if body.get("description"):
        parts.append(str(body["description"]))
    details = body.get("details")
    if isinstance(details, dict):
        for field, problems in details.items():
            for problem in problems if isinstance(problems, list) else [problems]:
                description = problem.get("description") if isinstance(problem, dict) else problem
                parts.append(f"{field}: {description}")
    return excerpt("; ".join(parts)) if parts else excerpt(text)
