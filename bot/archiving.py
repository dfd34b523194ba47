"""Archiving a resolved swarm: its whole conversation onto the ticket record (then to the ticket systems),
and only then the channel archived. Both are durable jobs, so a crash or a Slack outage midway resumes
where it stopped (the transcript's progress is committed page by page) and never loses the local record.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.connectors import ArchivedTicket, ConnectorError, TicketConnector
from bot.poster import Poster
from bot.records import record
from bot.rendering import render
from bot.scheduler import JobContext, JobQueue, JobView, PermanentJobError
from bot.slack.gateway import SlackGateway
from bot.tickets import ticket_record
from bot.timeline import record_for_swarm
from bot.transcripts import TranscriptArchive, transcript_text
from storage.db import SessionFactory
from storage.models import Swarm, Ticket

DELIVER = "deliver_transcript"


def delivery_key(swarm_id: int, connector: str) -> str:
    """One delivery job per swarm and connector."""
    return f"swarm:{swarm_id}:deliver:{connector}"


class Archiver:
    """Runs the archive and delivery jobs."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        jobs: JobQueue,
        transcripts: TranscriptArchive,
        connectors: list[TicketConnector],
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._jobs = jobs
        self._transcripts = transcripts
        self._connectors = {connector.name: connector for connector in connectors}

    async def archive(self, job: JobView, context: JobContext, poster: Poster) -> None:
        """Store the transcript, archive the channel, start the deliveries; a reopened swarm is left alone."""
        assert job.swarm_id is not None
        async with self._sessions() as session:
            swarm = await session.get(Swarm, job.swarm_id)
        if swarm is None or swarm.status != "resolved" or swarm.channel_id is None:
            return
        if not swarm.channel_archived:
            line = (
                ":file_folder: Storing this channel's conversation on the ticket record, then archiving it."
            )
            await poster(swarm.channel_id, render("messages/notice", line=line), slot="archiving")
        summary = await self._transcripts.collect(swarm.id, swarm.channel_id)
        if not swarm.channel_archived:
            await self._gateway.archive_channel(swarm.channel_id)  # only now: the transcript is stored
            await record(self._sessions, Swarm, swarm.id, channel_archived=True)
            async with self._sessions() as session:
                await record_for_swarm(
                    session,
                    swarm.id,
                    "channel_archived",
                    at=self._clock.now(),
                    messages=summary.message_count,
                    redactions=summary.redactions,
                )
                await session.commit()
        for name in self._connectors:
            await self._jobs.schedule(
                DELIVER,
                due_at=self._clock.now(),
                swarm_id=swarm.id,
                key=delivery_key(swarm.id, name),
                payload={"connector": name},
            )

    async def deliver(self, job: JobView, context: JobContext) -> None:
        """Hand the archive to one ticket system; a retryable failure comes back later (with backoff)."""
        assert job.swarm_id is not None
        connector = self._connectors.get(str(job.payload.get("connector")))
        if connector is None:
            raise PermanentJobError(f"no connector {job.payload.get('connector')!r} is configured any more")
        async with self._sessions() as session:
            swarm = await session.get_one(Swarm, job.swarm_id)
            ticket = await session.get_one(Ticket, swarm.ticket_pk)
            ticket_json = await ticket_record(session, ticket.ticket_id)
            markdown = "".join([part async for part in transcript_text(session, swarm.id, "markdown")])
        assert ticket_json is not None
        archived = ArchivedTicket(
            ticket_id=ticket.ticket_id,
            channel_name=swarm.channel_name or "",
            severity=swarm.severity,
            resolution=swarm.resolution,
            record=ticket_json,
            markdown=markdown,
        )
        try:
            await connector.deliver(archived)
        except ConnectorError as failure:
            async with self._sessions() as session:
                await record_for_swarm(
                    session,
                    swarm.id,
                    "delivery_failed",
                    at=self._clock.now(),
                    connector=connector.name,
                    error=str(failure),
                    retryable=failure.retryable,
                )
                await session.commit()
            if failure.retryable:
                raise
            raise PermanentJobError(str(failure)) from failure
        async with self._sessions() as session:
            await record_for_swarm(
                session, swarm.id, "transcript_delivered", at=self._clock.now(), connector=connector.name
            )
            await session.commit()
