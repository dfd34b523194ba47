"""People acting in the workspace through the real Web API, each with their own user token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from .server import AWAIT_EVENTS_HEADER

if TYPE_CHECKING:
    from .sandbox import Sandbox


class Human:
    """One person; every action returns after the events it caused reached the app (first attempt)."""

    def __init__(self, sandbox: Sandbox, user_id: str) -> None:
        self.sandbox = sandbox
        self.user_id = user_id
        self.token = sandbox.token_of(user_id)

    @property
    def client(self) -> AsyncWebClient:
        """A slack-sdk client holding this person's token."""
        return AsyncWebClient(
            token=self.token, base_url=self.sandbox.api_url, headers={AWAIT_EVENTS_HEADER: "1"}
        )

    async def post(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        **extra: Any,
    ) -> str:
        """Post a message (or a thread reply) and return its ts."""
        response = await self.client.chat_postMessage(
            channel=channel, text=text, thread_ts=thread_ts, reply_broadcast=reply_broadcast or None, **extra
        )
        return str(response["ts"])

    async def reply(self, channel: str, thread_ts: str, text: str) -> str:
        """Reply in a thread."""
        return await self.post(channel, text, thread_ts=thread_ts)

    async def edit(self, channel: str, ts: str, text: str) -> None:
        """Edit one of their messages."""
        await self.client.chat_update(channel=channel, ts=ts, text=text)

    async def delete(self, channel: str, ts: str) -> None:
        """Delete one of their messages."""
        await self.client.chat_delete(channel=channel, ts=ts)

    async def react(self, channel: str, ts: str, name: str) -> None:
        """Add an emoji reaction."""
        await self.client.reactions_add(channel=channel, timestamp=ts, name=name)

    async def unreact(self, channel: str, ts: str, name: str) -> None:
        """Remove their emoji reaction."""
        await self.client.reactions_remove(channel=channel, timestamp=ts, name=name)

    async def join(self, channel: str) -> None:
        """Join a public channel."""
        await self.client.conversations_join(channel=channel)

    async def invite(self, channel: str, *users: str) -> None:
        """Invite people to a channel they are in."""
        await self.client.conversations_invite(channel=channel, users=",".join(users))

    async def open_home(self) -> None:
        """Open the app's Home tab (`app_home_opened`)."""
        await self.sandbox.open_home(self.user_id)
