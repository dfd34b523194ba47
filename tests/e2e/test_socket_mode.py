"""`swarmbot serve --socket`: the same app over Socket Mode, for a workspace without a public URL."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.cast import seed_demo
from bot.sandbox.config import SocketModeConfig
from tests.conftest import Backend
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, text_of
from tests.e2e.processes import swarmbot_process


async def test_serve_socket_opens_a_swarm_over_socket_mode(backend: Backend, tmp_path: Path):
    config = SandboxConfig(
        signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN, socket_mode=SocketModeConfig(enabled=True)
    )
    with Sandbox(config) as sandbox:
        cast = seed_demo(sandbox)
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_APP_TOKEN": sandbox.app_token,
            "SLACK_API_URL": sandbox.api_url,
            "DATABASE_URL": backend.database_url,
            "REDIS_URL": backend.redis_url or "",
        }
        log = tmp_path / "socket.log"
        with swarmbot_process("serve", "--socket", env=env, log=log):
            await sandbox.wait_for(
                sandbox.socket_connections, timeout=30, message="no Socket Mode connection"
            )
            alice = cast.people["alice"]
            response = await sandbox.driver().slash_command(
                "/escalate", "ZD-90 sev2 Exports empty", user_id=alice, channel_id=cast.support_channel
            )
            assert response.status == 200 and response.transport == "socket"
            await sandbox.wait_for(lambda: sandbox.responses(user=alice), timeout=30, message=log.read_text())
        answer = sandbox.responses(user=alice)[0]["payload"]
        assert "Opened" in text_of(answer)
        assert sandbox.channel_by_name("esc-zd-90-exports-empty") is not None
        assert {d["transport"] for d in sandbox.deliveries()} == {"socket"}
