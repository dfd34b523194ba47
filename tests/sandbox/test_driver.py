"""The driver signs like Slack (checked with slack-sdk's SignatureVerifier) and builds Slack's payloads."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier

from bot.sandbox import Sandbox, SandboxError
from bot.sandbox.signing import signature

from .conftest import People, Receiver

# Slack's published example (docs.slack.dev, "Verifying requests from Slack").
VECTOR_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VECTOR_TIMESTAMP = "1531420618"
VECTOR_BODY = (
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
VECTOR_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


class FrozenClock(Clock):
    def now(self) -> float:
        return float(VECTOR_TIMESTAMP) + 30


def test_signing_reproduces_slacks_published_test_vector() -> None:
    assert signature(VECTOR_SECRET, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    verifier = SignatureVerifier(VECTOR_SECRET, clock=FrozenClock())
    assert verifier.is_valid(VECTOR_BODY, VECTOR_TIMESTAMP, VECTOR_SIGNATURE)


def post_json(url: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def support(sandbox: Sandbox, people: People) -> str:
    return sandbox.add_channel("support", members=[people.alice, people.bob])


async def test_a_slash_command_arrives_signed_form_encoded_and_escaped(
    sandbox: Sandbox, receiver: Receiver, people: People, support: str
) -> None:
    answer = await sandbox.driver().slash_command(
        "/escalate", "ZD-1 sev1 #support @alice @nobody & <b> @here", user_id=people.bob, channel_id=support
    )
    assert answer.status == 200
    [request] = receiver.requests
    assert request.verified and request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = request.json
    assert (
        form["command"] == "/escalate" and form["user_id"] == people.bob and form["channel_name"] == "support"
    )
    assert (
        form["text"]
        == f"ZD-1 sev1 <#{support}|support> <@{people.alice}|alice> @nobody &amp; &lt;b&gt; <!here>"
    )
    assert form["trigger_id"] == answer.trigger_id and form["response_url"] == answer.response_url
    assert sandbox.deliveries("slash_command")[0]["status"] == 200


@pytest.mark.parametrize(
    "forgery", [{"signature": "bad"}, {"timestamp_offset": -600}, {"secret": "other-secret"}]
)
async def test_forged_requests_fail_slack_sdks_verification(
    sandbox: Sandbox, receiver: Receiver, people: People, support: str, forgery: dict[str, Any]
) -> None:
    await sandbox.driver().slash_command(
        "/escalate", "ZD-1", user_id=people.bob, channel_id=support, **forgery
    )
    assert receiver.requests[0].verified is False


async def test_a_command_missing_from_the_manifest_is_refused(
    sandbox: Sandbox, people: People, support: str
) -> None:
    with pytest.raises(SandboxError):
        await sandbox.driver().slash_command("/nope", "", user_id=people.bob, channel_id=support)


async def test_response_urls_answer_ephemerally_in_channel_and_five_times_at_most(
    sandbox: Sandbox, receiver: Receiver, people: People, support: str
) -> None:
    answer = await sandbox.driver().slash_command("/escalate", "help", user_id=people.bob, channel_id=support)
    url = answer.response_url
    assert url is not None
    assert post_json(url, {"text": "Usage: /escalate TICKET"}) == (200, {"ok": True})
    assert [e["text"] for e in sandbox.ephemerals(user=people.bob)] == ["Usage: /escalate TICKET"]
    post_json(url, {"text": "Swarm opened", "response_type": "in_channel"})
    [message] = sandbox.messages(support)
    assert message["text"] == "Swarm opened" and message["bot_id"] == sandbox.bot_id
    for _ in range(3):
        post_json(url, {"text": "again"})
    assert post_json(url, {"text": "sixth"}) == (404, {"ok": False, "error": "used_url"})
    assert len(sandbox.responses(user=people.bob)) == 5


async def test_an_immediate_json_answer_to_a_command_is_shown_to_the_user(
    sandbox: Sandbox, receiver: Receiver, people: People, support: str
) -> None:
    receiver.answer = {"text": "Opening a swarm for ZD-1…"}
    await sandbox.driver().slash_command("/escalate", "ZD-1", user_id=people.bob, channel_id=support)
    assert [e["text"] for e in sandbox.ephemerals(user=people.bob)] == ["Opening a swarm for ZD-1…"]


async def test_a_block_action_on_a_message_carries_the_message_and_can_replace_it(
    sandbox: Sandbox, receiver: Receiver, people: People, support: str
) -> None:
    bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    button = {
        "type": "button",
        "action_id": "claim",
        "value": "task-1",
        "text": {"type": "plain_text", "text": "Claim"},
    }
    blocks = [{"type": "actions", "block_id": "task", "elements": [button]}]
    ts = bot.chat_postMessage(channel=support, text="Task", blocks=blocks)["ts"]
    answer = await sandbox.driver().block_action(
        people.alice, action_id="claim", value="task-1", channel_id=support, message_ts=ts
    )
    payload = receiver.requests[-1].json
    assert payload["type"] == "block_actions" and payload["user"]["id"] == people.alice
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": support,
        "is_ephemeral": False,
    }
    assert payload["actions"][0]["block_id"] == "task" and payload["actions"][0]["value"] == "task-1"
    assert payload["message"]["ts"] == ts and receiver.requests[-1].verified
    assert answer.response_url is not None
    post_json(answer.response_url, {"replace_original": True, "text": "Claimed by alice"})
    assert sandbox.message(support, ts)["text"] == "Claimed by alice"  # type: ignore[index]
    post_json(answer.response_url, {"delete_original": True})
    assert sandbox.message(support, ts) is None


async def test_a_message_shortcut_names_its_callback_and_message(
    sandbox: Sandbox, receiver: Receiver, people: People, support: str
) -> None:
    ts = sandbox.add_message(support, people.alice, "Customer cannot log in")
    await sandbox.driver().message_shortcut(people.bob, "escalate_message", support, ts)
    payload = receiver.requests[-1].json
    assert (payload["type"], payload["callback_id"], payload["message"]["text"]) == (
        "message_action",
        "escalate_message",
        "Customer cannot log in",
    )
    assert payload["trigger_id"] in sandbox.ws.triggers


async def test_url_verification_expects_the_challenge_back(sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.answer = {"challenge": "sandbox-challenge"}
    answer = await sandbox.driver().url_verification()
    assert answer.json == {"challenge": "sandbox-challenge"}
    assert receiver.requests[0].json["type"] == "url_verification" and receiver.requests[0].verified


async def test_a_trigger_from_the_driver_opens_a_modal(
    sandbox: Sandbox, receiver: Receiver, people: People, support: str
) -> None:
    answer = await sandbox.driver().slash_command("/escalate", "", user_id=people.bob, channel_id=support)
    bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Escalate"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Which ticket?"}}],
    }
    assert bot.views_open(trigger_id=answer.trigger_id, view=view)["view"]["id"]
    assert [v["user"] for v in sandbox.views()] == [people.bob]
