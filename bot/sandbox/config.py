"""Settings of a sandbox workspace: identity, manifest, rate limits, faults, Socket Mode and clock."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class MethodLimit:
    """A per-minute budget and how many calls may burst at once (both before `scale`)."""

    per_minute: float
    burst: float | None = None  # None: a whole minute's budget may burst


@dataclass(frozen=True)
class RateLimitConfig:
    """Slack's per-method tiers, scaled; `overrides` replace a method's tier."""

    enabled: bool = False
    scale: float = 1.0
    overrides: Mapping[str, MethodLimit] = field(default_factory=dict)
    # Slack: chat.postMessage "generally allows one message per second per channel" with short bursts.
    post_message_per_channel: MethodLimit = MethodLimit(per_minute=60, burst=3)
    limit_user_tokens: bool = False  # humans acting through the sandbox are not the app under test


@dataclass(frozen=True)
class FaultConfig:
    """Seeded fault injection: errors and latency, optionally only for some methods.

    Error kinds: `http_500`, `http_502`, `http_503` (Slack's body for each), `internal_error` (HTTP 200,
    `ok: false`) and `ratelimited` (HTTP 429, `Retry-After: retry_after`, as Slack answers over budget).
    """

    seed: int = 0
    error_rate: float = 0.0
    error_kinds: tuple[str, ...] = ("http_500", "http_502", "http_503", "internal_error")
    retry_after: int = 1  # whole seconds, never 0: Slack's Retry-After on an injected `ratelimited`
    latency: float = 0.0
    spike_probability: float = 0.0
    spike_latency: float = 0.0
    methods: frozenset[str] | None = None

    @property
    def active(self) -> bool:
        """Whether any fault can fire."""
        return self.error_rate > 0 or self.latency > 0 or self.spike_probability > 0


@dataclass(frozen=True)
class SocketModeConfig:
    """Socket Mode: on, off or as the manifest says; `disconnect_after` makes Slack refresh connections."""

    enabled: bool | None = None  # None: the manifest's settings.socket_mode_enabled
    # hello's debug_info.approximate_connection_time: Slack says connections last about an hour.
    connection_time: int = 3600
    disconnect_after: float | None = None  # seconds after hello; None: connections are never refreshed
    disconnect_reason: str = "refresh_requested"


@dataclass(frozen=True)
class SandboxConfig:
    """Everything a `Sandbox` needs to start; every field has a usable default."""

    host: str = "127.0.0.1"
    port: int = 0
    signing_secret: str = "sandbox-signing-secret"
    bot_token: str = "xoxb-sandbox-bot-token"
    app_token: str = "xapp-1-sandbox-app-token"  # app-level, `connections:write`, for apps.connections.open
    team_id: str = "T0SANDBOX"
    team_name: str = "Sandbox"
    team_domain: str = "sandbox"
    request_url: str | None = None
    manifest_path: Path | str | None = None
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    socket_mode: SocketModeConfig = field(default_factory=SocketModeConfig)
    clock: Callable[[], float] = time.time
    # Slack: no 2xx within 3 s is a failure; retries come at once, after 1 min and after 5 min.
    event_timeout: float = 3.0
    event_retry_schedule: tuple[float, ...] = (0.0, 60.0, 300.0)
    trigger_ttl: float = 3.0
    # conversations.invite: docs.slack.dev now says 1–1000 users per call; older references (and our
    # issue) say 100. The stricter 100 keeps a bot that passes here safe on every workspace.
    invite_batch_limit: int = 100
    scheduler_interval: float = 0.05
