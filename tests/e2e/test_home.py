"""The Home tab: published per person when they open it and again when something on it changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_sdk.models.views import View

from tests.e2e.conftest import Stack, opened


def home_text(stack: Stack, user: str) -> str:
    """Everything the person's Home tab says, as one string ('' before it was ever published)."""
    view = stack.sandbox.home_view(stack.person(user))
    return json.dumps(view, ensure_ascii=False) if view else ""


async def home_saying(stack: Stack, user: str, check: Callable[[str], bool]) -> dict[str, Any]:
    """Wait until the person's Home tab passes `check`; return it."""
    await stack.sandbox.wait_for(lambda: check(home_text(stack, user)), timeout=15, message=f"{user}'s Home")
    view = stack.sandbox.home_view(stack.person(user))
    assert view is not None
    View(**{k: v for k, v in view.items() if k in ("type", "blocks", "callback_id")}).validate_json()
    return view


async def test_opening_home_shows_my_swarms_with_their_clocks_my_tasks_and_who_is_on_shift(stack: Stack):
    channel = await opened(stack, "ZD-800 sev1 outage #postgres customer:Acme Login down")
    task_one = next(
        m["ts"] for m in stack.sandbox.messages(channel, system=False) if "*Task 1*" in json.dumps(m)
    )
    await stack.sandbox.human(stack.person("alice")).react(channel, task_one, "raising_hand")
    await stack.sandbox.human(stack.person("alice")).open_home()
    home = await home_saying(stack, "alice", lambda text: "Confirm the scope" in text)
    text = home_text(stack, "alice")
    assert "*ZD-800* · SEV1" in text and "Login down" in text
    assert "You: Escalation commander" in text
    assert "SLA: first response due <!date^" in text  # 15 minutes for a SEV1 outage
    assert "next update due <!date^" in text  # every 30 minutes for a SEV1 outage
    assert "*ZD-800* task 1: Confirm the scope and customer impact" in text
    button = next(b["accessory"] for b in home["blocks"] if b.get("block_id", "").startswith("swarm_"))
    assert button["url"] == f"https://slack.com/app_redirect?channel={channel}"
    answer = await stack.driver.block_action(
        stack.person("alice"), action_id=button["action_id"], view_id=home["id"]
    )
    assert answer.status == 200  # a link button still sends its click, which is acked


async def test_an_expert_sees_their_part_and_who_else_is_on_shift_for_their_skills(stack: Stack):
    await opened(stack, "ZD-801 sev2 #postgres Replica lag")
    await stack.sandbox.human(stack.person("bob")).open_home()
    await home_saying(stack, "bob", lambda text: "ZD-801" in text)
    text = home_text(stack, "bob")
    assert "expert (#postgres)" in text
    assert "*On shift for your skills*" in text
    frank, erin = stack.person("frank"), stack.person("erin")
    assert f"#postgres: <@{frank}>" in text  # Paris is at work at 16:00; bob himself is left out
    assert f"<@{erin}>" in text  # #sre


async def test_the_home_is_published_again_when_something_on_it_changes(stack: Stack):
    await stack.sandbox.human(stack.person("alice")).open_home()
    await home_saying(stack, "alice", lambda text: "You are in no open swarms" in text)
    channel = await opened(stack, "ZD-802 sev2 Reports slow")
    await home_saying(stack, "alice", lambda text: "ZD-802" in text)  # without opening it again
    await stack.escalate("role liaison @carol", channel=channel)
    await home_saying(stack, "carol", lambda text: "ZD-802" in text and "You: Customer liaison" in text)
    await stack.escalate("resolve Index rebuilt", channel=channel)
    await home_saying(stack, "alice", lambda text: "You are in no open swarms" in text)


async def test_the_messages_tab_does_not_publish_the_home(stack: Stack):
    alice = stack.person("alice")
    response = await stack.driver.event({"type": "app_home_opened", "user": alice, "tab": "messages"})
    assert response.status == 200
    await stack.driver.event({"type": "app_home_opened", "user": alice, "tab": "home"})
    await stack.sandbox.wait_for(lambda: stack.sandbox.home_view(alice), timeout=10)
    assert len(stack.sandbox.calls("views.publish")) == 1
