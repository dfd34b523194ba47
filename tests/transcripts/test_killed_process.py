"""A collecting process killed with SIGKILL (no cleanup, no rollback in Python) and started again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.sandbox import FaultConfig
from tests.transcripts.channel import seed_swarm_channel
from tests.transcripts.test_archive import READS, record_of, stored_rows

REPO = Path(__file__).parents[2]


@pytest.mark.slow
async def test_a_process_killed_mid_collection_is_resumed_by_the_next_without_duplicates(
    sandbox, sessions, swarm_id, database_url
):
    channel = await seed_swarm_channel(sandbox, top_level=400)
    for n in range(30):  # more threads, so kills land inside threads as well as between pages
        parent = sandbox.add_message(channel.id, channel.people["bob"], f"question {n}")
        for r in range(n % 7 + 1):
            sandbox.add_message(channel.id, channel.people["carol"], f"answer {n}.{r}", thread_ts=parent)
    expected = channel.expected_order(sandbox)
    # Every read takes a little while, so the kills land part-way.
    sandbox.set_faults(FaultConfig(latency=0.01, methods=frozenset(READS)))

    def command() -> list[str]:
        return [
            sys.executable,
            "-m",
            "tests.transcripts.collect_process",
            database_url,
            sandbox.api_url,
            sandbox.bot_token,
            str(swarm_id),
            channel.id,
            "10",
        ]

    kills = 0
    for reads_before_kill in (7, 13, 5, 21):
        start = sum(len(sandbox.calls(m)) for m in READS)
        process = await asyncio.create_subprocess_exec(*command(), cwd=REPO, stdout=asyncio.subprocess.PIPE)
        await sandbox.wait_for(
            lambda s=start, n=reads_before_kill: sum(len(sandbox.calls(m)) for m in READS) >= s + n,
            timeout=30,
        )
        os.kill(process.pid, signal.SIGKILL)
        await process.wait()
        kills += 1
        rows = await stored_rows(sessions, swarm_id)
        assert len(rows) == len(set(rows)) and len(rows) < len(expected)

    process = await asyncio.create_subprocess_exec(*command(), cwd=REPO, stdout=asyncio.subprocess.PIPE)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, output

    record = await record_of(sessions, swarm_id)
    assert [m["ts"] for m in record["messages"]] == expected
    assert kills == 4
