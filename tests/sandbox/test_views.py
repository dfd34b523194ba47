"""Modals and Home tabs: trigger ids, the view stack, hashes, and submissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.sandbox import Sandbox

from .conftest import FakeClock, People, Receiver
from .test_conversations import error_of

INPUT = {
    "type": "input",
    "block_id": "ticket",
    "label": {"type": "plain_text", "text": "Ticket"},
    "element": {"type": "plain_text_input", "action_id": "value"},
}
SEVERITY = {
    "type": "input",
    "block_id": "severity",
    "label": {"type": "plain_text", "text": "Severity"},
    "element": {
        "type": "static_select",
        "action_id": "choice",
        "options": [{"text": {"type": "plain_text", "text": s}, "value": s} for s in ("sev1", "sev2")],
    },
}


def modal(title: str = "Escalate", blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "escalate",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Open"},
        "blocks": blocks or [INPUT, SEVERITY],
    }


def test_a_trigger_expires_after_three_seconds(make_sandbox: Callable[..., Sandbox]) -> None:
    clock = FakeClock()
    sb = make_sandbox(clock=clock)
    user = sb.add_user("alice")
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    trigger = sb.register_trigger(user)
    clock.advance(3.01)
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal())) == "expired_trigger_id"
    fresh = sb.register_trigger(user)
    clock.advance(2.9)
    assert client.views_open(trigger_id=fresh, view=modal())["ok"]


def test_a_trigger_works_once_and_unknown_triggers_are_invalid(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    trigger = sandbox.register_trigger(people.alice)
    bot.views_open(trigger_id=trigger, view=modal())
    assert error_of(lambda: bot.views_open(trigger_id=trigger, view=modal())) == "exchanged_trigger_id"
    assert error_of(lambda: bot.views_open(trigger_id="123.456.abc", view=modal())) == "invalid_trigger_id"


def test_invalid_views_are_refused_like_slack(sandbox: Sandbox, bot: WebClient, people: People) -> None:
    too_long_title = modal(title="x" * 25)
    with pytest.raises(Exception) as caught:
        bot.views_open(trigger_id=sandbox.register_trigger(people.alice), view=too_long_title)
    response = caught.value.response  # type: ignore[attr-defined]
    assert response["error"] == "invalid_arguments" and response["response_metadata"]["messages"]


def test_the_modal_stack_holds_three_views_at_most(sandbox: Sandbox, bot: WebClient, people: People) -> None:
    root = bot.views_open(trigger_id=sandbox.register_trigger(people.alice), view=modal())["view"]
    second = bot.views_push(trigger_id=sandbox.register_trigger(people.alice), view=modal("Second"))["view"]
    assert second["root_view_id"] == root["id"] and second["previous_view_id"] == root["id"]
    bot.views_push(trigger_id=sandbox.register_trigger(people.alice), view=modal("Third"))
    fourth = lambda: bot.views_push(trigger_id=sandbox.register_trigger(people.alice), view=modal("Fourth"))  # noqa: E731
    assert error_of(fourth) == "push_limit_reached"
    assert [v["title"]["text"] for v in sandbox.open_modals(people.alice)] == ["Escalate", "Second", "Third"]


def test_update_by_id_or_external_id_checks_the_hash(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    view = bot.views_open(
        trigger_id=sandbox.register_trigger(people.alice), view={**modal(), "external_id": "esc-ZD-1"}
    )["view"]
    updated = bot.views_update(view_id=view["id"], hash=view["hash"], view=modal("Step two"))["view"]
    assert updated["title"]["text"] == "Step two" and updated["hash"] != view["hash"]
    stale = lambda: bot.views_update(view_id=view["id"], hash=view["hash"], view=modal("Late"))  # noqa: E731
    assert error_of(stale) == "hash_conflict"
    assert bot.views_update(external_id="esc-ZD-1", view=modal("By external id"))["view"]["id"] == view["id"]
    assert error_of(lambda: bot.views_update(view_id="V404", view=modal())) == "not_found"


def test_publish_sets_the_home_tab(sandbox: Sandbox, bot: WebClient, people: People) -> None:
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your swarms"}}],
    }
    bot.views_publish(user_id=people.alice, view=home)
    assert sandbox.home_view(people.alice)["blocks"][0]["text"]["text"] == "Your swarms"  # type: ignore[index]
    assert error_of(lambda: bot.views_publish(user_id="U404", view=home)) == "user_not_found"
    assert error_of(lambda: bot.views_publish(user_id=people.alice, view=modal())) == "invalid_arguments"


async def test_a_submission_carries_state_values_and_closes_the_modal(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    view = bot.views_open(trigger_id=sandbox.register_trigger(people.alice), view=modal())["view"]
    answer = await sandbox.driver().view_submission(
        people.alice, view["id"], values={"ticket": "ZD-1", "severity": {"choice": "sev1"}}
    )
    assert answer.ok
    payload = receiver.requests[-1].json
    assert payload["type"] == "view_submission" and payload["view"]["callback_id"] == "escalate"
    values = payload["view"]["state"]["values"]
    assert values["ticket"]["value"] == {"type": "plain_text_input", "value": "ZD-1"}
    assert values["severity"]["choice"]["selected_option"]["value"] == "sev1"
    assert sandbox.open_modals(people.alice) == []


async def test_a_submission_answered_with_errors_keeps_the_modal_open(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    view = bot.views_open(trigger_id=sandbox.register_trigger(people.alice), view=modal())["view"]
    receiver.answer = {"response_action": "errors", "errors": {"ticket": "Unknown ticket"}}
    await sandbox.driver().view_submission(people.alice, view["id"], values={"ticket": "ZD-404"})
    [open_view] = sandbox.open_modals(people.alice)
    assert open_view["errors"] == {"ticket": "Unknown ticket"}
    receiver.answer = {"response_action": "update", "view": modal("Fixed")}
    await sandbox.driver().view_submission(people.alice, view["id"], values={"ticket": "ZD-1"})
    assert sandbox.open_modals(people.alice)[0]["title"]["text"] == "Fixed"
