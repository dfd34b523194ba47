"""What a Web API handler sees: the workspace, who is calling, the arguments, and where events go."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..config import SandboxConfig
from ..errors import ApiError
from ..ids import IdFactory, TsSource
from ..manifest import AppManifest
from ..state import Channel, Message, User, Workspace

# Conversations API scopes depend on the conversation type (docs: "You only need the scopes
# corresponding to that conversation type").
SCOPES_BY_KIND: dict[str, dict[str, str]] = {
    "read": {"channel": "channels:read", "group": "groups:read", "im": "im:read", "mpim": "mpim:read"},
    "history": {
        "channel": "channels:history",
        "group": "groups:history",
        "im": "im:history",
        "mpim": "mpim:history",
    },
    "manage": {"channel": "channels:manage", "group": "groups:write", "im": "im:write", "mpim": "mpim:write"},
}


@dataclass(frozen=True)
class Services:
    """Long-lived collaborators every handler may use."""

    config: SandboxConfig
    manifest: AppManifest
    ids: IdFactory
    ts: TsSource
    api_url: Callable[[], str]


@dataclass(frozen=True)
class Caller:
    """The token's owner: the app's bot, a human acting with a user token, or the app itself (xapp-)."""

    kind: Literal["bot", "user", "app"]
    user_id: str  # the app's id for an app-level token
    scopes: frozenset[str] | None  # None: a human, who holds every user scope

    @property
    def is_bot(self) -> bool:
        """Whether the caller is the app's bot user."""
        return self.kind == "bot"


@dataclass
class CallContext:
    """One Web API call in progress."""

    ws: Workspace
    svc: Services
    caller: Caller
    args: Mapping[str, Any]
    events: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)

    def arg(self, name: str) -> str | None:
        """A text argument, or None when missing or empty."""
        value = self.args.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):  # JSON bodies send booleans; Slack reads them as "true"/"false"
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    def raw(self, name: str) -> Any:
        """An argument as sent (JSON bodies keep lists and objects)."""
        return self.args.get(name)

    def flag(self, name: str) -> bool:
        """A boolean argument ("true", "1", true)."""
        value = self.args.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() in {"1", "true", "yes"} if value is not None else False

    def integer(self, name: str) -> int | None:
        """An integer argument; `invalid_arguments` when not a number."""
        value = self.args.get(name)
        if value is None or value == "":
            return None
        try:
            return int(float(value))
        except (TypeError, ValueError) as exc:
            raise ApiError("invalid_arguments") from exc

    def now(self) -> int:
        """The sandbox clock in whole seconds."""
        return int(self.svc.config.clock())

    def next_ts(self) -> str:
        """A fresh message ts."""
        return self.svc.ts.next()

    @property
    def me(self) -> User:
        """The calling user (the bot user for the bot token)."""
        return self.ws.users[self.caller.user_id]

    def need_scope(self, *any_of: str) -> None:
        """`missing_scope` unless a bot token holds one of `any_of` (listed in `needed` like Slack)."""
        scopes = self.caller.scopes
        if scopes is None or not any_of or any(s in scopes for s in any_of):
            return
        raise ApiError("missing_scope", needed=",".join(any_of), provided=",".join(sorted(scopes)))

    def need_channel_scope(self, channel: Channel, family: str) -> None:
        """The scope this family of methods needs for this type of conversation."""
        self.need_scope(SCOPES_BY_KIND[family][channel.kind])

    def has_scope(self, scope: str) -> bool:
        """Whether the caller holds `scope`."""
        return self.caller.scopes is None or scope in self.caller.scopes

    def is_member(self, channel: Channel) -> bool:
        """Whether the caller is in the conversation."""
        return self.caller.user_id in channel.members

    def channel(self, key: str | None, *, by_name: bool = False) -> Channel:
        """A conversation the caller can see; `channel_not_found` otherwise (private ones hide)."""
        if not key:
            raise ApiError("channel_not_found")
        channel = self.ws.channels.get(key)
        if channel is None and by_name:
            channel = self.ws.channel_named(key)
        if channel is None or (
            (channel.is_private or channel.is_im or channel.is_mpim) and not self.is_member(channel)
        ):
            raise ApiError("channel_not_found")
        return channel

    def message(self, channel: Channel, ts: str | None) -> Message:
        """A live message; `message_not_found` otherwise."""
        message = channel.messages.get(ts or "")
        if message is None or message.subtype == "tombstone":
            raise ApiError("message_not_found")
        return message

    def user(self, user_id: str | None, *, error: str = "user_not_found") -> User:
        """A user by id."""
        user = self.ws.users.get(user_id or "")
        if user is None:
            raise ApiError(error)
        return user

    def emit(self, event: dict[str, Any], channel: str | None = None) -> None:
        """Queue an Events API event caused by this call (delivered after the state change)."""
        self.events.append((event, channel))
