"""Tokens, unknown methods and scopes behave like Slack."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import Sandbox

from .conftest import People


def raw_post(sb: Sandbox, method: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(sb.api_url + method, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request) as response:
        return dict(json.loads(response.read()))


def test_auth_test_names_the_bot_user_bot_id_and_team(sandbox: Sandbox, bot: WebClient) -> None:
    answer = bot.auth_test()
    assert answer["user_id"] == sandbox.bot_user_id
    assert answer["bot_id"] == sandbox.bot_id
    assert answer["team_id"] == sandbox.team_id
    assert "chat:write" in {k.lower(): v for k, v in answer.headers.items()}["x-oauth-scopes"]


def test_a_call_without_a_token_is_not_authed(sandbox: Sandbox) -> None:
    with pytest.raises(SlackApiError) as caught:
        WebClient(base_url=sandbox.api_url).auth_test()
    assert caught.value.response["error"] == "not_authed"


def test_an_unknown_token_is_invalid_auth(sandbox: Sandbox) -> None:
    with pytest.raises(SlackApiError) as caught:
        WebClient(token="xoxb-nope", base_url=sandbox.api_url).auth_test()
    assert caught.value.response["error"] == "invalid_auth"


def test_an_unknown_method_is_unknown_method(sandbox: Sandbox, bot: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        bot.api_call("chat.teleport")
    assert caught.value.response["error"] == "unknown_method"


def test_the_token_may_travel_in_a_form_body_and_json_bodies_work_too(sandbox: Sandbox) -> None:
    form = raw_post(
        sandbox,
        "auth.test",
        f"token={sandbox.bot_token}".encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form["ok"] is True
    created = raw_post(
        sandbox,
        "conversations.create",
        json.dumps({"name": "json-body"}).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {sandbox.bot_token}"},
    )
    assert created["channel"]["name"] == "json-body"


def test_a_method_outside_the_manifest_scopes_answers_missing_scope_with_needed_and_provided(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.yml"
    manifest.write_text("oauth_config:\n  scopes:\n    bot: [users:read]\nsettings: {}\n")
    sb = make_sandbox(manifest_path=manifest)
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    assert client.users_list()["ok"]
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="general", text="hi")
    assert caught.value.response["error"] == "missing_scope"
    assert caught.value.response["needed"] == "chat:write"
    assert caught.value.response["provided"] == "users:read"


def test_private_channel_scopes_are_checked_by_conversation_type(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.yml"
    manifest.write_text("oauth_config:\n  scopes:\n    bot: [channels:manage, channels:read]\n")
    sb = make_sandbox(manifest_path=manifest)
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    assert client.conversations_create(name="public-one")["ok"]
    with pytest.raises(SlackApiError) as caught:
        client.conversations_create(name="secret-one", is_private=True)
    assert caught.value.response["needed"] == "groups:write"


def test_users_email_is_shown_only_with_users_read_email(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.yml"
    manifest.write_text("oauth_config:\n  scopes:\n    bot: [users:read]\n")
    sb = make_sandbox(manifest_path=manifest)
    alice = sb.add_user("alice", email="alice@example.com")
    profile = WebClient(token=sb.bot_token, base_url=sb.api_url).users_info(user=alice)["user"]["profile"]
    assert "email" not in profile


def test_users_and_usergroups_read_like_slack(sandbox: Sandbox, bot: WebClient, people: People) -> None:
    leads = sandbox.add_usergroup("support-leads", name="Support leads", users=[people.alice, people.bob])
    user = bot.users_info(user=people.alice)["user"]
    assert (user["name"], user["real_name"], user["tz"], user["profile"]["email"]) == (
        "alice",
        "Alice Ng",
        "Europe/Berlin",
        "alice@example.com",
    )
    assert bot.users_lookupByEmail(email="BOB@example.com")["user"]["id"] == people.bob
    groups = bot.usergroups_list(include_users=True)["usergroups"]
    assert groups[0]["handle"] == "support-leads" and groups[0]["users"] == [people.alice, people.bob]
    assert bot.usergroups_users_list(usergroup=leads)["users"] == [people.alice, people.bob]
    checks: list[tuple[Callable[[], object], str]] = [
        (lambda: bot.users_info(user="U404"), "user_not_found"),
        (lambda: bot.users_lookupByEmail(email="nobody@example.com"), "users_not_found"),
        (lambda: bot.usergroups_users_list(usergroup="S404"), "no_such_subteam"),
    ]
    for call, code in checks:
        with pytest.raises(SlackApiError) as caught:
            call()
        assert caught.value.response["error"] == code


def test_team_info_describes_the_workspace(sandbox: Sandbox, bot: WebClient) -> None:
    team = bot.team_info()["team"]
    assert (team["id"], team["domain"]) == (sandbox.team_id, "sandbox")


def test_the_call_log_records_method_arguments_token_kind_status_and_answer(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    bot.users_info(user=people.alice)
    WebClient(token=sandbox.token_of(people.bob), base_url=sandbox.api_url).auth_test()
    bot_call, human_call = sandbox.calls()[-2:]
    assert bot_call["method"] == "users.info" and bot_call["args"] == {"user": people.alice}
    assert (bot_call["token_kind"], bot_call["status"], bot_call["response"]["ok"]) == ("bot", 200, True)
    assert (human_call["token_kind"], human_call["user"]) == ("user", people.bob)
    assert sandbox.calls("users.info") == [bot_call]
