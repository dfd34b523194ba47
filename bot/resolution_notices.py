"""What a resolution tells people: the announcement and the review prompt in the channel, the CSAT survey
to the requester, the stakeholders' broadcast — once each, whatever Slack or a crash does.

`/escalate resolve` sends them at once. Before it does, it schedules a backstop job a minute later; when
everything went out, the job is cancelled. When Slack failed past the gateway's retries or the process
died part-way, the job sends what is missing, retrying with the scheduler's backoff until Slack answers.

Each notice is recorded on the timeline (`resolution_notice`, with its part and the resolution's round,
so a reopened and resolved-again swarm announces again) as soon as it is out. The channel posts and the
survey's DM also carry message metadata, so the job finds one that went out just before a crash instead of
sending it twice; so do the stakeholders' DMs (Broadcasts, with the resolution's tag).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.broadcasts import Broadcasts
from bot.clock import Clock
from bot.errors import SlackCallFailed
from bot.playbooks import PlaybookLibrary
from bot.records import record
from bot.rendering import render
from bot.scheduler import JobQueue, JobView
from bot.slack.gateway import SlackGateway
from bot.swarm_views import SwarmView, load_swarm_view
from bot.timeline import record_for_swarm
from storage.db import SessionFactory
from storage.models import Swarm, TimelineEntry

KIND = "resolution_notices"
BACKSTOP = timedelta(minutes=1)  # long enough for the inline attempt to finish and cancel it
NOTICE_EVENT = "swarmbot_resolution_notice"
MARK = "resolution_notice"


def notices_key(swarm_id: int) -> str:
    """The backstop job of a swarm's resolution notices."""
    return f"swarm:{swarm_id}:resolution_notices"


def round_of(resolved_at: datetime) -> str:
    """One resolution among the swarm's resolutions (a reopened swarm can be resolved again)."""
    return resolved_at.isoformat()


class ResolutionNotices:
    """Sends a resolution's notices, each exactly once."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        jobs: JobQueue,
        playbooks: PlaybookLibrary,
        broadcasts: Broadcasts,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._jobs = jobs
        self._playbooks = playbooks
        self._broadcasts = broadcasts

    async def guard(self, swarm_id: int, *, resolved_at: datetime, archive_at: datetime) -> None:
        """Schedule the backstop; call it before sending anything."""
        await self._jobs.schedule(
            KIND,
            due_at=self._clock.now() + BACKSTOP,
            swarm_id=swarm_id,
            payload={"round": round_of(resolved_at), "archive_at": archive_at.isoformat()},
            key=notices_key(swarm_id),
        )

    async def send_now(self, swarm_id: int, *, resolved_at: datetime, archive_at: datetime) -> None:
        """The command's attempt: on success the backstop is cancelled; on Slack's failure it stays."""
        try:
            await self._send(swarm_id, round_of(resolved_at), archive_at=archive_at, look_up=False)
        except SlackCallFailed as failure:
            log.warning("resolution notices of swarm %s left to the backstop: %s", swarm_id, failure)
            return
        await self._jobs.cancel(notices_key(swarm_id))

    async def run(self, job: JobView) -> None:
        """The backstop job: send what the command did not; Slack failing again retries the job."""
        assert job.swarm_id is not None
        async with self._sessions() as session:
            swarm = await session.get(Swarm, job.swarm_id)
        if swarm is None or swarm.status != "resolved" or swarm.resolved_at is None:
            return  # reopened meanwhile: its next resolution sends its own
        round_ = round_of(swarm.resolved_at)
        if round_ != job.payload.get("round"):
            return  # an earlier resolution's job
        archive_at = datetime.fromisoformat(str(job.payload["archive_at"]))
        await self._send(swarm.id, round_, archive_at=archive_at, look_up=True)

    async def _send(self, swarm_id: int, round_: str, *, archive_at: datetime, look_up: bool) -> None:
        """Every notice of resolution `round_` not yet sent; `look_up` searches the channel first."""
        async with self._sessions() as session:
            swarm = await load_swarm_view(session, swarm_id)
            stored = await session.get_one(Swarm, swarm_id)
            details = await session.scalars(
                select(TimelineEntry.detail).where(
                    TimelineEntry.swarm_id == swarm_id, TimelineEntry.kind == MARK
                )
            )
            done = {detail.get("part") for detail in details if detail.get("round") == round_}
        resolution = stored.resolution or ""
        found: dict[str, str] = {}
        if look_up and swarm.channel_id and not {"announcement", "review"} <= done:
            found = await self._gateway.tagged_messages(swarm.channel_id, event_type=NOTICE_EVENT, key="part")
        send = _Sender(
            swarm,
            round_,
            done=done,
            found=found,
            strict=look_up,
            sessions=self._sessions,
            gateway=self._gateway,
            clock=self._clock,
        )
        announcement = render(
            "messages/resolved",
            swarm=swarm,
            by=stored.resolved_by,
            resolution=resolution,
            root_cause=stored.root_cause or "",
            follow_ups=stored.follow_ups or "",
            archive_at=archive_at,
        )
        ts = await send.to_channel("announcement", announcement)
        if ts is not None:
            await record(self._sessions, Swarm, swarm_id, resolution_ts=ts)
        playbook = (
            self._playbooks.get(swarm.playbook)
            if swarm.playbook and swarm.playbook in self._playbooks
            else None
        )
        if playbook is None:
            return
        if playbook.on_resolve.review:
            questions = list(playbook.on_resolve.review)
            await send.to_channel(
                "review", render("messages/review_prompt", swarm=swarm, questions=questions)
            )
        if playbook.on_resolve.csat:
            survey = render("messages/csat_survey", swarm=swarm, answered=None, commented=False)
            await send.to_person("csat", swarm.requested_by, survey)
        if "stakeholders" not in done:
            await self._broadcasts.send(
                swarm, playbook, "resolved", resolution, once=f"resolved/{round_}", again=look_up
            )
            await send.mark("stakeholders")


class _Sender:
    """One pass over a resolution's notices: skips what was sent, records what it sends."""

    def __init__(
        self,
        swarm: SwarmView,
        round_: str,
        *,
        done: set[str],
        found: dict[str, str],
        strict: bool,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._swarm = swarm
        self._round = round_
        self._done = done
        self._found = found
        self._strict = strict  # the backstop job: a refusal no retry can change is noted and passed over

    async def to_channel(self, part: str, message: dict[str, Any]) -> str | None:
        """Post `part` in the swarm's channel unless it is there already; its ts, or None if skipped."""
        if part in self._done or self._swarm.channel_id is None:
            return None
        tag = f"{self._round}/{part}"
        ts = self._found.get(tag)
        if ts is None:
            try:
                ts = await self._gateway.post_once(
                    self._swarm.channel_id,
                    text=message["text"],
                    blocks=message["blocks"],
                    event_type=NOTICE_EVENT,
                    payload={"swarm_id": self._swarm.id, "part": tag},
                    again=False,  # the backstop read the channel's notices once, into `found`
                )
            except SlackCallFailed as failure:
                await self._refused(part, failure)
                return None
        await self.mark(part)
        return ts

    async def to_person(self, part: str, user: str, message: dict[str, Any]) -> None:
        """DM `part` to `user` unless it was sent."""
        if part in self._done:
            return
        gateway = self._gateway
        try:
            await gateway.post_once(
                await gateway.open_dm(user),
                text=message["text"],
                blocks=message["blocks"],
                event_type=NOTICE_EVENT,
                payload={"swarm_id": self._swarm.id, "part": f"{self._round}/{part}"},
                again=self._strict,
            )
        except SlackCallFailed as failure:
            await self._refused(part, failure)
            return
        await self.mark(part)

    async def mark(self, part: str, **detail: Any) -> None:
        """Record `part` as sent (or given up) on the timeline."""
        async with self._sessions() as session:
            await record_for_swarm(
                session, self._swarm.id, MARK, at=self._clock.now(), part=part, round=self._round, **detail
            )
            await session.commit()
        self._done.add(part)

    async def _refused(self, part: str, failure: SlackCallFailed) -> None:
        # The command's pass leaves every failure to the backstop; the backstop retries what may pass
        # later and gives up (noted on the timeline) on what cannot: an archived or vanished channel.
        if not self._strict or failure.transient:
            raise failure
        log.warning("resolution notice %s of swarm %s given up: %s", part, self._swarm.id, failure)
        await self.mark(part, problem=failure.error)


log = logging.getLogger(__name__)
