"""The workspace model: people, channels, messages with threads, pins, bookmarks, views and logs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .ids import ts_key


@dataclass
class User:
    """A person or the app's bot user."""

    id: str
    name: str
    team_id: str
    real_name: str = ""
    display_name: str = ""
    email: str | None = None
    tz: str = "UTC"
    is_bot: bool = False
    is_admin: bool = False
    deleted: bool = False
    bot_id: str | None = None
    token: str | None = None
    updated: int = 0


@dataclass
class Usergroup:
    """A user group (`@support-leads`)."""

    id: str
    handle: str
    name: str
    team_id: str
    users: list[str] = field(default_factory=list)
    description: str = ""
    created_by: str = ""
    date_create: int = 0


@dataclass
class Reaction:
    """One emoji on a message and who added it, in order."""

    name: str
    users: list[str] = field(default_factory=list)


@dataclass
class Message:
    """A message; parents keep their replies' ts oldest first."""

    ts: str
    channel: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    attachments: list[dict[str, Any]] | None = None
    bot_id: str | None = None
    app_id: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    replies: list[str] = field(default_factory=list)
    reply_broadcast: bool = False
    edited: dict[str, str] | None = None
    reactions: list[Reaction] = field(default_factory=list)
    metadata: dict[str, Any] | None = None
    pinned_to: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        """Whether this message sits inside another message's thread."""
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Pin:
    """A pinned message."""

    ts: str
    created: int
    created_by: str


@dataclass
class Bookmark:
    """A bookmark in a channel's header."""

    id: str
    channel_id: str
    title: str
    link: str
    type: str
    emoji: str | None
    created: int
    created_by: str


@dataclass
class Channel:
    """A public or private channel, a DM or a group DM."""

    id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_archived: bool = False
    is_general: bool = False
    im_user: str | None = None
    topic: dict[str, Any] = field(default_factory=lambda: {"value": "", "creator": "", "last_set": 0})
    purpose: dict[str, Any] = field(default_factory=lambda: {"value": "", "creator": "", "last_set": 0})
    members: list[str] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    timeline: list[str] = field(default_factory=list)
    pins: list[Pin] = field(default_factory=list)
    bookmarks: list[Bookmark] = field(default_factory=list)
    previous_names: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """Slack's channel_type for events: channel, group, im or mpim."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "group" if self.is_private else "channel"


@dataclass
class View:
    """A modal or Home tab as the app last set it, plus what the user typed."""

    id: str
    user: str
    type: str
    body: dict[str, Any]
    hash: str
    team_id: str
    app_id: str
    bot_id: str
    root_view_id: str
    previous_view_id: str | None = None
    external_id: str | None = None
    is_open: bool = True
    state_values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Trigger:
    """A trigger_id handed to the app; usable once within its time to live."""

    id: str
    user: str
    created: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url handed to the app with a command or an interaction."""

    token: str
    user: str
    channel: str | None
    created: float
    source: str
    message_ts: str | None = None
    uses: int = 0


@dataclass
class ScheduledMessage:
    """A message the app scheduled with chat.scheduleMessage."""

    id: str
    channel: str
    post_at: int
    args: dict[str, Any]
    created: int
    posted_ts: str | None = None


@dataclass
class Workspace:
    """All state; every access holds `lock` (the server thread and test threads share it)."""

    team_id: str
    team_name: str
    team_domain: str
    bot_user_id: str = ""
    bot_id: str = ""
    app_id: str = ""
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    usergroups: dict[str, Usergroup] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    home_views: dict[str, str] = field(default_factory=dict)
    modal_stacks: dict[str, list[str]] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    response_urls: dict[str, ResponseUrl] = field(default_factory=dict)
    socket_tickets: dict[str, float] = field(default_factory=dict)  # single-use WebSocket URL tickets
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    scheduled: dict[str, ScheduledMessage] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def channel_named(self, name: str) -> Channel | None:
        """The non-DM channel called `name` (archived ones too: their names stay taken)."""
        name = name.lstrip("#")
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def find(self, key: str) -> Channel | None:
        """A conversation by id, or a channel by name."""
        return self.channels.get(key) or self.channel_named(key)

    def im_between(self, a: str, b: str) -> Channel | None:
        """The DM of two users, if open."""
        pair = {a, b}
        return next((c for c in self.channels.values() if c.is_im and set(c.members) == pair), None)

    def user_by_email(self, email: str) -> User | None:
        """A user by email, case-insensitively."""
        email = email.lower()
        return next((u for u in self.users.values() if (u.email or "").lower() == email), None)

    def add_message(self, message: Message) -> None:
        """Store a message: top-level on the timeline, replies under their parent (oldest first)."""
        channel = self.channels[message.channel]
        channel.messages[message.ts] = message
        if message.is_reply:
            parent = channel.messages[message.thread_ts or ""]
            parent.thread_ts = parent.ts
            parent.replies.append(message.ts)
        if not message.is_reply or message.reply_broadcast:
            channel.timeline.append(message.ts)

    def remove_message(self, channel: Channel, message: Message) -> None:
        """Delete a message; a parent with live replies stays as Slack's tombstone."""
        if message.is_reply:
            parent = channel.messages.get(message.thread_ts or "")
            if parent is not None:
                parent.replies.remove(message.ts)
                if not parent.replies and parent.subtype == "tombstone":
                    self.remove_message(channel, parent)
        if message.replies:
            message.subtype, message.text, message.blocks = "tombstone", "This message was deleted.", None
            message.attachments, message.reactions = None, []
            return
        del channel.messages[message.ts]
        if message.ts in channel.timeline:
            channel.timeline.remove(message.ts)
        channel.pins = [p for p in channel.pins if p.ts != message.ts]

    def thread_root(self, channel: Channel, ts: str) -> Message | None:
        """The parent of the thread `ts` belongs to (itself when top-level)."""
        message = channel.messages.get(ts)
        if message is None:
            return None
        return channel.messages.get(message.thread_ts or "", message) if message.is_reply else message

    def sorted_timeline(self, channel: Channel) -> list[Message]:
        """Top-level messages oldest first."""
        return sorted((channel.messages[t] for t in channel.timeline), key=lambda m: ts_key(m.ts))
