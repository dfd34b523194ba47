"""`swarmbot demo`: a whole escalation against the local Slack sandbox, told as it happens."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.cast import seed_demo
from bot.sandbox.narration import Narrator
from bot.server import serving
from bot.tickets import ticket_record
from storage.db import create_engine, session_factory, upgrade

Echo = Callable[[str], None]


class DemoRun:
    """The sandbox, the app and a narrator, driven step by step."""

    def __init__(self, sandbox: Sandbox, people: dict[str, str], support: str, echo: Echo) -> None:
        self.sb = sandbox
        self.people = people
        self.support = support
        self.narrator = Narrator(sandbox, echo)
        self.driver = sandbox.driver()

    async def command(self, who: str, text: str, *, channel: str | None = None) -> None:
        """`who` types `/escalate text`; wait for the bot's answer, then tell everything that happened."""
        user = self.people[who]
        channel = channel or self.support
        self.narrator.say(f"\n▶ {who} in {self.narrator.channel_name(channel)}: /escalate {text}")
        before = len(self.sb.responses(user=user))
        await self.driver.slash_command("/escalate", text, user_id=user, channel_id=channel)
        await self.sb.wait_for(lambda: len(self.sb.responses(user=user)) > before, timeout=30)
        self.narrator.catch_up()


async def run_demo(echo: Echo) -> int:
    """Play the demo; returns the process exit code."""
    with tempfile.TemporaryDirectory(prefix="swarmbot-demo-") as workdir, Sandbox(SandboxConfig()) as sb:
        cast = seed_demo(sb)
        database_url = f"sqlite+aiosqlite:///{Path(workdir) / 'demo.db'}"
        engine = create_engine(database_url)
        await upgrade(engine)
        settings = Settings(
            _env_file=None,
            slack_bot_token=sb.bot_token,
            slack_signing_secret=sb.signing_secret,
            slack_api_url=sb.api_url,
            database_url=database_url,
            redis_url=None,
        )
        echo("swarmbot demo: a local Slack workspace (the sandbox) with five people and #support.")
        echo("Everything below is real: signed requests to the real app, real Web API calls to the sandbox.")
        async with serving(settings) as url:
            sb.request_url = url
            run = DemoRun(sb, cast.people, cast.support_channel, echo)
            await run.command("alice", "ZD-4388 sev3 customer:Acme SSO login loops for some users")
            await run.command(
                "alice",
                "ZD-4521 sev1 #postgres #billing customer:Acme Customer cannot log in after the 14:00 deploy",
            )
            echo("\n(bob did not see the channel yet and escalates the same ticket again)")
            await run.command("bob", "zd-4521 sev1 Acme login down")
            echo("\n(a typo gets an explanation, never a stack trace)")
            await run.command("carol", "ZD-4522 sev5 invoices doubled")
        async with session_factory(engine)() as session:
            record = await ticket_record(session, "ZD-4521")
        await engine.dispose()
        echo("\n▶ swarmbot tickets show ZD-4521 --json")
        echo(json.dumps(record, indent=2, ensure_ascii=False))
    return 0
