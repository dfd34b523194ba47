"""Every Web API method the sandbox serves answers ok through slack-sdk's sync and async clients."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import Sandbox
from bot.sandbox.methods import REGISTRY

from .conftest import People

SECTION = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Escalate"}, "blocks": SECTION}
HOME = {"type": "home", "blocks": SECTION}


def calls(
    sb: Sandbox, p: People, ch: str, ts: str, reply: str, view_id: str
) -> list[tuple[str, dict[str, Any]]]:
    """(method, arguments) covering every registered method, in an order that keeps state valid."""
    return [
        ("auth.test", {}),
        ("team.info", {}),
        ("users.info", {"user": p.alice}),
        ("users.list", {"limit": 2}),
        ("users.lookupByEmail", {"email": "bob@example.com"}),
        ("usergroups.list", {"include_users": True}),
        ("usergroups.users.list", {"usergroup": next(iter(sb.ws.usergroups), "S")}),
        ("conversations.info", {"channel": ch}),
        ("conversations.list", {"types": "public_channel,private_channel"}),
        ("conversations.members", {"channel": ch}),
        ("conversations.open", {"users": p.alice}),
        ("conversations.setTopic", {"channel": ch, "topic": "Customer cannot log in"}),
        ("conversations.setPurpose", {"channel": ch, "purpose": "Swarm for ZD-1"}),
        ("conversations.history", {"channel": ch}),
        ("conversations.replies", {"channel": ch, "ts": ts}),
        ("chat.getPermalink", {"channel": ch, "message_ts": reply}),
        ("chat.postEphemeral", {"channel": ch, "user": p.alice, "text": "only you"}),
        ("chat.scheduleMessage", {"channel": ch, "text": "later", "post_at": int(sb.config.clock()) + 600}),
        ("chat.scheduledMessages.list", {}),
        ("reactions.add", {"channel": ch, "timestamp": ts, "name": "eyes"}),
        ("reactions.get", {"channel": ch, "timestamp": ts}),
        ("reactions.remove", {"channel": ch, "timestamp": ts, "name": "eyes"}),
        ("pins.add", {"channel": ch, "timestamp": ts}),
        ("pins.list", {"channel": ch}),
        ("pins.remove", {"channel": ch, "timestamp": ts}),
        (
            "bookmarks.add",
            {"channel_id": ch, "title": "Ticket", "type": "link", "link": "https://example.com/ZD-1"},
        ),
        ("bookmarks.list", {"channel_id": ch}),
        ("views.publish", {"user_id": p.alice, "view": HOME}),
        ("views.update", {"view_id": view_id, "view": MODAL}),
        ("chat.update", {"channel": ch, "ts": ts, "text": "edited"}),
        ("chat.delete", {"channel": ch, "ts": reply}),
    ]


def _setup(sb: Sandbox, client: WebClient, p: People, name: str) -> tuple[str, str, str, str]:
    sb.add_usergroup("support-leads", users=[p.alice])
    ch = client.conversations_create(name=name)["channel"]["id"]
    client.conversations_invite(channel=ch, users=f"{p.alice},{p.bob}")
    ts = client.chat_postMessage(channel=ch, text="ZD-1 opened")["ts"]
    reply = client.chat_postMessage(channel=ch, text="looking", thread_ts=ts)["ts"]
    trigger = sb.register_trigger(p.alice)
    view_id = client.views_open(trigger_id=trigger, view=MODAL)["view"]["id"]
    return ch, ts, reply, view_id


def test_every_registered_method_is_exercised_by_this_table(sandbox: Sandbox, people: People) -> None:
    setup_methods = {"conversations.create", "conversations.invite", "chat.postMessage", "views.open"}
    later = {
        "views.push",
        "conversations.join",
        "conversations.archive",
        "conversations.unarchive",
        "bookmarks.remove",
        "chat.deleteScheduledMessage",
        "apps.connections.open",  # takes the app-level token, not the bot's
    }
    table = {m for m, _ in calls(sandbox, people, "C", "1.0", "1.0", "V")}
    assert set(REGISTRY) == table | setup_methods | later


def test_every_method_answers_ok_through_the_sync_web_client(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    ch, ts, reply, view_id = _setup(sandbox, bot, people, "esc-sync")
    for method, args in calls(sandbox, people, ch, ts, reply, view_id):
        response = (
            bot.api_call(method, json=args)
            if method.startswith("views.")
            else bot.api_call(method, params=args)
        )
        assert response["ok"], (method, response.data)
    push_trigger = sandbox.register_trigger(people.alice)
    assert bot.views_push(trigger_id=push_trigger, view=MODAL)["ok"]
    public = bot.conversations_create(name="esc-sync-public")["channel"]["id"]
    assert bot.conversations_archive(channel=public)["ok"]
    assert bot.conversations_unarchive(channel=public)["ok"]
    bookmark = bot.bookmarks_add(channel_id=public, title="t", type="link", link="https://example.com")[
        "bookmark"
    ]
    assert bot.bookmarks_remove(channel_id=public, bookmark_id=bookmark["id"])["ok"]
    scheduled = bot.chat_scheduleMessage(channel=public, text="x", post_at=int(sandbox.config.clock()) + 60)
    assert bot.chat_deleteScheduledMessage(
        channel=public, scheduled_message_id=scheduled["scheduled_message_id"]
    )["ok"]
    alice = WebClient(token=sandbox.token_of(people.alice), base_url=sandbox.api_url)
    assert alice.conversations_join(channel=public)["ok"]
    assert WebClient(base_url=sandbox.api_url).apps_connections_open(app_token=sandbox.app_token)["ok"]


async def test_every_method_answers_ok_through_the_async_web_client(sandbox: Sandbox, people: People) -> None:
    sync_bot = WebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    ch, ts, reply, view_id = _setup(sandbox, sync_bot, people, "esc-async")
    client = AsyncWebClient(token=sandbox.bot_token, base_url=sandbox.api_url)
    for method, args in calls(sandbox, people, ch, ts, reply, view_id):
        if method.startswith("views."):
            response = await client.api_call(method, json=args)
        else:
            response = await client.api_call(method, params=args)
        assert response["ok"], (method, response.data)
    assert (await client.views_push(trigger_id=sandbox.register_trigger(people.alice), view=MODAL))["ok"]
    public = (await client.conversations_create(name="esc-async-public"))["channel"]["id"]
    assert (await client.conversations_archive(channel=public))["ok"]
    assert (await client.conversations_unarchive(channel=public))["ok"]
