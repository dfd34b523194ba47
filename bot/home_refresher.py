"""Keeps Home tabs current: `refresh(user_ids)` and `refresh_swarm(swarm_id)` are cheap and never block.

Services call them after a change (a swarm opened, a task claimed, a role handed off, …). Requests are
collected for `delay` seconds and each person's Home is then published once (views.publish), however many
changes touched it: a burst of reactions costs one publish per person, not one per reaction. Debouncing is
per process; two processes refreshing the same person both publish what storage holds, so the last one is
still right. Publishing never raises into the caller: a failed publish is logged, and the next change or
the person opening their Home tab publishes again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import select

from bot.errors import SlackCallFailed
from bot.home import HomeReader
from bot.rendering import render_view
from bot.slack.gateway import SlackGateway
from bot.swarm_membership import people_in
from storage.db import SessionFactory
from storage.models import Swarm

log = logging.getLogger(__name__)

DEFAULT_DELAY = 0.5


class HomeRefresher:
    """Publishes Home tabs now (`publish`) or soon, debounced (`refresh`, `refresh_swarm`)."""

    def __init__(
        self,
        *,
        reader: HomeReader,
        sessions: SessionFactory,
        gateway: SlackGateway,
        delay: float = DEFAULT_DELAY,
    ) -> None:
        self._reader = reader
        self._sessions = sessions
        self._gateway = gateway
        self._delay = delay
        self._users: set[str] = set()
        self._swarms: set[int] = set()
        self._channels: set[str] = set()
        self._flushing: asyncio.Task[None] | None = None

    def refresh(self, user_ids: Iterable[str]) -> None:
        """Publish these people's Home tabs soon (collected with other requests for `delay` seconds)."""
        self._users.update(user for user in user_ids if user)
        self._schedule()

    def refresh_swarm(self, swarm_id: int) -> None:
        """Publish the Home tab of everyone in swarm `swarm_id` soon."""
        self._swarms.add(swarm_id)
        self._schedule()

    def refresh_channel(self, channel_id: str) -> None:
        """Publish the Home tab of everyone in the swarm worked in `channel_id` (if it is one) soon."""
        self._channels.add(channel_id)
        self._schedule()

    def after(self, hook: Callable[[int], Awaitable[None]]) -> Callable[[int], Awaitable[None]]:
        """`hook(swarm_id)`, then a refresh of that swarm's people: for callbacks such as on_ready."""

        async def hooked(swarm_id: int) -> None:
            await hook(swarm_id)
            self.refresh_swarm(swarm_id)

        return hooked

    async def publish(self, user_id: str) -> None:
        """Publish `user_id`'s Home tab now (they just opened it)."""
        home = await self._reader.home(user_id)
        await self._gateway.publish_home(user_id, render_view("home/home", home=home))

    async def flush(self) -> None:
        """Wait until every refresh asked for so far is published (tests, shutdown)."""
        while self._flushing is not None and not self._flushing.done():
            await asyncio.shield(self._flushing)

    def _schedule(self) -> None:
        if self._flushing is not None and not self._flushing.done():
            return  # the running flush picks the new requests up
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a synchronous caller): nothing to publish from
            self._users.clear()
            self._swarms.clear()
            self._channels.clear()
            return
        self._flushing = loop.create_task(self._flush_later(), name="home-refresh")

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._delay)
        while self._users or self._swarms or self._channels:
            users, swarms, channels = set(self._users), set(self._swarms), set(self._channels)
            self._users.clear()
            self._swarms.clear()
            self._channels.clear()
            try:
                async with self._sessions() as session:
                    if channels:
                        found = await session.scalars(select(Swarm.id).where(Swarm.channel_id.in_(channels)))
                        swarms |= set(found.all())
                    for swarm_id in sorted(swarms):
                        users |= await people_in(session, swarm_id)
            except Exception:  # a refresh must never take anything else down
                log.exception("could not find the people of swarms %s to refresh their Home", swarms)
            for user in sorted(users):
                await self._publish_quietly(user)

    async def _publish_quietly(self, user_id: str) -> None:
        try:
            await self.publish(user_id)
        except SlackCallFailed as failure:
            log.warning("could not publish the Home of %r: %s", user_id, failure)
        except Exception:
            log.exception("could not publish the Home of %r", user_id)
