"""`swarmbot demo`: a whole escalation against the local Slack sandbox, told as it happens.

The demo runs on a fixed clock (Monday 15:00 UTC), so who is on shift, and so the whole story, is the same
every time.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import FrozenClock
from bot.config import Settings
from bot.experts import ExpertDirectory
from bot.sandbox import Sandbox, SandboxConfig
from bot.sandbox.cast import DEMO_TIME, Cast, experts_file, seed_demo
from bot.sandbox.narration import Narrator
from bot.scheduler import Worker
from bot.scheduler.registry import job_handlers
from bot.server import serving
from bot.services import Services
from bot.tickets import ticket_record
from storage.db import create_engine, session_factory, upgrade

Echo = Callable[[str], None]


class DemoRun:
    """The sandbox, the app and a narrator, driven step by step."""

    def __init__(self, sandbox: Sandbox, cast: Cast, echo: Echo, worker: Worker, clock: FrozenClock) -> None:
        self.sb = sandbox
        self.cast = cast
        self.narrator = Narrator(sandbox, echo)
        self.driver = sandbox.driver()
        self.worker = worker
        self.clock = clock

    async def later(self, minutes: int) -> None:
        """Move the demo clock on and let the scheduler run whatever came due."""
        self.clock.advance(timedelta(minutes=minutes))
        self.narrator.say(
            f"\n⏩ {minutes} minutes later ({self.clock.now():%H:%M} UTC) the scheduler runs what is due"
        )
        while await self.worker.run_once():
            pass
        await self.settle()

    async def command(self, who: str, text: str, *, channel: str | None = None) -> None:
        """`who` types `/escalate text`; wait for the bot's answer, then tell everything that happened."""
        user = self.cast.people[who]
        channel = channel or self.cast.support_channel
        self.narrator.say(f"\n▶ {who} in {self.narrator.channel_name(channel)}: /escalate {text}")
        before = len(self.sb.responses(user=user))
        await self.driver.slash_command("/escalate", text, user_id=user, channel_id=channel)
        await self.sb.wait_for(lambda: len(self.sb.responses(user=user)) > before, timeout=30)
        await self.settle()

    async def react(self, who: str, channel: str, ts: str, emoji: str) -> None:
        """`who` reacts with :emoji: on a message; tell what the bot did about it."""
        self.narrator.say(f"\n▶ {who} reacts :{emoji}: on a message in {self.narrator.channel_name(channel)}")
        await self.sb.human(self.cast.people[who]).react(channel, ts, emoji)
        await self.settle()

    async def press(self, who: str, action_id: str, *, label: str) -> None:
        """`who` presses a button on the bot's invitation in their DM."""
        self.narrator.say(f"\n▶ {who} presses “{label}” in their DM from swarmbot")
        channel, ts, value = self.invitation(who)
        before = len(self.sb.calls())
        await self.driver.block_action(
            self.cast.people[who], action_id=action_id, value=value, channel_id=channel, message_ts=ts
        )
        await self.sb.wait_for(lambda: len(self.sb.calls()) > before + 1, timeout=30)
        await self.settle()

    async def settle(self) -> None:
        """Wait until the bot has been quiet for a moment, then tell what it did."""
        seen = -1
        while seen != len(self.sb.calls()):
            seen = len(self.sb.calls())
            await asyncio.sleep(0.3)
        self.narrator.catch_up()

    def message_with(self, channel: str, text: str) -> str:
        """The ts of the bot's message in `channel` whose text contains `text`."""
        for message in self.sb.messages(channel, system=False):
            if text in (message.get("text") or "") or text in json.dumps(message.get("blocks") or []):
                return str(message["ts"])
        raise LookupError(f"no message with {text!r} in {channel}")

    def invitation(self, who: str) -> tuple[str, str, str]:
        """Where `who`'s invitation DM is (channel, ts) and the invitation id its buttons carry."""
        user = self.cast.people[who]
        for channel in self.sb.channels(include_dms=True):
            if channel.get("is_im") and user in self.sb.members(channel["id"]):
                for message in self.sb.messages(channel["id"], system=False):
                    for block in message.get("blocks") or []:
                        for element in block.get("elements") or []:
                            if element.get("action_id") == "invitation_accept":
                                return channel["id"], str(message["ts"]), str(element["value"])
        raise LookupError(f"{who} has no invitation")


async def run_demo(echo: Echo) -> int:
    """Play the demo; returns the process exit code."""
    clock = FrozenClock(datetime.fromisoformat(DEMO_TIME))
    with tempfile.TemporaryDirectory(prefix="swarmbot-demo-") as workdir, Sandbox(SandboxConfig()) as sb:
        cast = seed_demo(sb)
        database_url = f"sqlite+aiosqlite:///{Path(workdir) / 'demo.db'}"
        engine = create_engine(database_url)
        await upgrade(engine)
        sessions = session_factory(engine)
        plan = await ExpertDirectory(sessions=sessions, clock=clock, skill_groups={}).import_file(
            experts_file(cast)
        )
        settings = Settings(
            _env_file=None,
            swarmbot_slack_pacing="off",  # a simulated clock: Slack's per-second budgets do not apply
            slack_bot_token=sb.bot_token,
            slack_signing_secret=sb.signing_secret,
            slack_api_url=sb.api_url,
            database_url=database_url,
            redis_url=None,
            swarmbot_escalation_managers="usergroup:support-managers",
        )
        echo("swarmbot demo: a local Slack workspace (the sandbox) with a small support team, #support")
        echo("and #escalations-feed. Everything below is real: signed requests to the real app, real Web")
        echo(f"API calls to the sandbox. The clock reads {DEMO_TIME} (Monday afternoon in Europe).")
        echo("\n▶ swarmbot experts import experts.yaml")
        for line in plan.summary_lines():
            echo("    " + line)
        worker_services = Services.create(
            settings, clock=clock
        )  # the scheduler, as `swarmbot worker` runs it
        worker = Worker(
            queue=worker_services.jobs,
            handlers=job_handlers(worker_services),
            clock=clock,
            coordinator=worker_services.coordinator,
            owner="demo-worker",
        )
        async with serving(settings, clock=clock) as url:
            sb.request_url = url
            run = DemoRun(sb, cast, echo, worker, clock)
            await run.command("alice", "ZD-4388 sev3 customer:Acme SSO login loops for some users")
            await run.command(
                "alice",
                "ZD-4521 sev1 outage #postgres #billing customer:Acme "
                "Customer cannot log in after the 14:00 deploy",
            )
            swarm = sb.channel_by_name("esc-zd-4521-customer-cannot-log-in-after-the-14-00-deploy")
            assert swarm is not None
            echo("\n(the experts answer their DMs)")
            await run.press("erin", "invitation_accept", label="Accept")
            await run.press("frank", "invitation_decline", label="Decline")
            echo("\n(carol takes the customer liaison role and a task, by reaction)")
            await run.react(
                "carol",
                swarm["id"],
                run.message_with(swarm["id"], "Customer liaison* is open"),
                "raising_hand",
            )
            task_two = run.message_with(swarm["id"], "*Task 2*")
            await run.react("carol", swarm["id"], task_two, "raising_hand")
            echo("\n(bob reacts on the same task a moment later: first claim wins)")
            await run.react("bob", swarm["id"], task_two, "raising_hand")
            await run.react("carol", swarm["id"], task_two, "white_check_mark")
            echo("\n(the clock runs faster from here: status updates, reminders and the escalation matrix)")
            clock.advance(timedelta(minutes=10))
            await run.command(
                "alice",
                "update Rolled back the 14:00 deploy; logins recovering for most users",
                channel=swarm["id"],
            )
            await run.later(10)
            await run.later(25)
            echo("\n(bob did not see the channel yet and escalates the same ticket again)")
            await run.command("bob", "zd-4521 sev1 Acme login down")
            echo("\n(a typo gets an explanation, never a stack trace)")
            await run.command("carol", "ZD-4522 sev5 invoices doubled")
            echo("\n(the commander resolves; ten minutes later the conversation is archived to the ticket)")
            await sb.human(cast.people["erin"]).post(
                swarm["id"], "Customer read out their card: 4111 1111 1111 1111"
            )
            await run.command(
                "alice",
                "resolve Rolled back the 14:00 deploy and fixed the session cookie",
                channel=swarm["id"],
            )
            await run.later(11)
        await worker_services.aclose()
        async with sessions() as session:
            record = await ticket_record(session, "ZD-4521")
        await engine.dispose()
        assert record is not None
        echo("\n▶ swarmbot tickets show ZD-4521 --json   (the transcript's messages cut to the first four)")
        echo(json.dumps(shortened(record), indent=2, ensure_ascii=False))
    return 0


def shortened(record: dict[str, Any]) -> dict[str, Any]:
    """The record with each transcript's messages cut to the first few, so the demo stays readable."""
    swarms = []
    for swarm in record["swarms"]:
        transcript = swarm.get("transcript")
        if transcript:
            messages = transcript["messages"]
            kept = [{k: m[k] for k in ("ts", "user_name", "text", "thread_ts")} for m in messages[:4]]
            transcript = {**transcript, "messages": [*kept, f"… {len(messages) - len(kept)} more"]}
        swarms.append({**swarm, "transcript": transcript})
    return {**record, "swarms": swarms}
