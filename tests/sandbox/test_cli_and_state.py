"""The standalone sandbox command and the state endpoint."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

from click.testing import CliRunner
from slack_sdk import WebClient

from bot.sandbox import Sandbox
from bot.sandbox.cast import seed_demo
from bot.sandbox.cli import sandbox_command

from .conftest import People


def test_the_command_documents_its_options() -> None:
    result = CliRunner().invoke(sandbox_command, ["--help"])
    for option in (
        "--host",
        "--port",
        "--request-url",
        "--signing-secret",
        "--bot-token",
        "--app-token",
        "--socket / --http",
        "--seed / --no-seed",
        "--rate-limits / --no-rate-limits",
    ):
        assert option in result.output


def test_the_command_serves_until_interrupted_and_prints_urls_tokens_and_the_cast() -> None:
    code = "from bot.sandbox.cli import sandbox_command; sandbox_command()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "--port", "0", "--seed"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("@erin" in line for line in lines):
            lines.append(process.stdout.readline())
        api_url = lines[0].split("SLACK_API_URL=")[1].strip()
        token = next(line for line in lines if "SLACK_BOT_TOKEN=" in line).split("=")[1].strip()
        client = WebClient(token=token, base_url=api_url)
        assert client.auth_test()["ok"]
        names = [c["name"] for c in client.conversations_list()["channels"]]
        assert "support" in names
        with urllib.request.urlopen(api_url.replace("/api/", "/_sandbox/state")) as response:
            state = json.loads(response.read())
        assert {u["name"] for u in state["users"]} >= {"alice", "bob", "carol", "dave", "erin"}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_the_state_endpoint_shows_channels_messages_and_calls(
    sandbox: Sandbox, bot: WebClient, people: People
) -> None:
    channel = bot.conversations_create(name="esc-state")["channel"]["id"]
    bot.chat_postMessage(channel=channel, text="hello")
    with urllib.request.urlopen(sandbox.base_url + "/_sandbox/state") as response:
        state = json.loads(response.read())
    [swarm] = [c for c in state["channels"] if c["id"] == channel]
    assert [m["text"] for m in swarm["messages"]][-1] == "hello"
    assert [c["method"] for c in state["calls"]] == ["conversations.create", "chat.postMessage"]


def test_the_demo_cast_fills_support_and_the_user_groups(sandbox: Sandbox) -> None:
    cast = seed_demo(sandbox)
    assert set(sandbox.members(cast.support_channel)) == {sandbox.bot_user_id, *cast.people.values()}
    assert {g["handle"] for g in sandbox.usergroups()} >= {"support-leads", "eng-managers"}
    assert sandbox.channel(cast.feed_channel)["name"] == "escalations-feed"
