"""Crisis playbooks: the YAML format, loading with precise errors, and choosing one for an escalation.

library = load_library(settings.swarmbot_playbooks_dir)
playbook = library.select("outage", "sev1", customer_tier="enterprise")
"""

from __future__ import annotations

from bot.playbooks.fields import SEVERITIES, NotifyTarget, RoleFill, Severity
from bot.playbooks.issues import PlaybookIssue, PlaybookLoadError
from bot.playbooks.library import PlaybookLibrary
from bot.playbooks.loader import (
    BUNDLED_DIR,
    LibraryReport,
    check_library,
    load_library,
    load_playbook_file,
    parse_playbook,
)
from bot.playbooks.match import Match
from bot.playbooks.schema import (
    EscalationLevel,
    Expert,
    OnResolve,
    Playbook,
    Role,
    Sla,
    Stakeholders,
    StatusUpdates,
    Task,
)
from bot.playbooks.templates import (
    ESCALATION_MESSAGE_VARIABLES,
    AuthorTemplate,
    TemplateRenderError,
    render_author_template,
)

__all__ = [
    "BUNDLED_DIR",
    "ESCALATION_MESSAGE_VARIABLES",
    "SEVERITIES",
    "AuthorTemplate",
    "EscalationLevel",
    "Expert",
    "LibraryReport",
    "Match",
    "NotifyTarget",
    "OnResolve",
    "Playbook",
    "PlaybookIssue",
    "PlaybookLibrary",
    "PlaybookLoadError",
    "Role",
    "RoleFill",
    "Severity",
    "Sla",
    "Stakeholders",
    "StatusUpdates",
    "Task",
    "TemplateRenderError",
    "check_library",
    "load_library",
    "load_playbook_file",
    "parse_playbook",
    "render_author_template",
]
