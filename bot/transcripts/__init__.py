"""Transcripts: a swarm channel's whole conversation, redacted, stored in order and rendered.

`TranscriptArchive.collect` reads the channel through the gateway into storage (resumable, idempotent);
`transcript_record` and `transcript_text` read it back for the ticket record and the connectors;
`Redactor` decides what never reaches storage.
"""

from bot.transcripts.archive import TranscriptArchive, TranscriptSummary
from bot.transcripts.redaction import Redactor
from bot.transcripts.store import transcript_record, transcript_text

__all__ = ["Redactor", "TranscriptArchive", "TranscriptSummary", "transcript_record", "transcript_text"]
