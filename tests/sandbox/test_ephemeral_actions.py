"""Buttons on ephemeral messages: Slack sends the click with an ephemeral container and no copy of the
message, and the click's response_url may replace or delete that ephemeral message."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.sandbox import Sandbox, SandboxError

from .conftest import People, Receiver
from .test_driver import post_json

BUTTON = {
    "type": "actions",
    "block_id": "again",
    "elements": [
        {
            "type": "button",
            "action_id": "open_form",
            "value": "{}",
            "text": {"type": "plain_text", "text": "Open the form"},
        }
    ],
}


def ephemeral_with_a_button(sandbox: Sandbox, people: People) -> tuple[str, str]:
    bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    channel = sandbox.add_channel(
        "support", created_by=people.alice, members=[sandbox.bot_user_id, people.alice]
    )
    ts = bot.chat_postEphemeral(channel=channel, user=people.alice, text="Try again", blocks=[BUTTON])[
        "message_ts"
    ]
    return channel, ts


async def test_a_click_on_an_ephemeral_button_carries_its_container_but_no_message(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    channel, ts = ephemeral_with_a_button(sandbox, people)
    answer = await sandbox.driver().block_action(
        people.alice, action_id="open_form", value="{}", channel_id=channel, message_ts=ts
    )
    payload = receiver.requests[-1].json
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": channel,
        "is_ephemeral": True,
    }
    assert "message" not in payload
    assert payload["actions"][0]["block_id"] == "again" and payload["trigger_id"] in sandbox.ws.triggers
    assert answer.response_url is not None


async def test_only_its_person_can_click_an_ephemeral_message(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    channel, ts = ephemeral_with_a_button(sandbox, people)
    with pytest.raises(SandboxError):
        await sandbox.driver().block_action(
            people.bob, action_id="open_form", value="{}", channel_id=channel, message_ts=ts
        )


async def test_the_response_url_of_an_ephemeral_click_replaces_or_deletes_it(
    sandbox: Sandbox, receiver: Receiver, people: People
) -> None:
    channel, ts = ephemeral_with_a_button(sandbox, people)
    answer = await sandbox.driver().block_action(
        people.alice, action_id="open_form", value="{}", channel_id=channel, message_ts=ts
    )
    assert answer.response_url is not None
    post_json(answer.response_url, {"replace_original": True, "text": "Opening it…"})
    assert [e["text"] for e in sandbox.ephemerals(user=people.alice)] == ["Opening it…"]
    post_json(answer.response_url, {"delete_original": True})
    assert sandbox.ephemerals(user=people.alice) == []
