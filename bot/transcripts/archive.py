"""TranscriptArchive: a swarm channel's whole conversation read from Slack into storage, then rendered.

Collecting walks conversations.history page by page (newest first) and, for each parent on a page that has
replies, its conversations.replies pages. Every page is upserted by (swarm_id, ts) and committed with the
progress that covers it, so a run that dies anywhere (a Slack failure after the gateway's retries, a crash,
a cancelled task) resumes at the page it was on and never stores a message twice:

- Transcript.history_cursor is the history page to read next (None: the first; "#done": none left). It moves
  on only once the page's messages and all its threads are stored.
- Transcript.threads_done lists the parents of that page whose replies are all stored; it is cleared when
  the cursor moves on (the cursor alone says everything before it is done), so the row stays small.
- A thread interrupted part-way resumes after its newest stored reply (`oldest`), not from its start.

Then the rows are rendered into Markdown and HTML parts (see rendering.py) and the state goes
collecting → rendering → stored. Neither step holds more than a page (or a batch) of the channel.

History is read newest first from the moment collecting starts: a message posted after the first page was
read is not in the transcript, so archive the channel (or stop the conversation) right after `collect`.
A cursor Slack no longer accepts (`invalid_cursor`) makes the run start over from the top: upserts keep
that from duplicating anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.errors import SlackCallFailed
from bot.slack.gateway import SlackGateway
from bot.transcripts import store
from bot.transcripts.messages import is_thread_parent, people_to_name, row_values
from bot.transcripts.names import UserNames
from bot.transcripts.redaction import Redactor
from bot.transcripts.rendering import TranscriptHeading, render_parts
from storage.db import SessionFactory

# Slack's largest pages: conversations.history takes up to 999 per call, conversations.replies 1000.
HISTORY_PAGE_MAX, REPLIES_PAGE_MAX = 999, 1000


@dataclass(frozen=True)
class TranscriptSummary:
    """What a stored transcript holds."""

    message_count: int
    redactions: int
    markdown_parts: int
    html_parts: int


class TranscriptArchive:
    """Collects a channel's transcript into storage, resumably, and renders it."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        redactor: Redactor,
        page_size: int = 200,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._redactor = redactor
        # Slack advises pages of at most 200; larger ones are allowed and mean fewer calls.
        self.history_limit = min(page_size, HISTORY_PAGE_MAX)
        self.replies_limit = min(page_size, REPLIES_PAGE_MAX)

    async def collect(self, swarm_id: int, channel_id: str) -> TranscriptSummary:
        """Store every message and reply of `channel_id` for `swarm_id`, then its renderings.

        Idempotent: once stored, it returns the summary without calling Slack. SlackCallFailed propagates
        after the gateway's own retries; the next call resumes where this one stopped.
        """
        async with self._sessions() as session, session.begin():
            transcript = await store.start(session, swarm_id=swarm_id, now=self._clock.now())
            state, cursor = transcript.state, transcript.history_cursor
            threads_done = list(transcript.threads_done or [])
            known = await store.known_names(session, swarm_id=swarm_id) if state == store.COLLECTING else {}
        if state == store.COLLECTING:
            names = UserNames(self._gateway, known)
            await self._collect_history(swarm_id, channel_id, cursor, threads_done, names)
            async with self._sessions() as session, session.begin():
                await store.finish_collecting(session, swarm_id=swarm_id)
            state = store.RENDERING
        if state == store.RENDERING:
            await self._render(swarm_id, channel_id)
        return await self.summary(swarm_id)

    async def summary(self, swarm_id: int) -> TranscriptSummary:
        """The counts of the swarm's transcript as stored (zeros when there is none)."""
        async with self._sessions() as session:
            transcript = await store.transcript_of(session, swarm_id=swarm_id)
            parts = await store.part_counts(session, swarm_id=swarm_id)
        return TranscriptSummary(
            message_count=transcript.message_count if transcript else 0,
            redactions=transcript.redactions if transcript else 0,
            markdown_parts=parts.get("markdown", 0),
            html_parts=parts.get("html", 0),
        )

    async def _collect_history(
        self,
        swarm_id: int,
        channel_id: str,
        cursor: str | None,
        threads_done: list[str],
        names: UserNames,
    ) -> None:
        resuming_thread = True  # the first unfinished thread may have been stopped part-way
        while cursor != store.HISTORY_DONE:
            try:
                messages, next_cursor = await self._gateway.history_page(
                    channel_id, cursor, self.history_limit
                )
            except SlackCallFailed as failure:
                if failure.error != "invalid_cursor" or cursor is None:
                    raise
                # A cursor Slack no longer accepts: read from the top again; upserts keep rows single.
                cursor, threads_done, resuming_thread = None, [], False
                continue
            await names.resolve(user for message in messages for user in people_to_name(message, names))
            rows = self._rows(messages, swarm_id, names)
            threads = [
                str(m["ts"]) for m in messages if is_thread_parent(m) and str(m["ts"]) not in threads_done
            ]
            following = next_cursor or store.HISTORY_DONE
            async with self._sessions() as session, session.begin():
                await store.upsert_messages(session, rows)
                if not threads:  # nothing else on this page: move on in the same commit
                    await store.record_progress(
                        session, swarm_id=swarm_id, history_cursor=following, threads_done=[]
                    )
            if not threads:
                cursor, threads_done = following, []
                continue
            for parent in threads:
                last_page = await self._collect_thread(
                    swarm_id, channel_id, parent, names, resume=resuming_thread
                )
                resuming_thread = False
                threads_done.append(parent)
                last = parent == threads[-1]
                # The thread's last page and the progress that covers it: one commit.
                async with self._sessions() as session, session.begin():
                    await store.upsert_messages(session, last_page)
                    await store.record_progress(
                        session,
                        swarm_id=swarm_id,
                        history_cursor=following if last else cursor,
                        threads_done=[] if last else threads_done,
                    )
            cursor, threads_done = following, []
            resuming_thread = False

    async def _collect_thread(
        self, swarm_id: int, channel_id: str, parent: str, names: UserNames, *, resume: bool
    ) -> list[dict[str, Any]]:
        """Store a thread's replies page by page; the last page's rows are returned for the caller to store
        with the progress record (most threads have one page: one commit each, not two)."""
        oldest: str | None = None
        if resume:
            async with self._sessions() as session:
                oldest = await store.last_reply(session, swarm_id=swarm_id, thread_ts=parent)
        cursor: str | None = None
        while True:
            messages, cursor = await self._gateway.replies_page(
                channel_id, parent, cursor, self.replies_limit, oldest=oldest
            )
            # Slack repeats the parent at the top of every page: it is stored from the history page.
            replies = [m for m in messages if str(m.get("ts")) != parent]
            await names.resolve(user for message in replies for user in people_to_name(message, names))
            rows = self._rows(replies, swarm_id, names)
            if cursor is None:
                return rows
            async with self._sessions() as session, session.begin():
                await store.upsert_messages(session, rows)

    def _rows(
        self, messages: Sequence[Mapping[str, Any]], swarm_id: int, names: UserNames
    ) -> list[dict[str, Any]]:
        return [
            row_values(message, swarm_id=swarm_id, names=names, redactor=self._redactor)
            for message in messages
            if message.get("ts")
        ]

    async def _render(self, swarm_id: int, channel_id: str) -> None:
        async with self._sessions() as session, session.begin():
            await store.clear_renderings(session, swarm_id=swarm_id)
            transcript = await store.transcript_of(session, swarm_id=swarm_id)
            channel_name, ticket_id = await store.swarm_labels(session, swarm_id=swarm_id)
        assert transcript is not None
        heading = TranscriptHeading(
            channel_name=channel_name,
            channel_id=channel_id,
            ticket_id=ticket_id,
            message_count=transcript.message_count,
            redactions=transcript.redactions,
            archived_at=self._clock.now().strftime("%Y-%m-%d %H:%M UTC"),
        )
        await render_parts(self._sessions, swarm_id=swarm_id, heading=heading)
        async with self._sessions() as session, session.begin():
            await store.mark_stored(session, swarm_id=swarm_id, now=self._clock.now())
