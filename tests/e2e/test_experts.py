"""Experts by skill: chosen with reasons, invited in one call, Accept / Decline, fallbacks, `add`."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from storage.models import Invitation, Participant, TimelineEntry
from tests.e2e.conftest import Stack, text_of


def dm_invitation(stack: Stack, who: str) -> tuple[str, str, str]:
    """(dm channel, message ts, invitation id) of the invitation DM `who` got."""
    user = stack.person(who)
    for channel in stack.sandbox.channels(include_dms=True):
        if channel.get("is_im") and user in stack.sandbox.members(channel["id"]):
            for message in stack.sandbox.messages(channel["id"], system=False):
                for block in message.get("blocks") or []:
                    for element in block.get("elements") or []:
                        if element.get("action_id") == "invitation_accept":
                            return channel["id"], message["ts"], element["value"]
    raise AssertionError(f"{who} has no invitation DM")


async def press(stack: Stack, who: str, action: str, *, as_user: str | None = None) -> tuple[str, str]:
    """Press a button on `who`'s invitation DM (as someone else with `as_user`); returns where the DM is."""
    channel, ts, value = dm_invitation(stack, who)

    def traffic() -> int:
        return len(stack.sandbox.calls()) + len(stack.sandbox.responses())

    before = traffic()
    response = await stack.driver.block_action(
        stack.person(as_user or who), action_id=action, value=value, channel_id=channel, message_ts=ts
    )
    assert response.status == 200
    await stack.sandbox.wait_for(lambda: traffic() > before, timeout=10)
    return channel, ts


def experts_note(stack: Stack, channel: str) -> str:
    return next(
        text_of(m) for m in stack.sandbox.messages(channel, system=False) if "Experts pulled in" in text_of(m)
    )


def notes(stack: Stack, channel: str) -> list[str]:
    return [text_of(m) for m in stack.sandbox.messages(channel, system=False)]


async def test_experts_are_invited_in_one_call_and_told_why(stack: Stack):
    await stack.escalate("ZD-1 sev1 #postgres #billing Checkout down")
    channel = stack.channel_named("esc-zd-1")
    note = experts_note(stack, channel["id"])
    bob, carol = stack.person("bob"), stack.person("carol")
    assert f"<@{bob}> for #postgres — matched #postgres · on shift · 0 active swarms" in note
    assert f"<@{carol}> for #billing — matched #billing · on shift · 0 active swarms" in note
    invites = [c for c in stack.sandbox.calls("conversations.invite") if c["token_kind"] == "bot"]
    assert len(invites) == 1
    _, _, invitation = dm_invitation(stack, "bob")
    dm_channel, dm_ts, _ = dm_invitation(stack, "bob")
    dm = text_of(stack.sandbox.message(dm_channel, dm_ts))
    assert f"<#{channel['id']}>" in dm and "#postgres" in dm and invitation


async def test_accept_records_the_time_and_makes_them_an_expert(stack: Stack):
    await stack.escalate("ZD-2 sev2 #postgres Slow queries")
    channel = stack.channel_named("esc-zd-2")
    dm_channel, dm_ts = await press(stack, "bob", "invitation_accept")
    await stack.sandbox.wait_for(lambda: any("accepted" in n for n in notes(stack, channel["id"])))
    assert "You accepted" in text_of(stack.sandbox.message(dm_channel, dm_ts))
    async with stack.sessions() as session:
        invitation = await session.scalar(select(Invitation).where(Invitation.user_id == stack.person("bob")))
        assert invitation.status == "accepted" and invitation.answered_at is not None
        role = await session.scalar(
            select(Participant.role).where(Participant.user_id == stack.person("bob"))
        )
        assert role == "expert"
        entry = await session.scalar(select(TimelineEntry).where(TimelineEntry.kind == "expert_accepted"))
        assert entry.detail["first_expert"] is True and entry.detail["seconds"] == 0


async def test_an_answer_from_a_dm_whose_ts_is_not_recorded_yet_still_updates_that_dm(stack: Stack):
    await stack.escalate("ZD-12 sev2 #postgres Slow queries")
    channel = stack.channel_named("esc-zd-12")
    async with stack.sessions() as session:
        # The expert clicked between Slack storing the DM and the bot writing its ts down.
        await session.execute(update(Invitation).values(dm_ts=None))
        await session.commit()
    dm_channel, dm_ts = await press(stack, "bob", "invitation_accept")
    await stack.sandbox.wait_for(lambda: any("accepted" in n for n in notes(stack, channel["id"])))
    assert "You accepted" in text_of(stack.sandbox.message(dm_channel, dm_ts))


async def test_decline_pulls_in_the_next_candidate(stack: Stack):
    await stack.escalate("ZD-3 sev1 #postgres Replication broken")
    channel = stack.channel_named("esc-zd-3")
    assert f"<@{stack.person('bob')}> for #postgres" in experts_note(stack, channel["id"])
    await press(stack, "bob", "invitation_decline")
    frank = stack.person("frank")
    await stack.sandbox.wait_for(lambda: frank in stack.sandbox.members(channel["id"]))
    await stack.sandbox.wait_for(lambda: any("Pulling in" in n for n in notes(stack, channel["id"])))
    note = next(n for n in notes(stack, channel["id"]) if "declined" in n)
    assert f"<@{stack.person('bob')}> declined (#postgres). Pulling in <@{frank}>: matched #postgres" in note
    await stack.sandbox.wait_for(lambda: dm_invitation(stack, "frank"))


async def test_when_nobody_fits_the_fallback_is_notified_and_the_swarm_still_opens(stack: Stack):
    # grace is the only #engineering expert and it is 23:00 in Singapore
    answer = await stack.escalate("ZD-4 sev2 #engineering Build pipeline stuck")
    assert "Opened" in answer["text"]
    channel = stack.channel_named("esc-zd-4")
    note = experts_note(stack, channel["id"])
    assert "#engineering: nobody with #engineering is available: the only one is off shift" in note
    assert f"notified <!subteam^{stack.cast.usergroups['support-managers']}|@support-managers>" in note


async def test_unknown_skill_is_explained_with_the_closest_tags_and_left_out(stack: Stack):
    answer = await stack.escalate("ZD-5 sev3 #postgress #billing Invoices wrong")
    assert "`#postgress`: nobody in the directory has it, did you mean #postgres?" in text_of(answer)
    assert "Known tags: #billing" in text_of(answer)
    async with stack.sessions() as session:
        from storage.models import Swarm

        assert (await session.scalar(select(Swarm.skills))) == ["billing"]


async def test_escalate_add_pulls_in_more_experts_in_a_swarm(stack: Stack):
    await stack.escalate("ZD-6 sev2 Webhooks delayed")
    channel = stack.channel_named("esc-zd-6")
    answer = await stack.escalate("add #billing", channel=channel["id"])
    carol = stack.person("carol")
    assert f"Pulled in <@{carol}> (#billing)" in answer["text"]
    assert carol in stack.sandbox.members(channel["id"])
    await stack.sandbox.wait_for(lambda: dm_invitation(stack, "carol"))


async def test_escalate_add_outside_a_swarm_channel_is_explained(stack: Stack):
    answer = await stack.escalate("add #billing")
    assert "This is not a swarm channel." in text_of(answer)


async def test_escalate_experts_lists_who_has_the_skill_and_who_is_available(stack: Stack):
    answer = await stack.escalate("experts #sre")
    text = text_of(answer)
    assert "*#sre*: 3 with the skill, 2 available now" in text
    assert f"<@{stack.person('grace')}> · L2 · proficiency 2 — off shift until 09:00 Asia/Singapore" in text


async def test_only_the_invited_expert_can_answer_and_only_once(stack: Stack):
    await stack.escalate("ZD-7 sev2 #billing Refund stuck")
    _, _, dm_value = dm_invitation(stack, "carol")
    await press(stack, "carol", "invitation_accept", as_user="alice")
    await stack.sandbox.wait_for(lambda: stack.sandbox.responses(user=stack.person("alice"))[1:])
    alice_notes = [json.dumps(e) for e in stack.sandbox.ephemerals(user=stack.person("alice"))]
    responses = [json.dumps(r["payload"]) for r in stack.sandbox.responses(user=stack.person("alice"))]
    assert any("This invitation is for" in text for text in alice_notes + responses)
    channel, ts = await press(stack, "carol", "invitation_accept")
    await stack.sandbox.wait_for(lambda: "You accepted" in text_of(stack.sandbox.message(channel, ts)))
    # a second click on the (already updated) message, as a slow client would send it
    again = await stack.driver.block_action(
        stack.person("carol"),
        action_id="invitation_decline",
        value=dm_value,
        channel_id=channel,
        message_ts=ts,
    )
    assert again.status == 200
    await stack.sandbox.wait_for(lambda: stack.sandbox.responses(user=stack.person("carol")))
    carol_said: list[Any] = stack.sandbox.responses(user=stack.person("carol")) + stack.sandbox.ephemerals(
        user=stack.person("carol")
    )
    assert any("already answered" in json.dumps(item) for item in carol_said)
    async with stack.sessions() as session:
        assert (await session.scalar(select(Invitation.status))) == "accepted"


async def test_the_worker_syncs_user_groups_into_the_directory_every_hour(stack: Stack):
    from bot.experts import SYNC_KIND
    from bot.scheduler import Worker
    from bot.scheduler.registry import job_handlers
    from bot.services import Services
    from tests.e2e.conftest import settings_for

    services = Services.create(
        settings_for(stack.sandbox, stack.backend, swarmbot_skill_groups="support-leads=escalations"),
        clock=stack.clock,
    )
    try:
        worker = Worker(
            queue=services.jobs,
            handlers=job_handlers(services),
            clock=stack.clock,
            coordinator=services.coordinator,
            owner="sync-test",
        )
        await services.jobs.schedule(SYNC_KIND, due_at=stack.clock.now(), key=SYNC_KIND)
        assert await worker.run_once() == 1
        ranking = await services.directory.ranking("escalations")
        assert [e.slack_id for e in ranking.experts] == [stack.person("dave")]
        [next_sync] = await services.jobs.pending(kind=SYNC_KIND)
        assert next_sync.due_at == stack.clock.now() + timedelta(hours=1)
    finally:
        await services.aclose()
