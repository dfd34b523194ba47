"""Run TranscriptArchive.collect in a process of its own, so a test can kill it with SIGKILL part-way.

python -m tests.transcripts.collect_process DATABASE_URL API_URL BOT_TOKEN SWARM_ID CHANNEL PAGE_SIZE
"""

from __future__ import annotations

import asyncio
import sys

from bot.clock import SystemClock
from bot.slack.client import build_client
from bot.slack.gateway import SlackGateway
from bot.transcripts import Redactor, TranscriptArchive
from storage.db import create_engine, session_factory


async def main(database_url: str, api_url: str, token: str, swarm_id: int, channel: str, page: int) -> None:
    engine = create_engine(database_url)
    try:
        archive = TranscriptArchive(
            sessions=session_factory(engine),
            gateway=SlackGateway(build_client(token=token, base_url=api_url)),
            clock=SystemClock(),
            redactor=Redactor(),
            page_size=page,
        )
        print(await archive.collect(swarm_id, channel), flush=True)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, api, token, swarm, channel, page = sys.argv[1:7]
    asyncio.run(main(url, api, token, int(swarm), channel, int(page)))
