"""The Slack app manifest as the sandbox reads it: bot scopes, bot events, slash commands, Socket Mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

ALL_BOT_SCOPES = frozenset(
    {
        "bookmarks:read",
        "bookmarks:write",
        "channels:history",
        "channels:join",
        "channels:manage",
        "channels:read",
        "chat:write",
        "chat:write.public",
        "commands",
        "groups:history",
        "groups:read",
        "groups:write",
        "im:history",
        "im:read",
        "im:write",
        "mpim:history",
        "mpim:read",
        "mpim:write",
        "pins:read",
        "pins:write",
        "reactions:read",
        "reactions:write",
        "team:read",
        "usergroups:read",
        "users:read",
        "users:read.email",
    }
)
ALL_BOT_EVENTS = frozenset(
    {"app_home_opened", "member_joined_channel", "reaction_added", "reaction_removed", "message"}
)


@dataclass(frozen=True)
class SlashCommand:
    """One slash command of the manifest."""

    command: str
    should_escape: bool = False
    description: str = ""


@dataclass(frozen=True)
class AppManifest:
    """What the sandbox needs from manifest.yml."""

    name: str = "sandbox-app"
    bot_display_name: str = "sandbox-app"
    bot_scopes: frozenset[str] = ALL_BOT_SCOPES
    bot_events: frozenset[str] = ALL_BOT_EVENTS
    commands: dict[str, SlashCommand] = field(default_factory=dict)
    shortcuts: frozenset[str] = frozenset()
    socket_mode_enabled: bool = False
    source: Path | None = None

    @classmethod
    def load(cls, path: Path | str) -> AppManifest:
        """Read a manifest file (YAML or JSON)."""
        path = Path(path)
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        features = data.get("features") or {}
        bot_user = features.get("bot_user") or {}
        name = (data.get("display_information") or {}).get("name", "sandbox-app")
        commands = {
            c["command"]: SlashCommand(
                command=c["command"],
                should_escape=bool(c.get("should_escape", False)),
                description=c.get("description", ""),
            )
            for c in features.get("slash_commands") or []
        }
        settings = data.get("settings") or {}
        events = (settings.get("event_subscriptions") or {}).get("bot_events") or []
        scopes = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
        return cls(
            name=name,
            bot_display_name=bot_user.get("display_name", name),
            bot_scopes=frozenset(scopes),
            bot_events=frozenset(events),
            commands=commands,
            shortcuts=frozenset(s["callback_id"] for s in features.get("shortcuts") or []),
            socket_mode_enabled=bool(settings.get("socket_mode_enabled", False)),
            source=path,
        )

    @classmethod
    def resolve(cls, path: Path | str | None) -> AppManifest:
        """Load `path`, else the repo's (or current directory's) manifest.yml, else grant everything."""
        if path is not None:
            return cls.load(path)
        for candidate in (REPO_MANIFEST, Path.cwd() / "manifest.yml"):
            if candidate.is_file():
                return cls.load(candidate)
        return cls()

    def subscribes(self, event_type: str, channel_type: str | None = None) -> bool:
        """Whether the app receives `event_type` (message events by their per-channel-type name)."""
        if event_type in self.bot_events:
            return True
        if event_type == "message" and channel_type is not None:
            suffix = {"channel": "channels", "group": "groups", "im": "im", "mpim": "mpim"}[channel_type]
            return f"message.{suffix}" in self.bot_events
        return False
