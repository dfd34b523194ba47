"""A faithful, stateful local Slack workspace: Web API emulator on loopback plus a driver (HTTP or socket).

from bot.sandbox import Sandbox, SandboxConfig

with Sandbox(SandboxConfig(request_url="http://127.0.0.1:3000/slack/events")) as sb:
    alice = sb.add_user("alice", email="alice@example.com")
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
"""

from .config import FaultConfig, MethodLimit, RateLimitConfig, SandboxConfig, SocketModeConfig
from .driver import Driver, DriverResponse
from .errors import ApiError, SandboxError, SandboxTimeout
from .human import Human
from .manifest import AppManifest
from .sandbox import Sandbox

__all__ = [
    "ApiError",
    "AppManifest",
    "Driver",
    "DriverResponse",
    "FaultConfig",
    "Human",
    "MethodLimit",
    "RateLimitConfig",
    "Sandbox",
    "SandboxConfig",
    "SandboxError",
    "SandboxTimeout",
    "SocketModeConfig",
]
