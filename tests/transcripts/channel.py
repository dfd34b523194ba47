"""A swarm channel with everything a transcript must survive, seeded in the sandbox, and what to expect."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bot.sandbox import Sandbox

CARD = "4111 1111 1111 1111"  # Visa's test number: passes Luhn
NOT_A_CARD = "4111 1111 1111 1112"  # one digit off: fails Luhn, stays
ORDER_NUMBER = "12345678901234567890"  # 20 digits: no card, stays
SLACK_LIMIT = 40_000  # chat.postMessage truncates text beyond 40,000 characters
GHOST = "U0GHOST01"  # a user id Slack does not know


@dataclass
class SeededChannel:
    """The channel id, its people, and the facts tests check against."""

    id: str
    people: dict[str, str]
    marks: dict[str, str] = field(default_factory=dict)  # label → ts of notable messages

    def expected_order(self, sandbox: Sandbox) -> list[str]:
        """Every ts in conversation order: top-level oldest first, each thread's replies after its parent.

        A reply also sent to the channel is listed once, in its thread.
        """
        order: list[str] = []
        for message in sandbox.messages(self.id):
            if message.get("subtype") == "thread_broadcast":
                continue
            order.append(message["ts"])
            order.extend(reply["ts"] for reply in message.get("replies", []))
        return order

    def minimum_calls(self, sandbox: Sandbox, page_size: int) -> tuple[int, int]:
        """(conversations.history, conversations.replies) calls no reader can do without at `page_size`."""
        top = sandbox.messages(self.id)
        history = max(1, math.ceil(len(top) / page_size))
        replies = sum(max(1, math.ceil(len(m["replies"]) / page_size)) for m in top if m.get("replies"))
        return history, replies


async def seed_swarm_channel(sandbox: Sandbox, *, top_level: int = 70) -> SeededChannel:
    """A channel with more than three pages of 20, threads of several pages, an edit, deletions, a file,
    a bot, a stranger, system messages, a message at Slack's size limit, a card number and some HTML."""
    sb = sandbox
    people = {
        name: sb.add_user(name, real_name=f"{name.title()} Example") for name in ("alice", "bob", "carol")
    }
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    channel = sb.add_channel("esc-zd-4521-login", members=list(people.values()))
    seeded = SeededChannel(id=channel, people=people)
    marks = seeded.marks

    marks["first"] = sb.add_message(channel, alice, "Customer Acme cannot log in since 09:12 UTC")
    marks["card"] = sb.add_message(channel, bob, f"They pasted their card {CARD} in the ticket, careful")
    marks["kept"] = sb.add_message(
        channel, alice, f"Order {ORDER_NUMBER}, ref {NOT_A_CARD}, at 1732280000.000100"
    )
    marks["link"] = sb.add_message(
        channel,
        carol,
        "See <https://status.example.com/incidents/42|the status page> and <https://ex.am/ple>",
    )
    marks["mention"] = sb.add_message(channel, alice, f"<@{bob}> can you check the auth logs? &lt;3")
    # Slack encodes what people type: <, > and & arrive as entities.
    marks["html"] = sb.add_message(
        channel, bob, "&lt;script&gt;alert('x')&lt;/script&gt; &amp; [x](javascript:alert(1))"
    )
    marks["file"] = sb.add_message(channel, carol, "Here is the HAR file")
    with sb.ws.lock:
        sb.ws.channels[channel].messages[marks["file"]].extra["files"] = [
            {
                "id": "F0HAR0001",
                "name": "login.har",
                "title": "login.har",
                "permalink": "https://sandbox.slack.com/files/U0/F0HAR0001/login.har",
            },
            {"id": "F0GONE001", "mode": "tombstone"},
        ]
    marks["bot"] = sb.add_message(channel, sb.bot_user_id, "Reminder: post a status update")
    marks["ghost"] = sb.add_message(channel, GHOST, "I am nobody the workspace knows")
    marks["long"] = sb.add_message(channel, alice, ("log line " * 5000)[: SLACK_LIMIT - 1] + "!")

    # A thread of 45 replies: three pages of 20.
    marks["big_thread"] = sb.add_message(channel, alice, "Thread: what we tried")
    for n in range(45):
        author = (alice, bob, carol)[n % 3]
        text = f"try {n}" if n != 7 else f"reply with card {CARD.replace(' ', '-')}"
        ts = sb.add_message(channel, author, text, thread_ts=marks["big_thread"])
        if n == 7:
            marks["reply_card"] = ts
    # A thread whose parent is deleted: Slack keeps a tombstone for the replies.
    marks["deleted_parent"] = sb.add_message(channel, bob, "this parent will be deleted")
    for n in range(2):
        sb.add_message(channel, carol, f"orphan reply {n}", thread_ts=marks["deleted_parent"])
    await sb.human(bob).delete(channel, marks["deleted_parent"])
    # A plain message deleted: gone from Slack, so gone from the transcript.
    gone = sb.add_message(channel, carol, "oops, wrong channel")
    await sb.human(carol).delete(channel, gone)
    # An edit, seen as last edited.
    marks["edited"] = sb.add_message(channel, alice, "Root cause: unknown")
    await sb.human(alice).edit(channel, marks["edited"], "Root cause: expired SAML certificate")
    # A reply also sent to the channel.
    marks["small_thread"] = sb.add_message(channel, carol, "Short thread")
    sb.add_message(channel, bob, "ack", thread_ts=marks["small_thread"])
    marks["broadcast"] = await sb.human(alice).post(
        channel, "Fixed, sending to channel too", thread_ts=marks["small_thread"], reply_broadcast=True
    )
    # System messages (channel_join, channel_topic) come through the Web API.
    dave = sb.add_user("dave", real_name="Dave Example")
    people["dave"] = dave
    await sb.human(alice).invite(channel, dave)
    await sb.human(alice).client.conversations_setTopic(channel=channel, topic="ZD-4521 login outage")

    seeded_top = len(sb.messages(channel))
    for n in range(max(0, top_level - seeded_top)):
        sb.add_message(channel, (alice, bob, carol)[n % 3], f"chatter {n}")
    return seeded
