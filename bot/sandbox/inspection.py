"""Read-only views of the sandbox's state: plain dicts shaped like Slack's objects, always copies."""

from __future__ import annotations

import copy
from typing import Any

from .shapes import bookmark_json, channel_json, message_json, user_json, usergroup_json, view_json
from .state import Workspace

SYSTEM_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_archive",
        "channel_unarchive",
    }
)


class Inspection:
    """Mixed into `Sandbox`: every method takes the workspace lock and returns copies."""

    ws: Workspace

    def user(self, user_id: str) -> dict[str, Any] | None:
        """A user as users.info shows it."""
        with self.ws.lock:
            user = self.ws.users.get(user_id)
            return user_json(user) if user else None

    def users(self) -> list[dict[str, Any]]:
        """Every user, the bot included."""
        with self.ws.lock:
            return [user_json(u) for u in self.ws.users.values()]

    def usergroups(self) -> list[dict[str, Any]]:
        """Every user group with its members."""
        with self.ws.lock:
            return [usergroup_json(g, include_users=True) for g in self.ws.usergroups.values()]

    def channel(self, channel: str) -> dict[str, Any] | None:
        """A conversation by id (or name) as the bot would see it, plus its `members`; None if absent."""
        with self.ws.lock:
            found = self.ws.find(channel)
            if found is None:
                return None
            body = channel_json(found, viewer=self.ws.bot_user_id, num_members=True)
            body["members"] = list(found.members)
            return body

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        """A channel by name (with or without "#")."""
        with self.ws.lock:
            found = self.ws.channel_named(name)
            return self.channel(found.id) if found else None

    def channels(self, *, include_dms: bool = False) -> list[dict[str, Any]]:
        """Every channel (archived too), oldest first."""
        with self.ws.lock:
            chosen = [c for c in self.ws.channels.values() if include_dms or not (c.is_im or c.is_mpim)]
            return [body for c in chosen if (body := self.channel(c.id)) is not None]

    def members(self, channel: str) -> list[str]:
        """Member ids in join order."""
        with self.ws.lock:
            found = self.ws.find(channel)
            return list(found.members) if found else []

    def messages(self, channel: str, *, system: bool = True) -> list[dict[str, Any]]:
        """Top-level messages oldest first; threaded ones carry "replies" oldest first.

        `system=False` leaves out the messages Slack adds itself (joins, topic, purpose, archive).
        """
        with self.ws.lock:
            found = self.ws.find(channel)
            if found is None:
                return []
            result = []
            for message in self.ws.sorted_timeline(found):
                if not system and message.subtype in SYSTEM_SUBTYPES:
                    continue
                body = message_json(self.ws, found, message)
                if message.replies and not message.is_reply:
                    body["replies"] = [
                        message_json(self.ws, found, found.messages[r], in_thread=True)
                        for r in message.replies
                    ]
                result.append(body)
            return result

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message (top-level or reply) by ts."""
        with self.ws.lock:
            found = self.ws.find(channel)
            message = found.messages.get(ts) if found else None
            return message_json(self.ws, found, message) if found and message else None

    def pins(self, channel: str) -> list[dict[str, Any]]:
        """Pinned messages, in the order they were pinned."""
        with self.ws.lock:
            found = self.ws.find(channel)
            if found is None:
                return []
            return [message_json(self.ws, found, found.messages[p.ts]) for p in found.pins]

    def bookmarks(self, channel: str) -> list[dict[str, Any]]:
        """A channel's bookmarks."""
        with self.ws.lock:
            found = self.ws.find(channel)
            return [bookmark_json(b, self.ws) for b in found.bookmarks] if found else []

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
        """Ephemeral messages (chat.postEphemeral and ephemeral response_url answers)."""
        with self.ws.lock:
            return [
                copy.deepcopy(e)
                for e in self.ws.ephemerals
                if (channel is None or e["channel"] == channel) and (user is None or e["user"] == user)
            ]

    def responses(
        self,
        channel: str | None = None,
        user: str | None = None,
        source: str | None = None,
        *,
        since: int = 0,
    ) -> list[dict[str, Any]]:
        """Everything the app posted to response URLs (and immediate command answers); `since` as calls."""
        with self.ws.lock:
            return [
                copy.deepcopy(r)
                for r in self.ws.responses[since:]
                if (channel is None or r["channel"] == channel)
                and (user is None or r["user"] == user)
                and (source is None or r["source"] == source)
            ]

    def views(self, user: str | None = None) -> list[dict[str, Any]]:
        """Modals and Home tabs, with who sees them, whether open, and any field errors."""
        with self.ws.lock:
            return [
                {**view_json(v), "user": v.user, "is_open": v.is_open, "errors": dict(v.errors)}
                for v in self.ws.views.values()
                if user is None or v.user == user
            ]

    def open_modals(self, user: str) -> list[dict[str, Any]]:
        """The user's modal stack, bottom first."""
        with self.ws.lock:
            return [
                {**view_json(self.ws.views[v]), "errors": dict(self.ws.views[v].errors)}
                for v in self.ws.modal_stacks.get(user, [])
            ]

    def home_view(self, user: str) -> dict[str, Any] | None:
        """The Home tab the app published for a user."""
        with self.ws.lock:
            view = self.ws.views.get(self.ws.home_views.get(user, ""))
            return view_json(view) if view else None

    def scheduled_messages(self) -> list[dict[str, Any]]:
        """Scheduled messages, posted or not."""
        with self.ws.lock:
            return [
                {
                    "id": s.id,
                    "channel": s.channel,
                    "post_at": s.post_at,
                    "posted_ts": s.posted_ts,
                    **copy.deepcopy(s.args),
                }
                for s in self.ws.scheduled.values()
            ]

    def calls(self, method: str | None = None, *, since: int = 0) -> list[dict[str, Any]]:
        """The ordered Web API call log: method, args, token kind, status, response.

        `since` skips the first calls (a reader that follows the log copies only what is new)."""
        with self.ws.lock:
            return [
                copy.deepcopy(c) for c in self.ws.calls[since:] if method is None or c["method"] == method
            ]

    def deliveries(self, kind: str | None = None, event_type: str | None = None) -> list[dict[str, Any]]:
        """The ordered log of requests sent to the app's request URL (every attempt)."""
        with self.ws.lock:
            return [
                copy.deepcopy(d)
                for d in self.ws.deliveries
                if (kind is None or d["kind"] == kind)
                and (event_type is None or (d["payload"].get("event") or {}).get("type") == event_type)
            ]

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """The distinct events delivered (first attempts), each the inner `event` object."""
        return [d["payload"]["event"] for d in self.deliveries("event", event_type) if d["retry_num"] == 0]

    def state(self) -> dict[str, Any]:
        """Everything at once (served at GET /_sandbox/state)."""
        with self.ws.lock:
            return {
                "team": {"id": self.ws.team_id, "name": self.ws.team_name, "domain": self.ws.team_domain},
                "bot": {"user_id": self.ws.bot_user_id, "bot_id": self.ws.bot_id, "app_id": self.ws.app_id},
                "users": self.users(),
                "usergroups": self.usergroups(),
                "channels": [
                    {
                        **c,
                        "messages": self.messages(c["id"]),
                        "pins": self.pins(c["id"]),
                        "bookmarks": self.bookmarks(c["id"]),
                    }
                    for c in self.channels(include_dms=True)
                ],
                "views": self.views(),
                "ephemerals": self.ephemerals(),
                "responses": self.responses(),
                "scheduled_messages": self.scheduled_messages(),
                "calls": self.calls(),
                "deliveries": self.deliveries(),
            }
