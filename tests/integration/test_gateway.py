"""The Slack gateway against the sandbox: retries, limits and Slack's rules kept."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import CONNECTION_FAILED, SlackCallFailed
from bot.sandbox import FaultConfig, MethodLimit, RateLimitConfig, Sandbox, SandboxConfig
from bot.slack.client import build_client
from bot.slack.gateway import POST_ONCE_TRIES, SlackGateway


@pytest.fixture
def sandbox():
    with Sandbox(SandboxConfig()) as sb:
        yield sb


@pytest.fixture
def gateway(sandbox: Sandbox) -> SlackGateway:
    return SlackGateway(build_client(token=sandbox.bot_token, base_url=sandbox.api_url))


async def test_server_errors_are_retried_until_slack_answers(sandbox, gateway):
    sandbox.set_faults(FaultConfig(seed=7, error_rate=0.5, error_kinds=("http_503",)))
    created = [await gateway.create_channel(f"retry-{n}", is_private=False) for n in range(6)]
    assert len({channel.id for channel in created}) == 6
    failures = [c for c in sandbox.calls("conversations.create") if c["status"] == 503]
    assert failures, "the seed should have injected at least one 503"


async def test_rate_limited_calls_wait_for_retry_after_and_succeed(sandbox, gateway):
    sandbox.set_rate_limits(
        RateLimitConfig(
            enabled=True, overrides={"conversations.create": MethodLimit(per_minute=120, burst=1)}
        )
    )
    for n in range(3):
        await gateway.create_channel(f"limited-{n}", is_private=False)
    statuses = [c["status"] for c in sandbox.calls("conversations.create")]
    assert 429 in statuses and statuses.count(200) == 3


async def test_slack_errors_that_are_not_transient_surface_as_slack_call_failed(sandbox, gateway):
    with pytest.raises(SlackCallFailed) as raised:
        await gateway.set_topic("C404", "hello")
    assert raised.value.error == "channel_not_found"


async def test_topics_are_cut_to_slacks_250_characters(sandbox, gateway):
    channel = await gateway.create_channel("long-topic", is_private=False)
    await gateway.set_topic(channel.id, "x" * 400)
    assert len(sandbox.channel(channel.id)["topic"]["value"]) == 250


async def test_invites_skip_the_bot_and_people_already_there_and_batch_by_100(sandbox, gateway):
    people = [sandbox.add_user(f"person{n}") for n in range(150)]
    channel = await gateway.create_channel("big-swarm", is_private=False)
    failed = await gateway.invite(channel.id, [sandbox.bot_user_id, *people, people[0]])
    assert failed == []
    assert set(people) <= set(sandbox.members(channel.id))
    invites = sandbox.calls("conversations.invite")
    assert [len(c["args"]["users"].split(",")) for c in invites] == [100, 50]
    assert await gateway.invite(channel.id, [people[0]]) == []  # already there is not a failure


async def test_an_unknown_user_in_an_invite_is_reported_and_the_rest_are_invited(sandbox, gateway):
    alice = sandbox.add_user("alice")
    channel = await gateway.create_channel("mixed", is_private=False)
    assert await gateway.invite(channel.id, [alice, "U0NOBODY"]) == ["U0NOBODY"]
    assert alice in sandbox.members(channel.id)


async def test_messages_over_fifty_blocks_are_cut_with_a_note(sandbox, gateway):
    channel = await gateway.create_channel("many-blocks", is_private=False)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"item {n}"}} for n in range(60)]
    ts = await gateway.post_message(channel.id, text="many", blocks=blocks)
    posted = sandbox.message(channel.id, ts)
    assert len(posted["blocks"]) == 50
    assert "11 more blocks not shown" in str(posted["blocks"][-1])


async def test_a_taken_name_gets_the_next_free_suffix(sandbox, gateway):
    owner = sandbox.add_user("owner")
    sandbox.add_channel("esc-zd-1", created_by=owner)
    sandbox.add_channel("esc-zd-1-2", created_by=owner)
    created = await gateway.create_channel("esc-zd-1", is_private=False)
    assert created.name == "esc-zd-1-3"


class LosesAnswers(SlackGateway):
    """Slack posts, then the answer is lost on the way back, for the first `lost` posts."""

    def __init__(self, sandbox: Sandbox, *, lost: int, posts: bool = True) -> None:
        super().__init__(build_client(token=sandbox.bot_token, base_url=sandbox.api_url))
        self.lost = lost
        self.posts = posts

    async def post_message_at_most_once(self, channel: str, **arguments: Any) -> str:
        if self.lost:
            self.lost -= 1
            if self.posts:
                await super().post_message_at_most_once(channel, **arguments)
            raise SlackCallFailed("chat.postMessage", f"{CONNECTION_FAILED} (ServerDisconnectedError)")
        return await super().post_message_at_most_once(channel, **arguments)


TAG = {"event_type": "swarmbot_test", "payload": {"swarm_id": 7, "part": "survey"}}


def tagged(sandbox: Sandbox, channel: str) -> list[str]:
    return [
        m["ts"]
        for m in sandbox.messages(channel, system=False)
        if m.get("metadata", {}).get("event_type") == "swarmbot_test"
    ]


async def test_a_tagged_post_tried_again_is_answered_by_the_message_already_there(sandbox, gateway):
    channel = (await gateway.create_channel("once", is_private=False)).id
    first = await gateway.post_once(channel, text="How did we do?", again=False, **TAG)
    again = await gateway.post_once(channel, text="How did we do?", again=True, **TAG)
    other = await gateway.post_once(
        channel, text="Other", again=True, event_type="swarmbot_test", payload={"swarm_id": 7, "part": "x"}
    )
    assert again == first and other != first
    assert tagged(sandbox, channel) == [first, other]


async def test_a_tagged_post_whose_answer_was_lost_is_found_not_posted_twice(sandbox):
    gateway = LosesAnswers(sandbox, lost=1)
    channel = (await gateway.create_channel("lost", is_private=False)).id
    ts = await gateway.post_once(channel, text="How did we do?", again=False, **TAG)
    assert tagged(sandbox, channel) == [ts]


async def test_a_tagged_post_slack_failed_is_posted_on_a_later_try_and_given_up_after_four(sandbox):
    gateway = LosesAnswers(sandbox, lost=2, posts=False)
    channel = (await gateway.create_channel("failed", is_private=False)).id
    ts = await gateway.post_once(channel, text="How did we do?", again=False, **TAG)
    assert tagged(sandbox, channel) == [ts]
    gateway.lost = POST_ONCE_TRIES
    with pytest.raises(SlackCallFailed):
        await gateway.post_once(
            channel, text="Again", again=False, event_type="swarmbot_test", payload={"swarm_id": 8}
        )
    with pytest.raises(SlackCallFailed, match="channel_not_found"):
        await gateway.post_once("C0NOSUCH", text="Nowhere", again=False, **TAG)
