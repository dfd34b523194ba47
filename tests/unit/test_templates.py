"""Every template renders with sample data into blocks slack-sdk's models accept."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.escalate_form import FormStart
from bot.expert_directory import ExpertRecord, Skill
from bot.expert_ranking import Candidate, rank_for_skill
from bot.grammar import USAGE
from bot.handlers.escalate_modal import SEVERITY_OPTIONS
from bot.home import HomeSwarm, HomeTask, HomeView, SkillShift
from bot.rendering import render, render_view
from bot.shifts import WorkingHours
from bot.subcommands import ANYWHERE, IN_A_SWARM, USAGES
from bot.swarm_list import ListedSwarm, SwarmList
from bot.swarm_plan import UnknownSkill
from bot.swarm_views import InvitationView, PreviousTicket, RoleView, SwarmView, TaskView
from bot.swarms import OpenOutcome
from bot.updates import UpdateView

HOSTILE = 'He said "<!channel> & <@U999>" }]}\\ {{ 7*7 }} ' + "x" * 50


def task(**overrides):
    values = dict(
        id=1,
        position=1,
        title="Confirm the impact",
        role_key="commander",
        role_title="Escalation commander",
        due_at=datetime(2026, 11, 23, 15, 10, tzinfo=UTC),
        claimed_by=None,
        done=False,
        done_by=None,
        message_ts="1.0",
    )
    values.update(overrides)
    return TaskView(**values)


def ranking():
    expert = ExpertRecord(
        slack_id="U3",
        name="Bob",
        skills=(Skill("sre", 3),),
        tier="L3",
        timezone="Europe/Berlin",
        hours=WorkingHours.parse("09:00-18:00"),
        max_active_swarms=2,
    )
    return rank_for_skill(
        "sre", [Candidate(expert)], severity="sev1", now=datetime(2026, 11, 23, 3, tzinfo=UTC)
    )


NOW = datetime(2026, 11, 23, 15, tzinfo=UTC)
INVITATION = InvitationView(7, "U3", "postgres", "matched #postgres · on shift · 0 active swarms", "invited")


def swarm(**overrides):
    values = dict(
        id=1,
        ticket_id="ZD-4521",
        status="open",
        severity="sev1",
        category="outage",
        summary="Customer cannot log in",
        skills=("postgres", "billing"),
        customer="Acme",
        commander="U1",
        requested_by="U1",
        channel_id="C1",
        channel_name="esc-zd-4521",
        is_private=False,
        previous_tickets=(PreviousTicket("ZD-1", "sev2", "resolved", datetime(2026, 1, 2, tzinfo=UTC)),),
        playbook="outage",
        playbook_title="Customer-facing outage",
        roles=(
            RoleView("commander", "Escalation commander", "requester", "U1"),
            RoleView("liaison", HOSTILE, "claim", None),
        ),
        tasks=(task(), task(claimed_by="U2"), task(done=True, done_by="U2", title=HOSTILE)),
        invitations=(
            InvitationView(1, "U3", "postgres", "matched #postgres · on shift · 0 active swarms", "invited"),
        ),
    )
    values.update(overrides)
    return SwarmView(**values)


SAMPLES = {
    "messages/swarm_brief": [
        {"swarm": swarm()},
        {"swarm": swarm(customer=None, skills=(), summary="", previous_tickets=())},
        {"swarm": swarm(summary=HOSTILE, customer=HOSTILE, previous_tickets=())},
        {"swarm": swarm(source_link="https://acme.slack.com/archives/C1/p1700000000000100")},
    ],
    "messages/swarm_opened": [
        {"outcome": OpenOutcome(kind, swarm())} for kind in ("opened", "resumed", "linked", "in_progress")
    ]
    + [
        {
            "outcome": OpenOutcome(
                "opened", swarm(), (UnknownSkill("postgress", ("postgres",)),), frozenset({"postgres"})
            )
        },
        {"outcome": OpenOutcome("opened", swarm(commander="U9"), (UnknownSkill("x", ()),), frozenset())},
    ],
    "messages/error": [{"message": "Bad <input>", "hint": USAGE}, {"message": "No hint", "hint": None}],
    "messages/help": [
        {
            "usage": USAGE,
            "in_swarm": [USAGES[verb] for verb in IN_A_SWARM],
            "anywhere": [USAGES[verb] for verb in ANYWHERE],
        }
    ],
    "messages/checklist": [{"swarm": swarm()}, {"swarm": swarm(tasks=())}],
    "messages/task": [
        {"task": task()},
        {"task": task(claimed_by="U2", due_at=None)},
        {"task": task(done=True)},
    ],
    "messages/role_open": [
        {"role": RoleView("liaison", "Customer liaison", "claim", None), "description": HOSTILE},
        {"role": RoleView("liaison", "Customer liaison", "claim", "U2"), "description": ""},
    ],
    "messages/experts_pulled_in": [
        {
            "pulled": [{"user": "U3", "skill": "postgres", "reason": HOSTILE}],
            "nobody": [
                {"skill": "sre", "covered_by": ["U3"], "why": "", "notified": ""},
                {
                    "skill": "legal",
                    "covered_by": [],
                    "why": "nobody has #legal",
                    "notified": "<!subteam^S1|@leads>",
                },
                {"skill": "x", "covered_by": [], "why": "nobody has #x", "notified": ""},
            ],
        }
    ],
    "messages/expert_invitation": [{"swarm": swarm(), "invitation": INVITATION, "timeout": "15m"}],
    "messages/invitation_answered": [
        {"swarm": swarm(), "invitation": InvitationView(7, "U3", "postgres", "", status)}
        for status in ("accepted", "declined", "expired")
    ],
    "messages/expert_answer_note": [
        {
            "invitation": InvitationView(7, "U3", "pg", "", "accepted"),
            "next": None,
            "elapsed": "3m",
            "gap": "",
        },
        {
            "invitation": InvitationView(7, "U3", "pg", "", "declined"),
            "next": INVITATION,
            "elapsed": "",
            "gap": "",
        },
        {
            "invitation": InvitationView(7, "U3", "pg", "", "expired"),
            "next": None,
            "elapsed": "",
            "gap": "Nobody.",
        },
    ],
    "messages/stakeholder_broadcast": [
        {"swarm": swarm(), "event": event, "detail": HOSTILE}
        for event in ("opened", "update", "level", "sla", "resolved")
    ],
    "messages/notice": [{"line": "*Scribe* handed to <@U2>."}],
    "messages/reply": [{"line": "Added task 3."}],
    "messages/experts_list": [{"skill": "sre", "ranking": ranking()}],
    "messages/status_update": [
        {"swarm": swarm(), "update": UpdateView(author="U1", text=HOSTILE)},
        {
            "swarm": swarm(),
            "update": UpdateView(
                author="U1",
                text="",
                status="Monitoring",
                impact=HOSTILE,
                next_steps="Watch",
                next_update_at=datetime(2026, 11, 23, 16, tzinfo=UTC),
            ),
        },
    ],
    "messages/status_reminder": [
        {
            "swarm": swarm(),
            "since": "31m",
            "missed": missed,
            "reminded_at": datetime(2026, 11, 23, 16, tzinfo=UTC),
        }
        for missed in (1, 3)
    ],
    "messages/level_raised": [
        {
            "swarm": swarm(),
            "level": 2,
            "of": 5,
            "notified": "<!subteam^S1|@leads>",
            "message": "",
            "why": "raised",
        },
        {"swarm": swarm(), "level": 5, "of": 5, "notified": "", "message": "Still down", "why": "after 2bd"},
    ],
    "messages/sla_alert": [
        {
            "swarm": swarm(),
            "which": which,
            "stage": stage,
            "target": "1h",
            "at": datetime(2026, 11, 23, tzinfo=UTC),
        }
        for which in ("respond", "resolve")
        for stage in ("warning", "breach")
    ],
    "messages/resolved": [
        {
            "swarm": swarm(),
            "by": "U1",
            "resolution": HOSTILE,
            "root_cause": HOSTILE,
            "follow_ups": "",
            "archive_at": datetime(2026, 11, 23, 16, tzinfo=UTC),
        }
    ],
    "messages/review_prompt": [{"swarm": swarm(), "questions": ["What was the root cause?", HOSTILE]}],
    "messages/csat_survey": [
        {"swarm": swarm(), "answered": None, "commented": False},
        {"swarm": swarm(), "answered": 4, "commented": False},
        {"swarm": swarm(), "answered": 5, "commented": True},
    ],
    "messages/swarm_list": [
        {"listing": SwarmList((), 0)},
        {
            "listing": SwarmList(
                (
                    ListedSwarm("ZD-1", "sev1", HOSTILE, "C1", "U1", False, NOW, True),
                    ListedSwarm(HOSTILE[:60], "sev3", "", "C2", "U2", True, NOW, False),
                ),
                3,
            )
        },
    ],
    "messages/form_fallback": [
        {"start": FormStart()},
        {"start": FormStart(ticket="ZD-1", summary=HOSTILE, request_channel="C1", source_channel="C1")},
    ],
}

VIEWS = {
    "modals/status_update": [
        {"swarm": swarm(), "next_options": [("30", "30 minutes")], "next_default": "30"}
    ],
    "modals/resolve": [{"swarm": swarm(summary=HOSTILE)}],
    "modals/csat_comment": [{"swarm": swarm()}],
    "modals/escalate": [
        {"start": FormStart(), "severities": SEVERITY_OPTIONS, "categories": [], "tags": []},
        {
            "start": FormStart(
                ticket="ZD-4521",
                customer=HOSTILE[:100],
                summary=HOSTILE,
                severity="sev1",
                request_channel="C1",
                source_channel="C1",
                source_ts="1.000100",
            ),
            "severities": SEVERITY_OPTIONS,
            "categories": ["billing", "outage"],
            "tags": ["postgres", "sre"],
        },
    ],
    "home/home": [
        {"home": HomeView("U1", NOW, (), 0, (), (), False)},
        {
            "home": HomeView(
                "U1",
                NOW,
                (
                    HomeSwarm(
                        swarm(summary=HOSTILE), ("Escalation commander", HOSTILE), "first response", NOW, NOW
                    ),
                    HomeSwarm(swarm(channel_id=None, is_private=True), ("member",), None, None, None),
                ),
                4,
                (HomeTask("ZD-1", "C1", 2, HOSTILE, NOW), HomeTask("ZD-2", None, 1, "Call them", None)),
                (SkillShift("sre", ("U2", "U3"), ("U4",)), SkillShift("billing", (), ())),
                True,
            )
        },
    ],
}


def test_every_template_has_samples():
    root = Path(__file__).parents[2] / "bot" / "templates"
    names = {str(path.relative_to(root)).removesuffix(".json.j2") for path in root.rglob("*.json.j2")}
    assert names == set(SAMPLES) | set(VIEWS)


@pytest.mark.parametrize(
    ("name", "view"), [(name, view) for name, views in SAMPLES.items() for view in views]
)
def test_template_renders_blocks_that_slack_sdk_parses(name, view):
    message = render(name, **view)
    assert message["text"]
    assert 0 < len(message["blocks"]) <= 50
    for block in message["blocks"]:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def test_user_text_in_the_brief_is_escaped_and_never_pings():
    message = render("messages/swarm_brief", swarm=swarm(summary=HOSTILE, customer=HOSTILE))
    flat = str(message)
    assert "<!channel>" not in flat
    assert "<@U999>" not in flat
    assert "&lt;!channel&gt;" in flat
    assert "{{ 7*7 }}" in flat  # user text is data, never a template


@pytest.mark.parametrize(("name", "view"), [(name, view) for name, views in VIEWS.items() for view in views])
def test_view_templates_render_views_that_slack_sdk_accepts(name, view):
    rendered = render_view(name, **view)
    parsed = View(**rendered)
    parsed.validate_json()
    assert all(Block.parse(block) is not None for block in rendered["blocks"])


def test_user_text_on_the_home_tab_never_pings_and_the_form_keeps_it_as_typed():
    home = HomeView(
        "U1", NOW, (HomeSwarm(swarm(summary=HOSTILE), (HOSTILE,), None, None, None),), 0, (), (), True
    )
    flat = json.dumps(render_view("home/home", home=home), ensure_ascii=False)
    assert "<!channel>" not in flat and "<@U999>" not in flat
    assert "&lt;!channel&gt;" in flat
    form = render_view(
        "modals/escalate",
        start=FormStart(summary=HOSTILE, customer=HOSTILE[:100]),
        severities=SEVERITY_OPTIONS,
        categories=[],
        tags=[],
    )
    summary = next(block for block in form["blocks"] if block.get("block_id") == "summary")
    assert summary["element"]["initial_value"] == HOSTILE  # plain text: shown literally, never parsed
