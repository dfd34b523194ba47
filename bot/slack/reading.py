"""The gateway's reads: channels, members, people and user groups, pages of conversations, tagged messages.

SlackReader holds the read-only Web API calls, most of them paginated; SlackGateway inherits them, so callers
still say `gateway.history_page(...)`, and every read goes through the gateway's one paced `_call`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_slack_response import AsyncSlackResponse


@dataclass(frozen=True)
class UserProfile:
    """What the bot needs to know about a person from users.info."""

    id: str
    name: str
    timezone: str


@dataclass(frozen=True)
class ListedChannel:
    """A channel as conversations.list shows it: who made it and when (Unix seconds)."""

    id: str
    name: str
    creator: str
    created: int


class SlackReader(ABC):
    """The read-only Web API calls of SlackGateway (its base class; never used on its own)."""

    @abstractmethod
    async def _call(self, method: str, **kwargs: Any) -> AsyncSlackResponse:
        """One Web API call, paced, with Slack's errors turned into SlackCallFailed: SlackGateway's."""

    async def channels_named(self, names: Collection[str]) -> list[ListedChannel]:
        """Unarchived channels, public or private the bot is in, with one of `names` (every page)."""
        wanted = set(names)
        found: list[ListedChannel] = []
        cursor: str | None = None
        while True:
            arguments: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": True,
                "limit": 1000,
            }
            if cursor:
                arguments["cursor"] = cursor
            response = await self._call("conversations.list", **arguments)
            channels: list[dict[str, Any]] = response.get("channels", [])
            found += [
                ListedChannel(
                    id=str(channel["id"]),
                    name=str(channel["name"]),
                    creator=str(channel.get("creator") or ""),
                    created=int(channel.get("created") or 0),
                )
                for channel in channels
                if channel.get("name") in wanted
            ]
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found

    async def is_member(self, channel: str, user: str) -> bool:
        """Whether `user` is in `channel` (conversations.members, every page)."""
        cursor: str | None = None
        while True:
            arguments: dict[str, Any] = {"channel": channel, "limit": 1000}
            if cursor:
                arguments["cursor"] = cursor
            response = await self._call("conversations.members", **arguments)
            if user in response.get("members", []):
                return True
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False

    async def user_profile(self, user: str) -> UserProfile:
        """A person's display name and timezone (users.info)."""
        response = await self._call("users.info", user=user)
        found = response["user"]
        profile = found.get("profile") or {}
        name = profile.get("real_name") or found.get("real_name") or found.get("name") or user
        return UserProfile(id=user, name=str(name), timezone=str(found.get("tz") or "UTC"))

    async def usergroups_by_handle(self) -> dict[str, str]:
        """The workspace's user groups: handle → id (usergroups.list)."""
        response = await self._call("usergroups.list")
        groups: list[dict[str, Any]] = response.get("usergroups", [])
        return {str(group["handle"]): str(group["id"]) for group in groups}

    async def usergroup_members(self, usergroup: str) -> list[str]:
        """The members of a user group (usergroups.users.list)."""
        response = await self._call("usergroups.users.list", usergroup=usergroup)
        users: list[str] = response.get("users", [])
        return [str(user) for user in users]

    async def history_page(
        self, channel: str, cursor: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a channel's top-level messages, newest first, and the next page's cursor or None.

        conversations.history: thread parents carry `reply_count`; replies are read with replies_page.
        """
        arguments: dict[str, Any] = {"channel": channel, "limit": limit}
        if cursor:
            arguments["cursor"] = cursor
        response = await self._call("conversations.history", **arguments)
        return self._page(response)

    async def replies_page(
        self, channel: str, thread_ts: str, cursor: str | None, limit: int, *, oldest: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a thread (conversations.replies: the parent first, then replies oldest first).

        `oldest` skips replies up to and including that ts, to resume a thread part-way.
        """
        arguments: dict[str, Any] = {"channel": channel, "ts": thread_ts, "limit": limit}
        if cursor:
            arguments["cursor"] = cursor
        if oldest:
            arguments["oldest"] = oldest
        response = await self._call("conversations.replies", **arguments)
        return self._page(response)

    @staticmethod
    def _page(response: AsyncSlackResponse) -> tuple[list[dict[str, Any]], str | None]:
        messages: list[dict[str, Any]] = list(response.get("messages") or [])
        cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
        # Slack ends a listing with an empty next_cursor; has_more is the older signal of the same thing.
        return messages, (cursor if cursor and response.get("has_more", True) else None)

    async def find_message_with_metadata(
        self,
        channel: str,
        *,
        event_type: str,
        payload: dict[str, Any],
        oldest: str = "0",
        thread_ts: str | None = None,
        page_size: int = 200,
    ) -> str | None:
        """The ts of a message since `oldest` whose metadata has `event_type` and every item of `payload`.

        Reads the channel's history (or the replies of `thread_ts`) page by page, newest first; None when
        no message matches.
        """
        async for carried, ts in self._messages_tagged(channel, event_type, oldest, thread_ts, page_size):
            if all(str(carried.get(name)) == str(value) for name, value in payload.items()):
                return ts
        return None

    async def tagged_messages(
        self, channel: str, *, event_type: str, key: str, oldest: str = "0", page_size: int = 200
    ) -> dict[str, str]:
        """The messages in `channel` since `oldest` tagged with `event_type`: their payload's `key` → ts.

        One read of the history instead of one lookup per message.
        """
        tagged: dict[str, str] = {}
        async for carried, ts in self._messages_tagged(channel, event_type, oldest, None, page_size):
            if carried.get(key) is not None:
                tagged.setdefault(str(carried[key]), ts)
        return tagged

    async def _messages_tagged(
        self, channel: str, event_type: str, oldest: str, thread_ts: str | None, page_size: int
    ) -> AsyncIterator[tuple[dict[str, Any], str]]:
        """(metadata payload, ts) of each message tagged `event_type`, newest first.

        Every page of the channel's history (or of the replies of `thread_ts`), with include_all_metadata.
        """
        method = "conversations.replies" if thread_ts else "conversations.history"
        arguments: dict[str, Any] = {
            "channel": channel,
            "oldest": oldest,
            "limit": page_size,
            "include_all_metadata": True,
        }
        if thread_ts:
            arguments["ts"] = thread_ts
        cursor = ""
        while True:
            response = await self._call(method, **arguments, **({"cursor": cursor} if cursor else {}))
            for message in response.get("messages") or []:
                metadata = message.get("metadata") or {}
                if metadata.get("event_type") == event_type:
                    yield metadata.get("event_payload") or {}, str(message["ts"])
            cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return
