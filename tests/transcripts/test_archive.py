"""TranscriptArchive against the Slack sandbox through the real gateway, on SQLite and Postgres."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.errors import SlackCallFailed
from bot.sandbox import FaultConfig, MethodLimit, RateLimitConfig, Sandbox
from bot.transcripts import transcript_record, transcript_text
from storage.db import SessionFactory
from storage.models import Transcript, TranscriptMessage
from tests.transcripts.channel import CARD, GHOST, NOT_A_CARD, ORDER_NUMBER, SLACK_LIMIT, seed_swarm_channel
from tests.transcripts.stopping import StoppingGateway, run_until_stopped

PAGE = 20
READS = ("conversations.history", "conversations.replies")


async def record_of(sessions: SessionFactory, swarm_id: int) -> dict[str, Any]:
    async with sessions() as session:
        record = await transcript_record(session, swarm_id)
    assert record is not None, "the transcript should be stored"
    return record


async def text_of(sessions: SessionFactory, swarm_id: int, fmt: str) -> str:
    async with sessions() as session:
        return "".join([part async for part in transcript_text(session, swarm_id, fmt)])  # type: ignore[arg-type]


async def stored_rows(sessions: SessionFactory, swarm_id: int) -> list[str]:
    async with sessions() as session:
        return list(
            await session.scalars(select(TranscriptMessage.ts).where(TranscriptMessage.swarm_id == swarm_id))
        )


def calls(sandbox: Sandbox, method: str, status: int | None = 200) -> int:
    return sum(1 for c in sandbox.calls(method) if status is None or c["status"] == status)


async def test_every_message_and_reply_is_stored_once_in_conversation_order_and_redacted(
    sandbox, sessions, swarm_id, make_archive
):
    channel = await seed_swarm_channel(sandbox)
    summary = await make_archive(page_size=PAGE).collect(swarm_id, channel.id)

    record = await record_of(sessions, swarm_id)
    messages = record["messages"]
    by_ts = {m["ts"]: m for m in messages}
    expected = channel.expected_order(sandbox)
    assert [m["ts"] for m in messages] == expected
    assert len(by_ts) == len(messages) == summary.message_count == record["message_count"]
    assert summary.markdown_parts >= 1 and summary.html_parts >= 1

    marks, people = channel.marks, channel.people
    # Card numbers are gone wherever they were; what only looks like one stays.
    assert CARD not in str(messages) and CARD.replace(" ", "-") not in str(messages)
    assert by_ts[marks["card"]]["text"] == "They pasted their card [card redacted] in the ticket, careful"
    assert by_ts[marks["reply_card"]]["text"] == "reply with card [card redacted]"
    assert ORDER_NUMBER in by_ts[marks["kept"]]["text"] and NOT_A_CARD in by_ts[marks["kept"]]["text"]
    assert summary.redactions == record["redactions"] == 2
    # Names resolved, mentions too; entities decoded; links listed.
    assert by_ts[marks["first"]]["user_name"] == "Alice Example"
    assert by_ts[marks["mention"]]["text"] == "@Bob Example can you check the auth logs? <3"
    assert by_ts[marks["link"]]["text"] == (
        "See the status page (https://status.example.com/incidents/42) and https://ex.am/ple"
    )
    assert by_ts[marks["link"]]["links"] == ["https://status.example.com/incidents/42", "https://ex.am/ple"]
    assert by_ts[marks["file"]]["files"] == [
        {"name": "login.har", "permalink": "https://sandbox.slack.com/files/U0/F0HAR0001/login.har"},
        {"name": "F0GONE001 (tombstone)", "permalink": None},
    ]
    # Bots marked, strangers kept by id, edits as last seen, tombstones and system messages as found.
    assert by_ts[marks["bot"]]["is_bot"] and by_ts[marks["bot"]]["user"] == sandbox.bot_user_id
    assert not by_ts[marks["first"]]["is_bot"]
    assert by_ts[marks["ghost"]]["user"] == GHOST and by_ts[marks["ghost"]]["user_name"] is None
    assert by_ts[marks["edited"]]["text"] == "Root cause: expired SAML certificate"
    assert by_ts[marks["edited"]]["edited"]
    assert by_ts[marks["deleted_parent"]]["subtype"] == "tombstone"
    assert by_ts[marks["broadcast"]]["subtype"] == "thread_broadcast"
    assert by_ts[marks["broadcast"]]["thread_ts"] == marks["small_thread"]
    assert {"channel_join", "channel_topic"} <= {m["subtype"] for m in messages}
    assert len(by_ts[marks["long"]]["text"]) == SLACK_LIMIT
    # One users.info per person: alice, bob, carol, dave, the stranger; the bot named itself.
    looked_up = Counter(c["args"]["user"] for c in sandbox.calls("users.info"))
    assert set(looked_up) == {*people.values(), GHOST} and set(looked_up.values()) == {1}


async def test_history_and_replies_calls_are_the_minimum_for_the_page_size(
    sandbox, sessions, swarm_id, make_archive
):
    channel = await seed_swarm_channel(sandbox)
    history, replies = channel.minimum_calls(sandbox, PAGE)
    assert history > 3 and replies == 3 + 1 + 1  # 45 replies in pages of 20, and two small threads

    await make_archive(page_size=PAGE).collect(swarm_id, channel.id)

    assert calls(sandbox, "conversations.history", None) == history
    assert calls(sandbox, "conversations.replies", None) == replies


async def test_a_stored_transcript_is_not_collected_again(sandbox, sessions, swarm_id, make_archive):
    channel = await seed_swarm_channel(sandbox, top_level=30)
    first = await make_archive(page_size=PAGE).collect(swarm_id, channel.id)
    before = len(sandbox.calls())
    again = await make_archive(page_size=PAGE).collect(swarm_id, channel.id)
    assert again == first and len(sandbox.calls()) == before


async def test_both_renderings_hold_every_message_and_html_is_escaped(
    sandbox, sessions, swarm_id, make_archive
):
    channel = await seed_swarm_channel(sandbox)
    await make_archive(page_size=PAGE).collect(swarm_id, channel.id)
    record = await record_of(sessions, swarm_id)
    markdown = await text_of(sessions, swarm_id, "markdown")
    html = await text_of(sessions, swarm_id, "html")

    assert markdown.startswith("# Transcript of #esc-zd-4521-login")
    assert "Ticket ZD-4521" in markdown and f"{record['message_count']} messages" in markdown
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for message in record["messages"]:
        anchor = message["ts"].replace(".", "-")
        assert html.count(f'id="m-{anchor}"') == 1
    # Both keep the conversation order: chatter 0 … chatter N appear in sequence.
    chatter = [m["text"] for m in record["messages"] if m["text"].startswith("chatter ")]
    positions = [markdown.index(f"{text}\n") for text in chatter]
    assert positions == sorted(positions)
    # Nothing a person typed becomes markup.
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" not in markdown and "](javascript:" not in markdown
    assert 'href="javascript:' not in html
    assert CARD not in markdown and CARD not in html
    assert "> **Bob Example**" in markdown  # replies are quoted under their parent
    assert '<a href="https://sandbox.slack.com/files/U0/F0HAR0001/login.har"' in html


async def test_the_record_is_none_until_the_transcript_is_stored(sandbox, sessions, swarm_id, make_archive):
    async with sessions() as session:
        assert await transcript_record(session, swarm_id) is None
        assert [part async for part in transcript_text(session, swarm_id, "markdown")] == []
    channel = sandbox.add_channel("quiet")
    summary = await make_archive().collect(swarm_id, channel)
    assert summary.message_count == 0
    record = await record_of(sessions, swarm_id)
    assert record["messages"] == [] and record["message_count"] == 0
    assert "0 messages" in await text_of(sessions, swarm_id, "markdown")


async def test_rate_limited_reads_are_waited_out_and_the_transcript_completes(
    sandbox, sessions, swarm_id, make_archive
):
    channel = await seed_swarm_channel(sandbox, top_level=45)
    sandbox.set_rate_limits(
        RateLimitConfig(
            enabled=True,
            overrides={
                "conversations.history": MethodLimit(per_minute=240, burst=2),
                "conversations.replies": MethodLimit(per_minute=240, burst=2),
            },
        )
    )
    await make_archive(page_size=PAGE).collect(swarm_id, channel.id)

    assert any(c["status"] == 429 for method in READS for c in sandbox.calls(method))
    assert [m["ts"] for m in (await record_of(sessions, swarm_id))["messages"]] == channel.expected_order(
        sandbox
    )
    history, replies = channel.minimum_calls(sandbox, PAGE)
    assert calls(sandbox, "conversations.history") == history
    assert calls(sandbox, "conversations.replies") == replies


async def test_server_errors_that_outlast_the_retries_leave_progress_and_a_later_run_completes(
    sandbox, sessions, swarm_id, make_archive
):
    channel = await seed_swarm_channel(sandbox)
    expected = channel.expected_order(sandbox)
    # Every read fails half the time: the gateway retries 5xx three times, `internal_error` never.
    sandbox.set_faults(FaultConfig(seed=11, error_rate=0.5, methods=frozenset(READS)))
    failures = 0
    for _ in range(60):
        try:
            await make_archive(page_size=PAGE).collect(swarm_id, channel.id)
            break
        except SlackCallFailed:
            failures += 1
            rows = await stored_rows(sessions, swarm_id)
            assert len(rows) == len(set(rows))  # never a duplicate, whenever it stopped
    else:
        pytest.fail("the transcript never completed")
    assert failures > 0, "the seed should have made some runs fail"
    assert any(c["status"] >= 500 for method in READS for c in sandbox.calls(method))
    assert [m["ts"] for m in (await record_of(sessions, swarm_id))["messages"]] == expected


@pytest.mark.parametrize(
    "stops",
    [
        [("conversations.history", 3)],  # killed between history pages
        [("conversations.replies", 2)],  # killed inside the 45-reply thread
        [("conversations.replies", 2), ("conversations.replies", 2), ("conversations.history", 1)],
    ],
    ids=["between-pages", "inside-a-thread", "killed-three-times"],
)
async def test_a_run_killed_part_way_resumes_where_it_stopped_without_duplicates(
    sandbox, sessions, swarm_id, make_archive, stops
):
    channel = await seed_swarm_channel(sandbox)
    expected = channel.expected_order(sandbox)
    history, replies = channel.minimum_calls(sandbox, PAGE)
    for method, call in stops:
        gateway = StoppingGateway(sandbox, method=method, call=call)
        await run_until_stopped(make_archive(page_size=PAGE, via=gateway), gateway, swarm_id, channel.id)
        rows = await stored_rows(sessions, swarm_id)
        assert len(rows) == len(set(rows)) and len(rows) < len(expected)

    await make_archive(page_size=PAGE).collect(swarm_id, channel.id)

    record = await record_of(sessions, swarm_id)
    assert [m["ts"] for m in record["messages"]] == expected
    assert record["message_count"] == len(expected)
    # Each kill costs at most the page it was on: the run after it starts there, not at the top.
    assert calls(sandbox, "conversations.history", None) <= history + len(stops)
    assert calls(sandbox, "conversations.replies", None) <= replies + len(stops)
    async with sessions() as session:
        transcript = await session.scalar(select(Transcript).where(Transcript.swarm_id == swarm_id))
        assert transcript is not None and transcript.state == "stored" and transcript.threads_done == []
        assert await session.scalar(select(func.count()).select_from(TranscriptMessage)) == len(expected)


async def test_a_thread_stopped_part_way_resumes_after_its_last_stored_reply(
    sandbox, sessions, swarm_id, make_archive
):
    channel = await seed_swarm_channel(sandbox, top_level=30)
    # Threads are read newest first: the short one, the deleted parent's, then the 45 replies in pages of
    # 20. Slack fails that thread's third page, after two pages (40 replies) were stored.
    gateway = StoppingGateway(sandbox, method="conversations.replies", call=5, fail=True)
    await run_until_stopped(make_archive(page_size=PAGE, via=gateway), gateway, swarm_id, channel.id)
    done = len(sandbox.calls("conversations.replies"))

    await make_archive(page_size=PAGE).collect(swarm_id, channel.id)

    resumed = sandbox.calls("conversations.replies")[done:]
    assert resumed[0]["args"]["ts"] == channel.marks["big_thread"]
    assert resumed[0]["args"].get("oldest"), "the thread should resume after its newest stored reply"
    assert len(resumed) == 1  # the last five replies in one page; the other threads were done
    record = await record_of(sessions, swarm_id)
    assert [m["ts"] for m in record["messages"]] == channel.expected_order(sandbox)


async def test_odd_messages_are_stored_as_found_and_never_crash(sandbox, sessions, swarm_id, make_archive):
    alice = sandbox.add_user("alice", real_name="Alice Example")
    gone = sandbox.add_user("gone", real_name="Former Employee")
    channel = sandbox.add_channel("odd", members=[alice])
    integration = sandbox.add_message(channel, alice, "")
    attachments_only = sandbox.add_message(channel, alice, "")
    junk_files = sandbox.add_message(channel, alice, "files?")
    brackets = sandbox.add_message(channel, gone, "a &lt; b &gt; c <not closed and <@U0NOBODY|someone>")
    thread = sandbox.add_message(channel, alice, "thread")
    ghost_reply = sandbox.add_message(channel, GHOST, "boo", thread_ts=thread)
    with sandbox.ws.lock:
        messages = sandbox.ws.channels[channel].messages
        sandbox.ws.users[gone].deleted = True
        messages[integration].user = ""  # an integration posts as a bot id, with no user
        messages[integration].extra.update(
            subtype="bot_message",
            bot_id="B0DEPLOY1",
            username="Deploy bot",
            attachments=[{"fallback": "Deploy 42 finished"}],
        )
        messages[attachments_only].extra["attachments"] = [{"title": "Runbook"}, "junk", {}]
        messages[junk_files].extra["files"] = ["junk", {"id": "F1", "mode": "hidden_by_limit"}, None]

    await make_archive().collect(swarm_id, channel)

    by_ts = {m["ts"]: m for m in (await record_of(sessions, swarm_id))["messages"]}
    assert by_ts[integration] | {"ts": None} == by_ts[integration] | {
        "ts": None,
        "user": "B0DEPLOY1",
        "user_name": "Deploy bot",
        "is_bot": True,
        "subtype": "bot_message",
        "text": "Deploy 42 finished",
    }
    assert by_ts[attachments_only]["text"] == "Runbook"
    assert by_ts[junk_files]["files"] == [{"name": "F1 (hidden_by_limit)", "permalink": None}]
    assert by_ts[brackets]["text"] == "a < b > c <not closed and @someone"
    assert by_ts[brackets]["user_name"] == "Former Employee"  # deleted people keep the name Slack still has
    assert by_ts[ghost_reply]["user"] == GHOST and by_ts[ghost_reply]["user_name"] is None
    html = await text_of(sessions, swarm_id, "html")
    assert "Deploy bot" in html and "a &lt; b &gt; c &lt;not closed" in html


async def test_a_cursor_slack_no_longer_accepts_restarts_from_the_top_without_duplicates(
    sandbox, sessions, swarm_id, make_archive
):
    channel = await seed_swarm_channel(sandbox, top_level=45)
    gateway = StoppingGateway(sandbox, method="conversations.history", call=2)
    await run_until_stopped(make_archive(page_size=PAGE, via=gateway), gateway, swarm_id, channel.id)
    async with sessions() as session, session.begin():
        transcript = await session.scalar(select(Transcript).where(Transcript.swarm_id == swarm_id))
        assert transcript is not None and transcript.history_cursor
        transcript.history_cursor = "bm90IGEgY3Vyc29y"  # days later, a cursor Slack refuses

    await make_archive(page_size=PAGE).collect(swarm_id, channel.id)

    refused = [c for c in sandbox.calls("conversations.history") if c["response"].get("error")]
    assert [c["response"]["error"] for c in refused] == ["invalid_cursor"]
    record = await record_of(sessions, swarm_id)
    assert [m["ts"] for m in record["messages"]] == channel.expected_order(sandbox)
