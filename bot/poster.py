"""How a service posts a message: straight away for a person's command, exactly once for a scheduled job."""

from __future__ import annotations

from typing import Any, Protocol

from bot.scheduler import JobContext
from bot.scheduler.posting import post_once
from bot.slack.gateway import SlackGateway


class Poster(Protocol):
    """Posts `message` in `channel`; `slot` names it among the messages one piece of work posts."""

    async def __call__(self, channel: str, message: dict[str, Any], *, slot: str) -> str: ...


class DirectPoster:
    """Posts at once: a person's command is its own idempotency (it checked storage first)."""

    def __init__(self, gateway: SlackGateway) -> None:
        self._gateway = gateway

    async def __call__(self, channel: str, message: dict[str, Any], *, slot: str) -> str:
        message = {key: value for key, value in message.items() if key in ("text", "blocks")}
        return await self._gateway.post_message(channel, **message)


class JobPoster:
    """Posts once per job and slot, whatever crashes: the scheduler's post_once."""

    def __init__(self, context: JobContext, gateway: SlackGateway) -> None:
        self._context = context
        self._gateway = gateway

    async def __call__(self, channel: str, message: dict[str, Any], *, slot: str) -> str:
        return await post_once(
            self._context,
            self._gateway,
            channel=channel,
            text=message["text"],
            blocks=message.get("blocks"),
            slot=slot,
        )
