"""`/escalate resolve`: recorded once, clocks stopped, review and CSAT asked, reopen brings it back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from storage.models import Job, Swarm
from tests.e2e.conftest import Scheduler, Stack, count, last, opened, text_of


def survey_sent_to(stack: Stack, user: str) -> tuple[str, dict[str, Any]]:
    """The DM channel and message of the CSAT survey `user` was sent."""
    return next(
        (c["id"], m)
        for c in stack.sandbox.channels(include_dms=True)
        if c.get("is_im") and user in stack.sandbox.members(c["id"])
        for m in stack.sandbox.messages(c["id"], system=False)
        if "How well did the swarm handle it?" in text_of(m)
    )


async def test_resolve_records_it_stops_the_clocks_and_asks_for_the_review(
    stack: Stack, scheduler: Scheduler
):
    channel = await opened(stack, "ZD-90 sev2 Reports slow")
    answer = await stack.escalate("resolve Rebuilt the index; reports are fast again", channel=channel)
    assert "Resolved. The channel is archived at 15:10 UTC." in answer["text"]
    assert "ZD-90 resolved* by" in last(stack, channel, "resolved")
    review = last(stack, channel, "Review")
    assert "What was the root cause?" in review
    feed = [text_of(m) for m in stack.sandbox.messages(stack.cast.feed_channel, system=False)]
    assert any("Escalation resolved: ZD-90" in text for text in feed)
    async with stack.sessions() as session:
        swarm = await session.scalar(select(Swarm))
        assert (swarm.status, swarm.resolved_by, swarm.resolution) == (
            "resolved",
            stack.person("alice"),
            "Rebuilt the index; reports are fast again",
        )
        live = (await session.scalars(select(Job.kind).where(Job.state == "pending"))).all()
        assert live == ["archive_swarm"]  # reminders, levels and SLA alerts are cancelled
    await scheduler.after(120)
    assert count(stack, channel, "status update due") == 0
    assert count(stack, channel, "Escalation level") == 0


async def test_resolving_twice_or_without_the_role_is_explained(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-91 sev2 outage Login errors")
    denied = await stack.escalate("resolve done", user="bob", channel=channel)
    assert "Only the commander" in text_of(denied)
    await stack.driver.slash_command(
        "/escalate", "resolve", user_id=stack.person("alice"), channel_id=channel
    )
    await stack.sandbox.wait_for(lambda: stack.sandbox.open_modals(stack.person("alice")))
    [form] = stack.sandbox.open_modals(stack.person("alice"))
    assert form["callback_id"] == "resolve"
    missing = await stack.driver.view_submission(stack.person("alice"), form["id"], values={})
    assert missing.json["errors"] == {"resolution": "Say how it was resolved."}
    await stack.escalate("resolve fixed", channel=channel)
    again = await stack.escalate("resolve fixed again", channel=channel)
    assert "already resolved" in text_of(again)
    elsewhere = await stack.escalate("resolve fixed")
    assert "This is not a swarm channel." in text_of(elsewhere)


async def test_the_requester_rates_the_escalation_once(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-92 sev2 Reports slow")
    await stack.escalate("resolve fixed", channel=channel)
    alice = stack.person("alice")
    dm_channel, survey = survey_sent_to(stack, alice)
    four = next(
        e
        for b in survey["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "csat_4"
    )
    await stack.driver.block_action(
        alice, action_id="csat_4", value=four["value"], channel_id=dm_channel, message_ts=survey["ts"]
    )
    await stack.sandbox.wait_for(lambda: "4 of 5" in text_of(stack.sandbox.message(dm_channel, survey["ts"])))
    await stack.driver.block_action(
        alice,
        action_id="csat_2",
        value=four["value"].replace(":4", ":2"),
        channel_id=dm_channel,
        message_ts=survey["ts"],
    )
    await stack.sandbox.wait_for(lambda: "already rated" in json.dumps(stack.sandbox.responses(user=alice)))
    async with stack.sessions() as session:
        assert (await session.scalar(select(Swarm.csat_score))) == 4


async def test_survey_buttons_naming_no_swarm_on_record_are_explained(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-93 sev2 Reports slow")
    await stack.escalate("resolve fixed", channel=channel)
    alice = stack.person("alice")
    dm_channel, survey = survey_sent_to(stack, alice)
    where = {"channel_id": dm_channel, "message_ts": survey["ts"]}
    await stack.driver.block_action(alice, action_id="csat_add_comment", value="999", **where)
    await stack.driver.block_action(alice, action_id="csat_3", value="999:3", **where)
    await stack.sandbox.wait_for(
        lambda: sum("not on record" in r["payload"]["text"] for r in stack.sandbox.responses(user=alice)) == 2
    )
    assert stack.sandbox.open_modals(alice) == []


async def test_reopen_brings_the_swarm_and_its_reminders_back(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-93 sev2 Reports slow")
    await stack.escalate("resolve fixed", channel=channel)
    answer = await stack.escalate("reopen zd-93")
    assert f"Reopened <#{channel}>" in answer["text"]
    assert "reopened ZD-93" in last(stack, channel, "reopened")
    await scheduler.after(61)
    assert count(stack, channel, "status update due") == 1
    again = await stack.escalate("reopen ZD-93")
    assert "is not resolved" in text_of(again)


async def test_the_record_carries_the_kpis_and_the_report_sums_them_up(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-94 sev2 #postgres Slow queries")
    await scheduler.after(5)
    await stack.escalate("update Found a missing index", channel=channel)
    await scheduler.after(40)
    await stack.escalate("resolve Added the index", channel=channel)
    runner = CliRunner()
    env = {"DATABASE_URL": stack.backend.database_url}
    # the CLI runs its own event loop: give it a thread of its own
    shown = await asyncio.to_thread(runner.invoke, main, ["tickets", "show", "ZD-94", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    [swarm] = json.loads(shown.output)["swarms"]
    kpis = swarm["kpis"]
    assert kpis["time_to_first_update_seconds"] == 5 * 60
    assert kpis["time_to_resolve_seconds"] == 45 * 60
    assert kpis["sla"] == {"respond": "met", "resolve": "met"}
    assert swarm["resolution"]["text"] == "Added the index"
    report = await asyncio.to_thread(runner.invoke, main, ["report", "--since", "365d"], env=env)
    assert report.exit_code == 0, report.output
    assert "sev2" in report.output and "5m / 5m" in report.output


async def test_the_account_team_hears_when_it_resolves(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-98 sev2 Reports slow")
    assigned = await stack.escalate("role csm @carol", channel=channel)
    assert "now holds *Customer success manager*" in assigned["text"]
    await stack.escalate("resolve Fixed the index", channel=channel)
    carol = stack.person("carol")
    dms = [
        text_of(m)
        for c in stack.sandbox.channels(include_dms=True)
        if c.get("is_im") and carol in stack.sandbox.members(c["id"])
        for m in stack.sandbox.messages(c["id"], system=False)
    ]
    assert any("Escalation resolved: ZD-98" in text for text in dms)
