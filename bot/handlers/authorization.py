"""Bolt's authorization for our one workspace, from the gateway's cached identity.

Bolt's own single-workspace authorization calls auth.test on the first request, through a client whose
retries skip 502, and answers any failure with a 200 "Please install this app": the first commands after a
start during a Slack hiccup were dropped without a trace. Here the identity comes from the gateway (every
transient failure retried, one call shared by concurrent first requests, cached); a Slack that still
cannot answer raises SlackCallFailed, which the error handler explains to the person, and the request is
answered 500, so Slack retries an event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.authorization import AuthorizeResult

from bot.slack.gateway import SlackGateway

Authorize = Callable[..., Awaitable[AuthorizeResult]]


def authorize_with(gateway: SlackGateway, *, bot_token: str) -> Authorize:
    """An `authorize` function for Bolt's AsyncApp that asks Slack who the bot is once."""

    async def authorize(user_id: str | None) -> AuthorizeResult:
        identity = await gateway.identity()
        return AuthorizeResult(
            enterprise_id=identity.enterprise_id,
            team_id=identity.team_id,
            bot_token=bot_token,
            bot_id=identity.bot_id,
            bot_user_id=identity.user_id,
            user_id=user_id,
        )

    return authorize
