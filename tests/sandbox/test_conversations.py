"""Channels: Slack's naming rules, membership, visibility, topic and purpose, archiving."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import Sandbox

from .conftest import People


def error_of(call: Callable[[], object]) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Esc-ZD-1", "invalid_name_specials"),
        ("esc zd", "invalid_name_specials"),
        ("esc.zd", "invalid_name_specials"),
        ("---", "invalid_name_punctuation"),
    ],
)
def test_channel_names_follow_slacks_rules(bot: WebClient, name: str, code: str) -> None:
    assert error_of(lambda: bot.conversations_create(name=name)) == code


def test_a_name_of_80_lowercase_characters_is_accepted_and_a_taken_name_is_refused(bot: WebClient) -> None:
    name = "esc-" + "a" * 76
    assert bot.conversations_create(name=name)["channel"]["name"] == name
    assert error_of(lambda: bot.conversations_create(name=name)) == "name_taken"


def test_an_archived_channel_keeps_its_name_taken(bot: WebClient) -> None:
    channel = bot.conversations_create(name="esc-zd-1")["channel"]["id"]
    bot.conversations_archive(channel=channel)
    assert error_of(lambda: bot.conversations_create(name="esc-zd-1")) == "name_taken"


def test_the_creator_is_the_first_member_and_sees_is_member(sandbox: Sandbox, bot: WebClient) -> None:
    channel = bot.conversations_create(name="esc-zd-2")["channel"]
    assert channel["is_member"] is True and channel["creator"] == sandbox.bot_user_id
    assert sandbox.members(channel["id"]) == [sandbox.bot_user_id]


def test_invite_is_all_or_nothing_and_lists_each_failure(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    channel = bot.conversations_create(name="esc-invite")["channel"]["id"]
    bot.conversations_invite(channel=channel, users=people.bob)
    with pytest.raises(SlackApiError) as caught:
        bot.conversations_invite(
            channel=channel, users=f"{people.alice},U404,{people.bob},{sandbox.bot_user_id}"
        )
    answer = caught.value.response
    assert answer["error"] == "user_not_found"
    assert [(e["user"], e["error"]) for e in answer["errors"]] == [
        ("U404", "user_not_found"),
        (people.bob, "already_in_channel"),
        (sandbox.bot_user_id, "cant_invite_self"),
    ]
    assert people.alice not in sandbox.members(channel)


def test_invite_with_force_adds_the_valid_users_and_reports_the_rest(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    channel = bot.conversations_create(name="esc-force")["channel"]["id"]
    answer = bot.conversations_invite(channel=channel, users=f"{people.alice},U404", force=True)
    assert answer["errors"] == [{"user": "U404", "ok": False, "error": "user_not_found"}]
    assert sandbox.members(channel) == [sandbox.bot_user_id, people.alice]


@pytest.mark.parametrize(
    ("users", "code"),
    [("", "no_user"), ("self", "cant_invite_self"), ("member", "already_in_channel")],
)
def test_single_invite_errors(
    sandbox: Sandbox, bot: WebClient, people: People, users: str, code: str
) -> None:
    channel = bot.conversations_create(name="esc-single")["channel"]["id"]
    bot.conversations_invite(channel=channel, users=people.alice)
    value = {"": "", "self": sandbox.bot_user_id, "member": people.alice}[users]
    assert error_of(lambda: bot.conversations_invite(channel=channel, users=value)) == code


def test_invite_batches_are_capped(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox(invite_batch_limit=3)
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    users = [sb.add_user(f"p{i}") for i in range(4)]
    channel = client.conversations_create(name="esc-batch")["channel"]["id"]
    assert (
        error_of(lambda: client.conversations_invite(channel=channel, users=",".join(users)))
        == "too_many_users"
    )
    assert client.conversations_invite(channel=channel, users=",".join(users[:3]))["ok"]


def test_a_non_member_cannot_invite_and_an_outsider_cannot_see_a_private_channel(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    public = sandbox.add_channel("lobby", created_by=people.alice)
    secret = sandbox.add_channel("secret", created_by=people.alice, is_private=True)
    assert error_of(lambda: bot.conversations_invite(channel=public, users=people.bob)) == "not_in_channel"
    assert error_of(lambda: bot.conversations_info(channel=secret)) == "channel_not_found"
    assert error_of(lambda: bot.conversations_history(channel=secret)) == "channel_not_found"
    assert error_of(lambda: bot.chat_postMessage(channel=secret, text="hi")) == "channel_not_found"
    assert error_of(lambda: bot.conversations_info(channel="C404")) == "channel_not_found"
    names = [c["name"] for c in bot.conversations_list(types="public_channel,private_channel")["channels"]]
    assert "lobby" in names and "secret" not in names


def test_join_works_on_public_channels_only_and_is_idempotent(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    public = sandbox.add_channel("lobby", created_by=people.alice)
    secret = sandbox.add_channel(
        "secret", created_by=people.alice, is_private=True, members=[sandbox.bot_user_id]
    )
    assert bot.conversations_join(channel=public)["channel"]["is_member"] is True
    assert bot.conversations_join(channel=public)["warning"] == "already_in_channel"
    assert error_of(lambda: bot.conversations_join(channel=secret)) == "method_not_supported_for_channel_type"


def test_topic_and_purpose_are_set_by_members_up_to_250_characters(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    channel = bot.conversations_create(name="esc-topic")["channel"]["id"]
    assert (
        bot.conversations_setTopic(channel=channel, topic="t" * 250)["channel"]["topic"]["value"] == "t" * 250
    )
    assert error_of(lambda: bot.conversations_setTopic(channel=channel, topic="t" * 251)) == "too_long"
    assert bot.conversations_setPurpose(channel=channel, purpose="p")["channel"]["purpose"]["value"] == "p"
    assert error_of(lambda: bot.conversations_setPurpose(channel=channel, purpose="p" * 251)) == "too_long"
    lobby = sandbox.add_channel("lobby", created_by=people.alice)
    assert error_of(lambda: bot.conversations_setTopic(channel=lobby, topic="x")) == "not_in_channel"
    subtypes = [m.get("subtype") for m in sandbox.messages(channel)]
    assert subtypes == ["channel_join", "channel_topic", "channel_purpose"]


def test_archived_channels_refuse_posts_invites_and_topics_until_unarchived(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    channel = bot.conversations_create(name="esc-archive")["channel"]["id"]
    bot.conversations_archive(channel=channel)
    assert sandbox.channel(channel)["is_archived"] is True  # type: ignore[index]
    assert error_of(lambda: bot.chat_postMessage(channel=channel, text="x")) == "is_archived"
    assert error_of(lambda: bot.conversations_invite(channel=channel, users=people.alice)) == "is_archived"
    assert error_of(lambda: bot.conversations_setTopic(channel=channel, topic="x")) == "is_archived"
    assert error_of(lambda: bot.conversations_archive(channel=channel)) == "already_archived"
    bot.conversations_unarchive(channel=channel)
    assert error_of(lambda: bot.conversations_unarchive(channel=channel)) == "not_archived"
    assert bot.chat_postMessage(channel=channel, text="back")["ok"]


def test_general_cannot_be_archived(sandbox: Sandbox, bot: WebClient) -> None:
    general = sandbox.channel_by_name("general")
    assert general is not None
    bot.conversations_join(channel=general["id"])
    assert error_of(lambda: bot.conversations_archive(channel=general["id"])) == "cant_archive_general"


def test_open_finds_or_creates_the_dm_with_a_user(sandbox: Sandbox, bot: WebClient, people: People) -> None:
    first = bot.conversations_open(users=people.alice)
    again = bot.conversations_open(users=people.alice, return_im=True)
    assert first["channel"]["id"] == again["channel"]["id"] and again["already_open"] is True
    assert again["channel"]["is_im"] is True and again["channel"]["user"] == people.alice
    assert error_of(lambda: bot.api_call("conversations.open")) == "users_list_not_supplied"
    assert error_of(lambda: bot.conversations_open(users="U404")) == "user_not_found"


def test_info_counts_members_when_asked(bot: WebClient, people: People) -> None:
    channel = bot.conversations_create(name="esc-count")["channel"]["id"]
    bot.conversations_invite(channel=channel, users=f"{people.alice},{people.bob}")
    assert bot.conversations_info(channel=channel, include_num_members=True)["channel"]["num_members"] == 3


def test_invite_batches_default_to_at_most_100_users(sandbox: Sandbox, bot: WebClient) -> None:
    users = [sandbox.add_user(f"person{i:03d}") for i in range(101)]
    channel = bot.conversations_create(name="esc-crowd")["channel"]["id"]
    assert (
        error_of(lambda: bot.conversations_invite(channel=channel, users=",".join(users))) == "too_many_users"
    )
    assert bot.conversations_invite(channel=channel, users=",".join(users[:100]))["ok"]
    assert len(sandbox.members(channel)) == 101
