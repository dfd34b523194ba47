"""The message a swarm was escalated from ("Escalate this message"): its link in the brief.

The link is Slack's permalink (chat.getPermalink), kept on the swarm's timeline (`source_message`), where
`load_swarm_view` finds it; the pinned brief is then updated in place to show it. When the ticket already
had a swarm, the link goes to that swarm's channel instead, so the new message still reaches the swarm.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from bot.clock import Clock
from bot.errors import SlackCallFailed
from bot.playbooks import PlaybookLibrary
from bot.rendering import render
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import escape
from bot.swarm_views import SOURCE_MESSAGE, SwarmView, load_swarm_view
from bot.timeline import record_for_swarm
from storage.db import SessionFactory
from storage.models import Swarm

log = logging.getLogger(__name__)

# What a permalink looks like; anything else is never put inside `<…|…>` in a message.
_LINK = re.compile(r"https://[^\s<>|]+")


class SourceMessages:
    """Links escalated messages to their swarm."""

    def __init__(
        self, *, sessions: SessionFactory, gateway: SlackGateway, clock: Clock, playbooks: PlaybookLibrary
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._playbooks = playbooks

    async def link(self, swarm: SwarmView, *, channel: str, ts: str, by: str, new: bool) -> str | None:
        """Link the message in `channel` at `ts` to `swarm`: in its brief when `new`, else by a note."""
        url = await self._permalink(channel, ts)
        if url is None or swarm.channel_id is None:
            return None
        async with self._sessions() as session:
            await record_for_swarm(
                session,
                swarm.id,
                SOURCE_MESSAGE,
                at=self._clock.now(),
                actor=by,
                source_link=url if new else None,
                linked_link=None if new else url,
                channel=channel,
                ts=ts,
            )
            await session.commit()
            brief_ts = await session.scalar(select(Swarm.brief_ts).where(Swarm.id == swarm.id))
            title = self._title(swarm.playbook)
            view = await load_swarm_view(session, swarm.id, with_history=True, playbook_title=title)
        if new and brief_ts is not None:
            await self._gateway.update_message(
                swarm.channel_id, brief_ts, **render("messages/swarm_brief", swarm=view)
            )
        elif not new:
            line = f"<@{by}> escalated <{url}|another message> about {escape(swarm.ticket_id)}."
            await self._gateway.post_message(swarm.channel_id, **render("messages/notice", line=line))
        return url

    async def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            url = await self._gateway.permalink(channel, ts)
        except SlackCallFailed as failure:  # the swarm stands without the link; say so in the log
            log.warning("no permalink for %r/%r: %s", channel, ts, failure)
            return None
        return url if _LINK.fullmatch(url) else None

    def _title(self, name: str | None) -> str | None:
        return self._playbooks.get(name).title if name is not None and name in self._playbooks else None
