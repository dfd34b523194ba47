"""Reminders, status updates, escalation levels and SLA alerts, on a clock the test moves (no waiting)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.services import Services
from storage.models import Invitation, StatusUpdate, Swarm, TimelineEntry
from tests.e2e.conftest import Scheduler, Stack, count, last, opened, settings_for, text_of


async def test_the_commander_is_reminded_at_the_playbooks_cadence(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-70 sev2 Reports slow")  # default playbook: sev2 every 1h
    await scheduler.after(59)
    assert count(stack, channel, "status update due") == 0
    await scheduler.after(2)
    reminder = last(stack, channel, "status update due")
    assert f"<@{stack.person('alice')}> status update due — the last one was 1h 1m ago" in reminder
    await scheduler.after(60)
    assert count(stack, channel, "status update due") == 2


async def test_an_update_resets_the_clock_and_is_told_to_stakeholders(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-71 sev2 Reports slow")
    await scheduler.after(30)
    answer = await stack.escalate("update Index rebuilt, watching latency", channel=channel)
    assert "The next one is due at 16:30 UTC" in answer["text"]
    assert "Index rebuilt, watching latency" in last(stack, channel, "Status update")
    feed = [text_of(m) for m in stack.sandbox.messages(stack.cast.feed_channel, system=False)]
    assert any("Status update: ZD-71" in text and "Index rebuilt" in text for text in feed)
    await scheduler.after(31)  # an hour after opening: no reminder, the update moved the clock
    assert count(stack, channel, "status update due") == 0
    await scheduler.after(30)
    assert "the last one was 1h 1m ago" in last(stack, channel, "status update due")


async def test_only_the_commander_or_the_scribe_posts_updates(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-72 sev2 outage Login errors")
    denied = await stack.escalate("update it is fine", user="bob", channel=channel)
    assert "Status updates come from the commander" in text_of(denied)
    outside = await stack.escalate("update it is fine")
    assert "This is not a swarm channel." in text_of(outside)


async def test_snooze_moves_the_next_reminder_and_says_so(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-73 sev2 Reports slow")
    await scheduler.after(61)
    reminder = next(
        m for m in stack.sandbox.messages(channel, system=False) if "status update due" in text_of(m)
    )
    snooze = next(
        e
        for b in reminder["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "reminder_snooze"
    )
    await stack.driver.block_action(
        stack.person("alice"),
        action_id="reminder_snooze",
        value=snooze["value"],
        channel_id=channel,
        message_ts=reminder["ts"],
    )
    await stack.sandbox.wait_for(
        lambda: "Snoozed by" in text_of(stack.sandbox.message(channel, reminder["ts"]))
    )
    assert "the next reminder comes at 16:16 UTC" in text_of(stack.sandbox.message(channel, reminder["ts"]))
    await scheduler.after(14)
    assert count(stack, channel, "status update due") == 0  # the reminder message was replaced
    await scheduler.after(2)
    assert count(stack, channel, "status update due") == 1


async def test_snoozing_after_an_update_changes_nothing_and_explains(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-74 sev2 Reports slow")
    await scheduler.after(61)
    reminder = next(
        m for m in stack.sandbox.messages(channel, system=False) if "status update due" in text_of(m)
    )
    value = reminder["blocks"][1]["elements"][1]["value"]
    await stack.escalate("update Root cause found", channel=channel)
    await stack.driver.block_action(
        stack.person("alice"),
        action_id="reminder_snooze",
        value=value,
        channel_id=channel,
        message_ts=reminder["ts"],
    )
    await stack.sandbox.wait_for(
        lambda: "nothing to snooze" in json.dumps(stack.sandbox.responses(user=stack.person("alice")))
    )


async def test_a_snooze_button_with_a_forged_time_is_refused(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-75 sev2 Reports slow")
    await scheduler.after(61)
    reminder = next(
        m for m in stack.sandbox.messages(channel, system=False) if "status update due" in text_of(m)
    )
    value = json.loads(reminder["blocks"][1]["elements"][1]["value"])
    await stack.driver.block_action(
        stack.person("alice"),
        action_id="reminder_snooze",
        value=json.dumps({**value, "at": value["at"][:10]}),  # a date without its UTC offset
        channel_id=channel,
        message_ts=reminder["ts"],
    )
    await stack.sandbox.wait_for(
        lambda: (
            "the reminder on this button" in json.dumps(stack.sandbox.responses(user=stack.person("alice")))
        )
    )
    assert "Snoozed by" not in text_of(stack.sandbox.message(channel, reminder["ts"]))


async def test_missed_reminders_notify_the_escalation_managers(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-75 sev2 Reports slow")  # missed_before_escalating: 2
    await scheduler.after(61)
    assert count(stack, channel, "missed") == 0
    await scheduler.after(60)
    notice = last(stack, channel, "has missed")
    assert f"<@{stack.person('alice')}> has missed 2 status updates in a row" in notice
    assert f"<!subteam^{stack.cast.usergroups['support-managers']}|@support-managers>" in notice
    async with stack.sessions() as session:
        assert (await session.scalar(select(Swarm.missed_reminders))) == 2


async def test_levels_fire_when_their_windows_pass_unresolved(stack: Stack, scheduler: Scheduler):
    channel = await opened(
        stack, "ZD-76 sev3 Exports fail"
    )  # default: 30m support-leads, 90m support-managers
    await scheduler.after(29)
    assert count(stack, channel, "Escalation level") == 0
    await scheduler.after(2)
    level = last(stack, channel, "Escalation level 1 of 7")
    assert "unresolved after 30m" in level
    assert f"<!subteam^{stack.cast.usergroups['support-leads']}|@support-leads>" in level
    assert stack.person("dave") in stack.sandbox.members(channel)  # the group's people are brought in
    feed = [text_of(m) for m in stack.sandbox.messages(stack.cast.feed_channel, system=False)]
    assert any("Escalation level raised: ZD-76" in text for text in feed)
    await scheduler.after(60)
    assert "Escalation level 2 of 7" in last(stack, channel, "Escalation level")
    async with stack.sessions() as session:
        assert (await session.scalar(select(Swarm.escalation_level))) == 2


async def test_escalate_up_raises_now_and_the_timed_level_does_not_repeat_it(
    stack: Stack, scheduler: Scheduler
):
    channel = await opened(stack, "ZD-77 sev3 Exports fail")
    answer = await stack.escalate("up", channel=channel)
    assert "Raised ZD-77 to escalation level 1" in answer["text"]
    assert f"raised by <@{stack.person('alice')}>" in last(stack, channel, "Escalation level 1")
    await scheduler.after(31)
    assert count(stack, channel, "Escalation level 1 of 7") == 1
    denied = await stack.escalate("up", user="bob", channel=channel)
    assert "Only the commander" in text_of(denied)


async def test_business_day_levels_skip_the_weekend_and_holidays(stack: Stack, scheduler: Scheduler):
    stack.clock.advance(timedelta(days=4, hours=1))  # Friday 2026-11-27 16:00 UTC
    settings = settings_for(stack.sandbox, stack.backend, swarmbot_holidays="2026-11-30")
    services = Services.create(settings, clock=stack.clock)
    try:
        from bot.grammar import OpenSwarm

        outcome = await services.swarms.open(
            OpenSwarm(ticket_id="ZD-78", severity="sev3", summary="Late invoices"),
            requested_by=stack.person("alice"),
        )
        jobs = await services.jobs.pending(swarm_id=outcome.swarm.id, kind="escalation_level")
        due = {job.payload["level"]: job.due_at for job in jobs}
        # level 5 is 2bd: Friday 16:00 + 2 working days, Monday a holiday → Wednesday 16:00
        assert due[5] == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
        assert due[1] == datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    finally:
        await services.aclose()


async def test_sla_warns_at_three_quarters_and_records_a_breach(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-79 sev2 Reports slow")  # default sev2: respond 1h
    await scheduler.after(46)
    assert "SLA: first response for ZD-79 is due by" in last(stack, channel, "SLA")
    await scheduler.after(15)
    assert "SLA breached: first response" in last(stack, channel, "SLA breached")
    feed = [text_of(m) for m in stack.sandbox.messages(stack.cast.feed_channel, system=False)]
    assert any("SLA breached: ZD-79" in text for text in feed)
    async with stack.sessions() as session:
        kinds = (await session.scalars(select(TimelineEntry.kind))).all()
        assert "sla_breached" in kinds


async def test_a_first_update_in_time_meets_the_response_sla(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-80 sev2 Reports slow")
    await scheduler.after(10)
    await stack.escalate("update Looking into it", channel=channel)
    await scheduler.after(60)
    assert count(stack, channel, "first response") == 0


async def test_changing_severity_replans_the_cadence(stack: Stack, scheduler: Scheduler):
    channel = await opened(stack, "ZD-81 sev3 Reports slow")  # sev3: every 4h
    answer = await stack.escalate("sev sev1", channel=channel)
    assert "ZD-81 is now SEV1" in answer["text"]
    assert stack.sandbox.channel(channel)["topic"]["value"].startswith("SEV1 · ZD-81")
    await scheduler.after(31)  # sev1: every 30m
    assert count(stack, channel, "status update due") == 1
    wrong = await stack.escalate("sev sev9", channel=channel)
    assert "is not a severity" in text_of(wrong)


async def test_an_unanswered_invitation_expires_and_the_next_candidate_is_pulled_in(
    stack: Stack, scheduler: Scheduler
):
    channel = await opened(stack, "ZD-82 sev1 #postgres Replication lag")
    await scheduler.after(16)
    note = last(stack, channel, "did not answer in time")
    assert (
        f"<@{stack.person('bob')}> did not answer in time (#postgres). Pulling in <@{stack.person('frank')}>"
        in note
    )
    async with stack.sessions() as session:
        statuses = {
            user: status
            for user, status in await session.execute(select(Invitation.user_id, Invitation.status))
        }
    assert statuses[stack.person("bob")] == "expired" and statuses[stack.person("frank")] == "invited"


async def test_the_update_form_checks_its_fields_before_anything_is_posted(
    stack: Stack, scheduler: Scheduler
):
    channel = await opened(stack, "ZD-83 sev2 Reports slow")
    response = await stack.driver.slash_command(
        "/escalate", "update", user_id=stack.person("alice"), channel_id=channel
    )
    assert response.status == 200
    await stack.sandbox.wait_for(lambda: stack.sandbox.open_modals(stack.person("alice")))
    [modal] = stack.sandbox.open_modals(stack.person("alice"))
    empty = await stack.driver.view_submission(stack.person("alice"), modal["id"], values={})
    assert empty.json["response_action"] == "errors"
    assert set(empty.json["errors"]) == {"status", "impact"}  # "next update in" starts filled in
    values: dict[str, Any] = {
        "status": {"value": {"type": "static_select", "selected_option": {"value": "Monitoring"}}},
        "impact": {"value": {"type": "plain_text_input", "value": "Reports 5 minutes late"}},
        "next_update": {"value": {"type": "static_select", "selected_option": {"value": "60"}}},
    }
    done = await stack.driver.view_submission(stack.person("alice"), modal["id"], values=values)
    assert done.status == 200 and not (done.json or {}).get("errors")
    await stack.sandbox.wait_for(lambda: count(stack, channel, "Status update") == 1)
    update = last(stack, channel, "Status update")
    assert "*Status:* Monitoring" in update and "*Customer impact:* Reports 5 minutes late" in update
    async with stack.sessions() as session:
        stored = await session.scalar(select(StatusUpdate))
        assert stored.fields["status"] == "Monitoring"
