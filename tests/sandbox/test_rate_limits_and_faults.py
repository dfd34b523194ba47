"""Rate limits by Slack tier with 429 + Retry-After, and seeded, repeatable fault injection."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox import FaultConfig, MethodLimit, RateLimitConfig, Sandbox

ONE_PER_SECOND = MethodLimit(per_minute=60, burst=1)


def limited(make: Callable[..., Sandbox], **limits: object) -> Sandbox:
    return make(rate_limits=RateLimitConfig(enabled=True, **limits))  # type: ignore[arg-type]


def test_a_call_over_budget_answers_429_ratelimited_with_retry_after(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = limited(make_sandbox, overrides={"auth.test": ONE_PER_SECOND})
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    client.auth_test()
    with pytest.raises(SlackApiError) as caught:
        client.auth_test()
    response = caught.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert {k.lower(): v for k, v in response.headers.items()}["retry-after"] in ("1", ["1"])


def test_tier_budgets_apply_per_method_and_scale_multiplies_them(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = limited(make_sandbox)
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    for i in range(20):  # conversations.create is Tier 2: 20 per minute
        client.conversations_create(name=f"tier-two-{i}")
    with pytest.raises(SlackApiError) as caught:
        client.conversations_create(name="one-too-many")
    assert caught.value.response.status_code == 429
    assert client.conversations_info(channel=sb.channel_by_name("tier-two-0")["id"])["ok"]  # type: ignore[index]
    scaled = limited(make_sandbox, scale=10)
    scaled_client = WebClient(token=scaled.bot_token, base_url=scaled.api_url)
    for i in range(60):
        scaled_client.conversations_create(name=f"scaled-{i}")


def test_post_message_is_limited_per_channel(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = limited(make_sandbox, post_message_per_channel=ONE_PER_SECOND)
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    first = client.conversations_create(name="first")["channel"]["id"]
    second = client.conversations_create(name="second")["channel"]["id"]
    client.chat_postMessage(channel=first, text="1")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel=first, text="2")
    assert client.chat_postMessage(channel=second, text="1")["ok"]


def test_slack_sdks_rate_limit_retry_handler_waits_out_retry_after(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = limited(make_sandbox, overrides={"users.list": ONE_PER_SECOND})
    client = WebClient(
        token=sb.bot_token,
        base_url=sb.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    client.users_list()
    started = time.monotonic()
    assert client.users_list()["ok"]
    assert time.monotonic() - started >= 1.0
    assert [c["status"] for c in sb.calls("users.list")] == [200, 429, 200]


async def test_the_async_rate_limit_retry_handler_waits_out_retry_after_too(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = limited(make_sandbox, overrides={"users.list": ONE_PER_SECOND})
    client = AsyncWebClient(
        token=sb.bot_token,
        base_url=sb.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    await client.users_list()
    assert (await client.users_list())["ok"]
    assert [c["status"] for c in sb.calls("users.list")] == [200, 429, 200]


def test_humans_are_not_rate_limited_unless_asked(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = limited(make_sandbox, overrides={"auth.test": ONE_PER_SECOND})
    human = WebClient(token=sb.token_of(sb.add_user("alice")), base_url=sb.api_url)
    for _ in range(5):
        human.auth_test()


def test_limits_can_be_switched_at_run_time(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox()
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    for _ in range(3):
        client.auth_test()
    sb.set_rate_limits(RateLimitConfig(enabled=True, overrides={"auth.test": ONE_PER_SECOND}))
    client.auth_test()
    with pytest.raises(SlackApiError):
        client.auth_test()


def outcomes(sb: Sandbox, n: int = 40) -> list[str]:
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    result = []
    for _ in range(n):
        try:
            client.auth_test()
            result.append("ok")
        except SlackApiError as error:
            result.append(f"{error.response.status_code}:{error.response['error']}")
    return result


def test_faults_repeat_exactly_for_the_same_seed(make_sandbox: Callable[..., Sandbox]) -> None:
    faults = FaultConfig(seed=42, error_rate=0.4)
    first, second = outcomes(make_sandbox(faults=faults)), outcomes(make_sandbox(faults=faults))
    assert first == second
    assert {
        "ok",
        "500:fatal_error",
        "502:bad_gateway",
        "503:service_unavailable",
        "200:internal_error",
    } == set(first)
    assert outcomes(make_sandbox(faults=FaultConfig(seed=43, error_rate=0.4))) != first


def test_faults_are_off_by_default_and_can_target_some_methods(make_sandbox: Callable[..., Sandbox]) -> None:
    assert set(outcomes(make_sandbox())) == {"ok"}
    sb = make_sandbox(
        faults=FaultConfig(error_rate=1.0, error_kinds=("internal_error",), methods=frozenset({"users.list"}))
    )
    assert set(outcomes(sb, 5)) == {"ok"}
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    with pytest.raises(SlackApiError) as caught:
        client.users_list()
    assert caught.value.response["error"] == "internal_error"
    sb.set_faults(FaultConfig())
    assert client.users_list()["ok"]


def test_latency_and_spikes_slow_calls_down(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox(faults=FaultConfig(latency=0.15, spike_probability=1.0, spike_latency=0.1))
    started = time.monotonic()
    WebClient(token=sb.bot_token, base_url=sb.api_url).auth_test()
    assert time.monotonic() - started >= 0.25


def test_an_injected_ratelimited_fault_answers_exactly_as_slack_does_over_budget(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox(faults=FaultConfig(error_rate=1.0, error_kinds=("ratelimited",), retry_after=2))
    client = WebClient(token=sb.bot_token, base_url=sb.api_url)
    with pytest.raises(SlackApiError) as caught:
        client.auth_test()
    response = caught.value.response
    assert response.status_code == 429
    assert response.data == {"ok": False, "error": "ratelimited"}
    assert {k.lower(): v for k, v in response.headers.items()}["retry-after"] in ("2", ["2"])
    assert sb.faults.injected == {"ratelimited": 1}


def test_ratelimited_faults_are_seeded_and_counted_by_kind(make_sandbox: Callable[..., Sandbox]) -> None:
    kinds = ("http_500", "http_503", "ratelimited")
    faults = FaultConfig(seed=7, error_rate=0.5, error_kinds=kinds)
    first, second = make_sandbox(faults=faults), make_sandbox(faults=faults)
    assert outcomes(first) == outcomes(second)
    assert "429:ratelimited" in outcomes(make_sandbox(faults=faults))
    assert first.faults.injected == second.faults.injected
    assert set(first.faults.injected) == set(kinds)
    assert sum(first.faults.injected.values()) == sum(c["status"] != 200 for c in first.calls())


async def test_slack_sdks_retry_handler_waits_out_an_injected_ratelimited_answer(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    # Seed 3 rate-limits the first auth.test and lets the second through (checked below).
    sb = make_sandbox(faults=FaultConfig(seed=3, error_rate=0.5, error_kinds=("ratelimited",)))
    client = AsyncWebClient(
        token=sb.bot_token,
        base_url=sb.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
    )
    started = time.monotonic()
    assert (await client.auth_test())["ok"]
    statuses = [c["status"] for c in sb.calls("auth.test")]
    assert statuses[-1] == 200 and 429 in statuses
    assert time.monotonic() - started >= 1.0 * statuses.count(429)
