"""Property-based: whatever text Slack sends for `/escalate`, the grammar answers a request or explains."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import InvalidCommand
from bot.grammar import SEVERITIES, SUMMARY_MAX, TICKET_MAX, Help, OpenSwarm, SwarmCommand, parse
from bot.subcommands import parse_swarm_command

CATEGORIES = frozenset({"outage", "billing", "security"})
WORDS = st.sampled_from(
    [
        "ZD-1",
        "zd-4521",
        "sev1",
        "SEV-2",
        "sev9",
        "#postgres",
        "#Bad!",
        "<#C1|billing>",
        "<#C1>",
        "customer:Acme",
        'customer:"Acme Corp"',
        "customer:",
        "outage",
        "help",
        "resolve",
        "task",
        "role",
        "<@U1|bob>",
        "<!channel>",
        "&amp;",
        "&lt;",
        "ü",
        "日本",
        "x" * 70,
        "",
        "update",
        "sev",
        "up",
        "add",
        "experts",
        "reopen",
        "list",
    ]
)
TEXT = st.one_of(
    st.text(max_size=600),
    st.lists(WORDS, max_size=12).map(" ".join),
    st.lists(st.one_of(WORDS, st.text(max_size=20)), max_size=12).map(" ".join),
)


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_any_text_parses_to_a_request_or_an_explained_rejection(text):
    try:
        request = parse(text, categories=CATEGORIES)
    except InvalidCommand as rejection:
        assert rejection.message.strip()
        return
    if isinstance(request, OpenSwarm):
        assert request.severity in SEVERITIES
        assert 0 < len(request.ticket_id) <= TICKET_MAX and request.ticket_id.isascii()
        assert len(request.summary) <= SUMMARY_MAX
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9_-]*", tag) for tag in request.skills)
        assert request.category is None or request.category in CATEGORIES
    elif isinstance(request, SwarmCommand):
        try:
            parse_swarm_command(request)
        except InvalidCommand as rejection:
            assert rejection.message.strip()
    else:
        assert isinstance(request, Help)
