"""A submitted modal carries what each field opened with unless the person changed it, as in Slack."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.sandbox import Sandbox

from .conftest import People, Receiver

FORM = {
    "type": "modal",
    "callback_id": "escalate",
    "title": {"type": "plain_text", "text": "Escalate"},
    "submit": {"type": "plain_text", "text": "Open"},
    "blocks": [
        {
            "type": "input",
            "block_id": "ticket",
            "label": {"type": "plain_text", "text": "Ticket"},
            "element": {"type": "plain_text_input", "action_id": "value", "initial_value": "ZD-1"},
        },
        {
            "type": "input",
            "block_id": "severity",
            "label": {"type": "plain_text", "text": "Severity"},
            "element": {
                "type": "static_select",
                "action_id": "value",
                "initial_option": {"text": {"type": "plain_text", "text": "sev3"}, "value": "sev3"},
                "options": [
                    {"text": {"type": "plain_text", "text": s}, "value": s} for s in ("sev1", "sev3")
                ],
            },
        },
        {
            "type": "input",
            "block_id": "skills",
            "optional": True,
            "label": {"type": "plain_text", "text": "Skills"},
            "element": {
                "type": "multi_static_select",
                "action_id": "value",
                "initial_options": [{"text": {"type": "plain_text", "text": "sre"}, "value": "sre"}],
                "options": [{"text": {"type": "plain_text", "text": t}, "value": t} for t in ("sre", "db")],
            },
        },
        {
            "type": "input",
            "block_id": "summary",
            "optional": True,
            "label": {"type": "plain_text", "text": "Summary"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
    ],
}


async def test_untouched_fields_submit_their_initial_values_and_changed_ones_what_was_typed(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    view = bot.views_open(trigger_id=sandbox.register_trigger(people.alice), view=FORM)["view"]
    await sandbox.driver().view_submission(people.alice, view["id"], values={"severity": "sev1"})
    values = receiver.requests[-1].json["view"]["state"]["values"]
    assert values["ticket"]["value"] == {"type": "plain_text_input", "value": "ZD-1"}
    assert values["severity"]["value"]["selected_option"]["value"] == "sev1"
    assert [o["value"] for o in values["skills"]["value"]["selected_options"]] == ["sre"]
    assert values["summary"]["value"] == {"type": "plain_text_input", "value": None}
