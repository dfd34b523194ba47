"""Bad input gets a clear ephemeral answer, and nothing happens."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Stack, text_of


def swarm_channels(stack: Stack) -> list[str]:
    return [c["name"] for c in stack.sandbox.channels() if c["name"].startswith("esc-")]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("resolv it", "Unknown command `resolv`. Did you mean `resolve`?"),
        ("Customer cannot log in", "`Customer` is not a ticket id"),
        ("ZD-４５２１ broken", "use ASCII letters"),
        ("ZD-" + "9" * 70, "The ticket id is 73 characters long; the limit is 64."),
        ("ZD-1 sev7 down", "Unknown severity `sev7`"),
        ("ZD-1 " + "long " * 150, "keep it under 500"),
        ("ZD-1 #Not/A/Tag x", "is not a skill tag"),
        ("update the customer", "This is not a swarm channel."),
        ("list everything", "`/escalate list` takes no words after it."),
    ],
)
async def test_bad_command_is_explained_and_changes_nothing(stack: Stack, text: str, says: str):
    answer = await stack.escalate(text)
    assert answer["response_type"] == "ephemeral"
    assert says in text_of(answer)
    assert swarm_channels(stack) == []
    assert not [c for c in stack.sandbox.calls() if c["method"] == "conversations.create"]


async def test_usage_hint_accompanies_a_grammar_error(stack: Stack):
    answer = await stack.escalate("sev1")
    assert "/escalate TICKET [sev1..sev4]" in text_of(answer)


@pytest.mark.parametrize(
    "forge",
    [{"signature": "bad"}, {"timestamp_offset": -600}, {"secret": "someone-elses-secret"}],
    ids=["bad-signature", "stale-timestamp", "wrong-secret"],
)
async def test_forged_or_stale_request_is_refused_with_401_and_no_effect(stack: Stack, forge):
    response = await stack.driver.slash_command(
        "/escalate",
        "ZD-99 sev1 forged",
        user_id=stack.person("alice"),
        channel_id=stack.cast.support_channel,
        **forge,
    )
    assert response.status == 401
    assert swarm_channels(stack) == []
    assert stack.sandbox.responses() == []


async def test_forged_event_is_refused(stack: Stack):
    response = await stack.driver.event(
        {"type": "member_joined_channel", "user": stack.person("bob"), "channel": "C1"}, signature="bad"
    )
    assert response.status == 401


async def test_health_endpoint_reports_dependencies(stack: Stack):
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.get(stack.url.replace("/slack/events", "/healthz")) as r,
    ):
        assert r.status == 200
        assert await r.json() == {"ok": True, "database": "ok", "coordinator": "ok"}
