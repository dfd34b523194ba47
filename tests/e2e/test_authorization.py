"""Authorization asks Slack who the bot is once, retrying what a busy Slack fails; no request is dropped."""

from __future__ import annotations

from bot.sandbox import FaultConfig
from tests.e2e.conftest import Stack


async def test_a_502_on_the_first_auth_test_is_retried_and_the_command_goes_through(stack: Stack):
    # Seed 1 fails the first auth.test with a 502 and lets the retry through (asserted below).
    stack.sandbox.set_faults(
        FaultConfig(seed=1, error_rate=0.5, error_kinds=("http_502",), methods=frozenset({"auth.test"}))
    )
    answer = await stack.escalate("ZD-31 sev3 Exports slow")
    assert "Opened" in answer["text"]
    assert [c["status"] for c in stack.sandbox.calls("auth.test")][:2] == [502, 200]
    assert len(stack.sandbox.calls("auth.test")) == 2  # asked once, cached for every later request


async def test_a_slack_that_cannot_say_who_the_bot_is_is_explained_and_answered_500(stack: Stack):
    stack.sandbox.set_faults(
        FaultConfig(error_rate=1.0, error_kinds=("internal_error",), methods=frozenset({"auth.test"}))
    )
    response = await stack.driver.slash_command(
        "/escalate",
        "ZD-32 sev3 Exports slow",
        user_id=stack.person("alice"),
        channel_id=stack.cast.support_channel,
    )
    # Not Bolt's silent 200 "Please install this app": a 5xx makes Slack retry an event, and the person
    # who typed the command is told Slack failed.
    assert response.status == 500
    await stack.sandbox.wait_for(lambda: stack.sandbox.responses(user=stack.person("alice")))
    assert "Slack refused part of that (auth.test" in str(stack.sandbox.responses()[-1]["payload"])
    stack.sandbox.set_faults(FaultConfig())
    assert "Opened" in (await stack.escalate("ZD-32 sev3 Exports slow"))["text"]
