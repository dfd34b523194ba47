"""A readable account of what happened in the sandbox: who posted what where, in order.

`swarmbot demo` and `swarmbot rehearse` print it. It reads the sandbox's own logs (Web API calls and
response_url answers), so it shows what the bot really did, not what it meant to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from .sandbox import Sandbox

_MENTION = re.compile(r"<([@#!])([^|>]*)(?:\|([^>]*))?>")
# Reads and plumbing a person would never see happen.
QUIET_METHODS = frozenset(
    {
        "auth.test",
        "users.info",
        "users.list",
        "conversations.info",
        "conversations.members",
        "conversations.open",
        "conversations.history",
        "conversations.replies",
        "team.info",
        "usergroups.list",
        "usergroups.users.list",
        "views.publish",  # Home tabs are refreshed in the background; nobody sees it happen
    }
)


class Narrator:
    """Prints what happened since it last spoke."""

    def __init__(self, sandbox: Sandbox, echo: Callable[[str], None]) -> None:
        self.sb = sandbox
        self.echo = echo
        self._calls_seen = 0
        self._responses_seen = 0

    def name(self, user: str | None) -> str:
        """@name of a user id (or the id itself when unknown)."""
        found = self.sb.user(user) if user else None
        return "@" + (found["name"] if found else str(user))

    def channel_name(self, channel: str | None) -> str:
        """#name of a channel id, or 'a DM' for direct messages."""
        found = self.sb.channel(channel) if channel else None
        if found is None:
            return str(channel)
        return "a direct message" if found.get("is_im") else "#" + found["name"]

    def plain(self, text: str) -> str:
        """Slack mrkdwn as terminal text: mentions by name, entities decoded."""

        def replace(match: re.Match[str]) -> str:
            sigil, target, label = match.groups()
            if sigil == "@":
                return self.name(target)
            if sigil == "#":
                return "#" + label if label else self.channel_name(target)
            if target.startswith("date^"):
                return label or target
            return (
                label if label and label.startswith("@") else "@" + (label or target).removeprefix("subteam^")
            )

        return _MENTION.sub(replace, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def message_lines(self, message: dict[str, Any]) -> list[str]:
        """The lines a person would read in a message: blocks if any, else its text."""
        blocks = message.get("blocks") or []
        if not blocks:
            return self.plain(message.get("text") or "").splitlines()
        lines: list[str] = []
        for block in blocks:
            kind = block.get("type")
            if kind == "divider":
                lines.append("─" * 24)
                continue
            text = block.get("text")
            if isinstance(text, dict):
                content = self.plain(text.get("text", ""))
                lines.extend(content.splitlines())
            for field in block.get("fields") or []:
                label, _, value = self.plain(field.get("text", "")).partition("\n")
                lines.append(f"{label.strip('*')}: {value}" if value else label)
            for element in block.get("elements") or []:
                if isinstance(element, dict) and isinstance(element.get("text"), str):
                    lines.extend(self.plain(element["text"]).splitlines())
                elif isinstance(element, dict) and isinstance(element.get("text"), dict):
                    lines.append(f"[{self.plain(element['text'].get('text', ''))}]")
        return lines

    def _quoted(self, lines: list[str]) -> None:
        for line in lines:
            self.echo(f"      │ {line}")

    def _call(self, call: dict[str, Any]) -> None:
        method, args, response = call["method"], call["args"], call["response"]
        who = self.name(call["user"])
        if not response.get("ok"):
            self.echo(f"    {who} called {method}: Slack answered {response.get('error')}")
            return
        channel = args.get("channel")
        if method == "conversations.create":
            kind = "private channel" if response["channel"].get("is_private") else "channel"
            self.echo(f"    {who} created the {kind} #{response['channel']['name']}")
        elif method == "conversations.invite":
            users = ", ".join(self.name(u) for u in str(args.get("users", "")).split(",") if u)
            self.echo(f"    {who} invited {users} to {self.channel_name(channel)}")
        elif method in ("conversations.setTopic", "conversations.setPurpose"):
            what = "topic" if method.endswith("Topic") else "purpose"
            value = args.get("topic") or args.get("purpose") or ""
            self.echo(f"    {who} set the {what} of {self.channel_name(channel)}: “{self.plain(value)}”")
        elif method == "chat.postMessage":
            where = self.channel_name(channel) + (" (in a thread)" if args.get("thread_ts") else "")
            self.echo(f"    {who} posted in {where}:")
            self._quoted(self.message_lines(response.get("message") or args))
        elif method == "chat.update":
            self.echo(f"    {who} updated a message in {self.channel_name(channel)}:")
            self._quoted(self.message_lines(response.get("message") or args))
        elif method == "chat.postEphemeral":
            self.echo(f"    {who} → {self.name(args.get('user'))} (only they see it):")
            self._quoted(self.message_lines(args))
        elif method == "pins.add":
            self.echo(f"    {who} pinned that message in {self.channel_name(channel)}")
        elif method in ("reactions.add", "reactions.remove"):
            verb = "reacted" if method == "reactions.add" else "removed the reaction"
            self.echo(f"    {who} {verb} :{args.get('name')}: in {self.channel_name(channel)}")
        elif method not in QUIET_METHODS:
            self.echo(f"    {who} called {method}")

    def _response(self, response: dict[str, Any]) -> None:
        payload = response["payload"]
        visible = "in the channel" if payload.get("response_type") == "in_channel" else "only they see it"
        self.echo(f"    swarmbot → {self.name(response['user'])} ({visible}):")
        self._quoted(self.message_lines(payload))

    def say(self, line: str) -> None:
        """A line of the story itself."""
        self.echo(line)

    def catch_up(self) -> None:
        """Print every call and response since the last catch-up, in the order they happened."""
        calls = self.sb.calls(since=self._calls_seen)
        responses = self.sb.responses(since=self._responses_seen)
        self._calls_seen += len(calls)
        self._responses_seen += len(responses)
        happenings: list[tuple[float, int, Callable[[], None]]] = []
        for index, call in enumerate(calls):
            if call["token_kind"] == "bot":
                happenings.append((call["at"], index, partial(self._call, call)))
        for index, response in enumerate(responses):
            happenings.append((response["at"], len(calls) + index, partial(self._response, response)))
        for _, _, tell in sorted(happenings, key=lambda item: (item[0], item[1])):
            tell()
