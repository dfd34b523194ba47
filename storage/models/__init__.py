"""The source of truth: tickets, swarms, participants, the audit timeline, jobs, experts, roles and tasks.

One module per area; every model is importable from here, as Alembic and the code expect. Every model
change ships an Alembic revision in storage/migrations/versions/.
"""

from storage.models.base import NAMING_CONVENTION, Base
from storage.models.experts import Expert, ExpertSkill
from storage.models.runtime import Job, SlackEvent
from storage.models.swarms import (
    Invitation,
    Participant,
    RoleAssignment,
    StatusUpdate,
    Swarm,
    Task,
    Ticket,
    TimelineEntry,
)
from storage.models.transcripts import Transcript, TranscriptMessage, TranscriptRendering

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "Expert",
    "ExpertSkill",
    "Invitation",
    "Job",
    "Participant",
    "RoleAssignment",
    "SlackEvent",
    "StatusUpdate",
    "Swarm",
    "Task",
    "Ticket",
    "TimelineEntry",
    "Transcript",
    "TranscriptMessage",
    "TranscriptRendering",
]
