"""Logs of a real `swarmbot serve`: JSON lines with a request id, and never a token or a secret."""

from __future__ import annotations

import json
from pathlib import Path

from bot.sandbox import Sandbox
from bot.sandbox.cast import Cast
from tests.conftest import Backend
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.e2e.processes import serve_process


async def test_debug_logs_carry_request_ids_and_no_secrets(
    sandbox: Sandbox, cast: Cast, backend: Backend, tmp_path: Path
):
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": backend.database_url,
        "REDIS_URL": backend.redis_url or "",
        "SWARMBOT_LOG_FORMAT": "json",
    }
    log = tmp_path / "serve.log"
    with serve_process(env, log, verbose=True) as url:
        sandbox.request_url = url
        alice = cast.people["alice"]
        await sandbox.driver().slash_command(
            "/escalate", "ZD-97 sev3 Slow", user_id=alice, channel_id=cast.support_channel
        )
        await sandbox.wait_for(lambda: sandbox.responses(user=alice), timeout=30)
    text = log.read_text()
    assert BOT_TOKEN not in text and SIGNING_SECRET not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert lines, text[:2000]
    requests = {line["request_id"] for line in lines if line["request_id"] != "-"}
    assert requests, "no log line carried a request id"
