"""People's names for a transcript: users.info once per person, remembered, unknown people kept by id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.errors import SlackCallFailed
from bot.slack.gateway import SlackGateway

# users.info answers for people the workspace cannot show us: store them by id, never fail the transcript.
UNKNOWN_USER_ERRORS = frozenset({"user_not_found", "user_not_visible", "users_not_found", "account_inactive"})
NAME_LIMIT = 200  # transcript_messages.user_name


class UserNames:
    """A cache of display names by user id; None marks someone Slack does not know."""

    def __init__(self, gateway: SlackGateway, known: Mapping[str, str | None] | None = None) -> None:
        self._gateway = gateway
        self._names: dict[str, str | None] = dict(known or {})
        self.lookups = 0  # users.info calls made, for tests and the benchmark

    @property
    def names(self) -> Mapping[str, str | None]:
        """Everyone resolved so far."""
        return self._names

    def remember(self, user: str, name: str | None) -> None:
        """Learn a name without asking Slack (a bot's name comes with its messages)."""
        if name and user not in self._names:
            self._names[user] = name[:NAME_LIMIT]

    async def resolve(self, users: Iterable[str]) -> None:
        """Ask Slack for the names of `users` not yet known, one users.info call per person."""
        for user in dict.fromkeys(users):
            if user in self._names:
                continue
            self.lookups += 1
            try:
                profile = await self._gateway.user_profile(user)
            except SlackCallFailed as failure:
                if failure.error not in UNKNOWN_USER_ERRORS:
                    raise
                self._names[user] = None
                continue
            # user_profile falls back to the id when Slack has no name: that is no name at all.
            self._names[user] = profile.name[:NAME_LIMIT] if profile.name != user else None
