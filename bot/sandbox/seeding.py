"""Seeding a sandbox directly: people, user groups, channels and history, without events."""

from __future__ import annotations

from .config import SandboxConfig
from .errors import SandboxError
from .ids import IdFactory
from .methods.context import Services
from .state import Channel, Message, User, Usergroup, Workspace


class Seeding:
    """Mixed into `Sandbox`: direct, thread-safe changes to the workspace (no Web API, no events)."""

    ws: Workspace
    ids: IdFactory
    svc: Services
    config: SandboxConfig

    def _now(self) -> int:
        return int(self.config.clock())

    def add_user(
        self,
        name: str,
        *,
        real_name: str = "",
        email: str | None = None,
        tz: str = "UTC",
        display_name: str = "",
        is_admin: bool = False,
    ) -> str:
        """A person with a user token (see `token_of`); joins #general like new Slack members do."""
        with self.ws.lock:
            if any(u.name == name for u in self.ws.users.values()):
                raise SandboxError(f"a user named {name!r} exists")
            user = User(
                id=self.ids.next("U"),
                name=name,
                team_id=self.ws.team_id,
                real_name=real_name or name,
                display_name=display_name or name,
                email=email,
                tz=tz,
                is_admin=is_admin,
                updated=self._now(),
            )
            user.token = f"xoxp-{self.ws.team_id.lower()}-{user.id.lower()}-sandbox"
            self.ws.users[user.id] = user
            self.ws.tokens[user.token] = user.id
            general = next(c for c in self.ws.channels.values() if c.is_general)
            general.members.append(user.id)
            return user.id

    def token_of(self, user_id: str) -> str:
        """The user token of a person (or the bot token)."""
        with self.ws.lock:
            token = self.ws.users[user_id].token
        if token is None:
            raise SandboxError(f"{user_id} has no token")
        return token

    def add_usergroup(
        self, handle: str, *, name: str = "", users: list[str] | None = None, description: str = ""
    ) -> str:
        """A user group (`@handle`)."""
        with self.ws.lock:
            group = Usergroup(
                id=self.ids.next("S"),
                handle=handle,
                name=name or handle,
                team_id=self.ws.team_id,
                users=list(users or []),
                description=description,
                created_by=self.ws.bot_user_id,
                date_create=self._now(),
            )
            self.ws.usergroups[group.id] = group
            return group.id

    def add_channel(
        self,
        name: str,
        *,
        created_by: str | None = None,
        is_private: bool = False,
        members: list[str] | None = None,
        topic: str = "",
        purpose: str = "",
    ) -> str:
        """A channel seeded directly (no events, no join messages); the creator is a member."""
        with self.ws.lock:
            if self.ws.channel_named(name) is not None:
                raise SandboxError(f"channel #{name} exists")
            creator = created_by or self.ws.bot_user_id
            channel = Channel(
                id=self.ids.next("C"),
                name=name,
                created=self._now(),
                creator=creator,
                is_private=is_private,
                members=list(dict.fromkeys([creator, *(members or [])])),
            )
            channel.topic = {
                "value": topic,
                "creator": creator if topic else "",
                "last_set": self._now() if topic else 0,
            }
            channel.purpose = {
                "value": purpose,
                "creator": creator if purpose else "",
                "last_set": self._now() if purpose else 0,
            }
            self.ws.channels[channel.id] = channel
            return channel.id

    def add_message(self, channel: str, user: str, text: str, *, thread_ts: str | None = None) -> str:
        """A message seeded directly (no events): history for pagination and transcript tests."""
        with self.ws.lock:
            found = self.ws.find(channel)
            if found is None:
                raise SandboxError(f"no channel {channel}")
            message = Message(
                ts=self.svc.ts.next(), channel=found.id, user=user, text=text, thread_ts=thread_ts
            )
            if user == self.ws.bot_user_id:
                message.bot_id, message.app_id = self.ws.bot_id, self.ws.app_id
            self.ws.add_message(message)
            return message.ts
