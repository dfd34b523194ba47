"""The Slack gateway: the only code that calls the Web API.

slack-sdk's client does the HTTP, with its retry handlers for 429 (honouring Retry-After), 5xx and dropped
connections (bot/slack/client.py). On top the gateway keeps Slack's limits (topic length, invite batches,
name rules), turns expected Slack errors into results and unexpected ones into SlackCallFailed.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.errors import CONNECTION_FAILED, SlackCallFailed
from bot.slack.channel_names import with_suffix
from bot.slack.client import PacedRateLimitRetryHandler
from bot.slack.mrkdwn import truncate
from bot.slack.pacing import NoPacing, Pacer
from bot.slack.reading import SlackReader

TOPIC_LIMIT = 250  # conversations.setTopic / setPurpose
TEXT_LIMIT = 4000  # chat.postMessage `text`: Slack truncates beyond 40,000 but advises 4,000
BLOCK_LIMIT = 50  # blocks per message
INVITE_BATCH = 100  # conversations.invite accepts at most 100 users per call
NAME_ATTEMPTS = 20
POST_ONCE_TRIES = 4  # as many as slack-sdk makes of a 5xx; after the first, each looks for the message first


@dataclass(frozen=True)
class BotIdentity:
    """Who the bot is, from auth.test: what Bolt needs to authorize requests and ignore its own events."""

    team_id: str
    user_id: str
    bot_id: str | None
    enterprise_id: str | None


@dataclass(frozen=True)
class CreatedChannel:
    """A channel the bot made."""

    id: str
    name: str


class SlackGateway(SlackReader):
    """Every Web API call the bot makes goes through here (the reads are inherited from SlackReader)."""

    def __init__(self, client: AsyncWebClient, *, pacer: Pacer | None = None) -> None:
        self.client = client
        self.pacer: Pacer = pacer or NoPacing()
        for handler in client.retry_handlers:
            if isinstance(handler, PacedRateLimitRetryHandler):
                handler.pacer = self.pacer  # a 429 pushes back the calls this pacer has queued
        # The same client without the 5xx and connection retries, for posts that must go at most once.
        self._single_shot = AsyncWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            session=client.session,
            headers=client.headers,
            retry_handlers=[PacedRateLimitRetryHandler(self.pacer, max_retry_count=5)],
        )
        self._identity: BotIdentity | None = None
        self._identity_lock = asyncio.Lock()

    async def _call(self, method: str, **kwargs: Any) -> AsyncSlackResponse:
        return await self._call_on(self.client, method, **kwargs)

    async def _call_on(self, client: AsyncWebClient, method: str, **kwargs: Any) -> AsyncSlackResponse:
        # Wait for the method's budget (the channel's, for chat.postMessage) rather than be answered 429.
        channel = kwargs.get("channel")
        await self.pacer.pace(method, channel=str(channel) if channel else None)
        # slack-sdk's named methods know whether Slack wants a form or a JSON body for each method.
        call = getattr(client, method.replace(".", "_"))
        try:
            response: AsyncSlackResponse = await call(**kwargs)
            return response
        except SlackApiError as error:
            raise SlackCallFailed(method, str(error.response.get("error", "unknown_error"))) from error
        except (ClientError, TimeoutError) as error:
            raise SlackCallFailed(method, f"{CONNECTION_FAILED} ({type(error).__name__})") from error

    async def identity(self) -> BotIdentity:
        """Who the bot is (auth.test, asked once: concurrent first callers share the one call)."""
        async with self._identity_lock:
            if self._identity is None:
                response = await self._call("auth.test")
                self._identity = BotIdentity(
                    team_id=str(response["team_id"]),
                    user_id=str(response["user_id"]),
                    bot_id=response.get("bot_id"),
                    enterprise_id=response.get("enterprise_id"),
                )
            return self._identity

    async def bot_user_id(self) -> str:
        """The bot's own user id."""
        return (await self.identity()).user_id

    async def create_channel(self, name: str, *, is_private: bool) -> CreatedChannel:
        """Create a channel named `name`, or `name-2`, `name-3`, … when the name is taken."""
        candidates = name_candidates(name)
        candidates.append(with_suffix(name, 1000 + secrets.randbelow(9000)))  # a crowded name: go random
        for candidate in candidates:
            try:
                response = await self._call("conversations.create", name=candidate, is_private=is_private)
            except SlackCallFailed as failure:
                if failure.error == "name_taken":
                    continue
                raise
            channel = response["channel"]
            return CreatedChannel(id=str(channel["id"]), name=str(channel["name"]))
        raise SlackCallFailed("conversations.create", "name_taken")

    async def invite(self, channel: str, users: Sequence[str]) -> list[str]:
        """Invite `users` in batches of 100, skipping the bot and people already there; return who failed."""
        bot = await self.bot_user_id()
        wanted = [user for user in dict.fromkeys(users) if user != bot]
        failed: list[str] = []
        for start in range(0, len(wanted), INVITE_BATCH):
            batch = wanted[start : start + INVITE_BATCH]
            try:
                # force: invite the valid users even when some ids in the batch are not.
                response = await self._call(
                    "conversations.invite", channel=channel, users=",".join(batch), force=True
                )
                problems = response.get("errors") or []
            except SlackCallFailed as failure:
                cause = failure.__cause__
                problems = cause.response.get("errors") if isinstance(cause, SlackApiError) else None
                if not problems:
                    if failure.error == "already_in_channel":
                        continue
                    raise
            failed.extend(
                str(problem.get("user"))
                for problem in problems
                if problem.get("error") != "already_in_channel"
            )
        return failed

    async def set_topic(self, channel: str, topic: str) -> None:
        """Set the channel topic, cut to Slack's 250 characters."""
        await self._call("conversations.setTopic", channel=channel, topic=truncate(topic, TOPIC_LIMIT))

    async def set_purpose(self, channel: str, purpose: str) -> None:
        """Set the channel purpose, cut to Slack's 250 characters."""
        await self._call("conversations.setPurpose", channel=channel, purpose=truncate(purpose, TOPIC_LIMIT))

    async def post_message(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Post a message and return its ts; text and blocks are kept within Slack's limits."""
        arguments: dict[str, Any] = {"channel": channel, "text": truncate(text, TEXT_LIMIT)}
        if blocks:
            arguments["blocks"] = _within_block_limit(blocks)
        if thread_ts:
            arguments["thread_ts"] = thread_ts
        if metadata:
            arguments["metadata"] = metadata
        response = await self._call("chat.postMessage", **arguments)
        return str(response["ts"])

    async def post_ephemeral(
        self, channel: str, user: str, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        """Show a message to one person in a channel."""
        arguments: dict[str, Any] = {"channel": channel, "user": user, "text": truncate(text, TEXT_LIMIT)}
        if blocks:
            arguments["blocks"] = _within_block_limit(blocks)
        await self._call("chat.postEphemeral", **arguments)

    async def update_message(
        self, channel: str, ts: str, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        """Replace a message the bot posted (chat.update)."""
        arguments: dict[str, Any] = {"channel": channel, "ts": ts, "text": truncate(text, TEXT_LIMIT)}
        arguments["blocks"] = _within_block_limit(blocks) if blocks else []
        await self._call("chat.update", **arguments)

    async def open_dm(self, user: str) -> str:
        """The id of the bot's direct-message channel with `user` (conversations.open)."""
        response = await self._call("conversations.open", users=user)
        return str(response["channel"]["id"])

    async def tell(
        self, channel: str, user: str, *, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        """Show `user` a message in `channel` only they see; by DM when they are not in the channel."""
        try:
            await self.post_ephemeral(channel, user, text=text, blocks=blocks)
        except SlackCallFailed as failure:
            # chat.postEphemeral only reaches members: someone reacting from outside still hears why.
            if failure.error not in (
                "user_not_in_channel",
                "channel_not_found",
                "is_archived",
                "not_in_channel",
            ):
                raise
            await self.post_message(await self.open_dm(user), text=text, blocks=blocks)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        """Open a modal for the person whose click gave `trigger_id` (valid 3 seconds, once); its view id."""
        response = await self._call("views.open", trigger_id=trigger_id, view=view)
        return str(response["view"]["id"])

    async def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        """Set a person's Home tab to `view` (views.publish)."""
        await self._call("views.publish", user_id=user_id, view=view)

    async def permalink(self, channel: str, message_ts: str) -> str:
        """The permanent link to a message (chat.getPermalink)."""
        response = await self._call("chat.getPermalink", channel=channel, message_ts=message_ts)
        return str(response["permalink"])

    async def archive_channel(self, channel: str) -> None:
        """Archive a channel; one already archived is not an error."""
        try:
            await self._call("conversations.archive", channel=channel)
        except SlackCallFailed as failure:
            if failure.error != "already_archived":
                raise

    async def unarchive_channel(self, channel: str) -> None:
        """Bring an archived channel back; one not archived is not an error."""
        try:
            await self._call("conversations.unarchive", channel=channel)
        except SlackCallFailed as failure:
            if failure.error != "not_archived":
                raise

    async def pin(self, channel: str, ts: str) -> None:
        """Pin a message; pinning it twice is not an error."""
        try:
            await self._call("pins.add", channel=channel, timestamp=ts)
        except SlackCallFailed as failure:
            if failure.error != "already_pinned":
                raise

    async def post_message_at_most_once(
        self,
        channel: str,
        *,
        text: str,
        metadata: dict[str, Any],
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Post a message tagged with `metadata` without retrying 5xx answers or dropped connections.

        Slack may have posted before such a failure, and a blind retry would post twice: the caller looks
        the message up by its metadata (find_message_with_metadata) before it tries again. Rate limits
        (429) are still retried: Slack posted nothing.
        """
        arguments: dict[str, Any] = {
            "channel": channel,
            "text": truncate(text, TEXT_LIMIT),
            "metadata": metadata,
        }
        if blocks:
            arguments["blocks"] = _within_block_limit(blocks)
        if thread_ts:
            arguments["thread_ts"] = thread_ts
        response = await self._call_on(self._single_shot, "chat.postMessage", **arguments)
        return str(response["ts"])

    async def post_once(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        event_type: str,
        payload: dict[str, Any],
        again: bool,
        thread_ts: str | None = None,
        oldest: str = "0",
    ) -> str:
        """Post a message tagged (`event_type`, `payload`) once, however often the caller tries; its ts.

        Each post is made at most once (post_message_at_most_once). Before posting `again` (the caller's
        earlier try failed or died) and before each retry after a transient failure, the channel's history
        is searched for the tag (since `oldest`; in the thread of `thread_ts` for a reply): a message found
        is the answer, and nothing is posted. (The bot must be able to read the channel: its own channels
        and DMs, with the manifest's history scopes.)
        """
        metadata = {"event_type": event_type, "event_payload": payload}
        tries = 0
        while True:
            tries += 1
            if again:
                found = await self.find_message_with_metadata(
                    channel, event_type=event_type, payload=payload, oldest=oldest, thread_ts=thread_ts
                )
                if found is not None:
                    return found
            try:
                return await self.post_message_at_most_once(
                    channel, text=text, blocks=blocks, thread_ts=thread_ts, metadata=metadata
                )
            except SlackCallFailed as failure:
                if not failure.transient or tries == POST_ONCE_TRIES:
                    raise
                again = True  # Slack may have posted before it failed


def name_candidates(name: str) -> list[str]:
    """The names create_channel tries in turn: `name`, then `name-2` … (before it goes random)."""
    return [name, *(with_suffix(name, n) for n in range(2, NAME_ATTEMPTS + 1))]


def _within_block_limit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(blocks) <= BLOCK_LIMIT:
        return blocks
    note = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"_{len(blocks) - BLOCK_LIMIT + 1} more blocks not shown_"}],
    }
    return [*blocks[: BLOCK_LIMIT - 1], note]
