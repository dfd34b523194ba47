"""Every kind of playbook error: a tiny YAML, and the exact line, field and reason it must produce."""

from pathlib import Path
from textwrap import dedent

import pytest

from bot.durations import parse_duration
from bot.playbooks import NotifyTarget, Playbook, RoleFill, parse_playbook

PATH = Path("tiny.yaml")
# Five lines; whatever a test appends starts on line 6.
HEADER = """\
name: tiny
title: Tiny
order: 1
roles:
  - {key: commander, title: Commander, fill: requester}
"""


def problems(text):
    """(line, field, reason) for each issue `text` has; it must not validate."""
    playbook, issues = parse_playbook(dedent(text), path=PATH)
    assert playbook is None, "expected the playbook to be rejected"
    assert all(issue.file == PATH for issue in issues)
    return [(issue.line, issue.field, issue.reason) for issue in issues]


def valid(text) -> Playbook:
    playbook_file, issues = parse_playbook(dedent(text), path=PATH)
    assert issues == []
    assert playbook_file is not None
    return playbook_file.playbook


def test_the_design_example_validates_into_typed_values():
    playbook = valid(
        """\
        name: outage
        title: Customer-facing outage
        order: 10
        match:
          categories: [outage]
          severities: [sev1, sev2]
        private: false
        roles:
          - {key: commander, title: Escalation commander, fill: requester}
          - {key: liaison, title: Customer liaison, fill: claim}
        experts:
          - {skill: sre, count: 2}
        tasks:
          - {title: Confirm scope and customer impact, role: commander}
          - {title: Send the first customer update, role: liaison, due: 15m}
        status_updates:
          every: {sev1: 30m, sev2: 1h, sev3: 4h, sev4: 1d}
          remind: commander
          missed_before_escalating: 2
        escalation:
          - {after: 30m, notify: ["usergroup:support-leads"]}
          - {after: 2h, notify: ["usergroup:eng-managers", "channel:escalations-feed"]}
        sla: {respond: {sev1: 15m, sev2: 1h}, resolve: {sev1: 4h, sev2: 1d}}
        stakeholders: {channel: escalations-feed, notify_roles: [csm, account_exec]}
        on_resolve: {review: ["What was the root cause?", "What will prevent a repeat?"], csat: true}
        """
    )
    assert playbook.commander.fill == RoleFill("requester")
    assert playbook.role("liaison").fill == RoleFill("claim")
    assert playbook.tasks[1].due == parse_duration("15m")
    assert playbook.status_updates is not None
    assert playbook.status_updates.every["sev1"] == parse_duration("30m")
    assert playbook.escalation[1].notify == (
        NotifyTarget("usergroup", "eng-managers"),
        NotifyTarget("channel", "escalations-feed"),
    )
    assert playbook.on_resolve.csat is True


def test_a_minimal_playbook_gets_sensible_defaults():
    playbook = valid(HEADER)
    assert playbook.private is False
    assert playbook.match is None
    assert playbook.effective_match.fits(category=None, severity="sev4", customer_tier=None)
    assert playbook.tasks == ()
    assert playbook.on_resolve.csat is False


def test_role_fills_and_targets_parse_into_kind_and_name():
    playbook = valid(
        HEADER
        + "  - {key: sre, title: SRE, fill: 'skill:sre'}\n"
        + "  - {key: lead, title: Lead, fill: 'usergroup:support-leads'}\n"
        + "escalation:\n"
        + "  - {after: 15m, notify: ['user:U0123ABCD', 'role:lead', 'channel:feed', 'usergroup:leads']}\n"
    )
    assert [str(role.fill) for role in playbook.roles] == [
        "requester",
        "skill:sre",
        "usergroup:support-leads",
    ]
    assert [target.kind for target in playbook.escalation[0].notify] == [
        "user",
        "role",
        "channel",
        "usergroup",
    ]


def test_a_playbook_round_trips_to_the_plain_yaml_values():
    playbook = valid(HEADER + "tasks:\n  - {title: Call, role: commander, due: 2bd}\n")
    dumped = playbook.model_dump(mode="json", exclude_defaults=True)
    assert dumped["tasks"] == [{"title": "Call", "role": "commander", "due": "2bd"}]
    assert dumped["roles"] == [{"key": "commander", "title": "Commander", "fill": "requester"}]


# Unknown and missing keys


def test_an_unknown_top_level_key_is_named_with_a_suggestion():
    assert problems(HEADER + "privat: true\n") == [
        (6, "privat", "unknown key `privat` (did you mean `private`?)")
    ]


def test_an_unknown_nested_key_lists_the_keys_allowed_there():
    assert problems(HEADER + "stakeholders: {channel: feed, audience: all}\n") == [
        (6, "stakeholders.audience", "unknown key `audience`; the keys here are channel, notify_roles")
    ]


def test_an_unknown_key_inside_a_list_item_is_found_through_the_list():
    assert problems(HEADER.replace("fill: requester", "fill: requester, owner: me")) == [
        (5, "roles[0].owner", "unknown key `owner`; the keys here are key, title, description, fill")
    ]


def test_an_unquoted_comma_in_a_flow_mapping_is_explained():
    text = HEADER + "tasks:\n  - {title: Call, then email, role: commander}\n"
    assert problems(text) == [
        (
            7,
            "tasks[0].then email",
            "unknown key `then email`: "
            "if this is the rest of a text containing a comma, put the text in quotes",
        )
    ]


def test_a_missing_required_key_points_at_the_mapping_that_lacks_it():
    assert problems(HEADER.replace("title: Tiny\n", "")) == [(1, "title", "is required but missing")]
    assert problems(HEADER.replace("title: Commander, ", "")) == [
        (5, "roles[0].title", "is required but missing")
    ]


# Types


@pytest.mark.parametrize(
    ("yaml_line", "line", "field", "reason"),
    [
        ("title: [a, b]", 5, "title", "must be text, not a list"),
        ("title:", 5, "title", "must be text, not nothing (an empty value)"),
        ("title: '  '", 5, "title", "must not be empty"),
        ("title: yes", 5, "title", "must be text, not `true`: put the text in quotes"),
        ("order: ten", 5, "order", "must be a whole number, not `ten`"),
        ("order: 1.5", 5, "order", "must be a whole number, not the number 1.5"),
        ("private: maybe", 6, "private", "must be true or false, not `maybe`"),
        ("match: outage", 6, "match", "must be a mapping of keys to values, not `outage`"),
        ("experts: {skill: sre}", 6, "experts", "must be a list, not a mapping"),
    ],
)
def test_a_value_of_the_wrong_type_says_what_was_expected_and_what_was_given(yaml_line, line, field, reason):
    key = yaml_line.split(":")[0]
    kept = [existing for existing in HEADER.splitlines() if not existing.startswith(f"{key}:")]
    assert problems("\n".join([*kept, yaml_line]) + "\n") == [(line, field, reason)]


def test_an_empty_roles_list_is_refused():
    assert problems("name: tiny\ntitle: Tiny\norder: 1\nroles: []\n") == [
        (4, "roles", "must list at least 1")
    ]


# Names


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        (
            "name: Outage",
            "name",
            "`Outage` is not a valid playbook name: use lowercase letters a-z, digits, `-` and `_` "
            "(starting with a letter or digit)",
        ),
        ("name: " + "a" * 81, "name", "a playbook name may be at most 80 characters long"),
    ],
)
def test_a_playbook_name_must_be_a_slug(line, field, reason):
    assert problems(HEADER.replace("name: tiny", line)) == [(1, field, reason)]


def test_a_channel_name_written_with_a_hash_is_refused_with_the_fix():
    assert problems(HEADER + "stakeholders: {channel: '#feed'}\n") == [
        (6, "stakeholders.channel", "write the channel name without `#`: `feed`")
    ]


# Match


def test_a_severity_outside_sev1_to_sev4_is_refused():
    assert problems(HEADER + "match: {severities: [sev1, sev5]}\n") == [
        (6, "match.severities[1]", "must be one of sev1, sev2, sev3 or sev4, not `sev5`")
    ]


def test_an_empty_match_list_is_refused_because_it_would_match_nothing():
    assert problems(HEADER + "match: {categories: []}\n") == [
        (6, "match.categories", "an empty list matches nothing: leave the key out to match any category")
    ]


def test_a_value_listed_twice_in_a_match_is_refused():
    assert problems(HEADER + "match: {customer_tiers: [gold, gold]}\n") == [
        (6, "match.customer_tiers", "lists gold more than once")
    ]


# Roles


@pytest.mark.parametrize(
    ("fill", "reason"),
    [
        (
            "anyone",
            "`anyone` is not a way to fill a role: use requester, claim, skill:TAG or usergroup:HANDLE",
        ),
        ("'skill:'", "`skill:` needs a name after the colon, e.g. `skill:sre`"),
        (
            "'skill:Postgres'",
            "`Postgres` is not a valid skill tag: use lowercase letters a-z, digits, `-` and `_` "
            "(starting with a letter or digit)",
        ),
        ("'usergroup:@leads'", "write the user group handle without `@`: `leads`"),
        ("[claim]", "must be text like `skill:sre`, not a list"),
    ],
)
def test_a_role_fill_must_be_one_of_the_four_forms(fill, reason):
    assert problems(HEADER + f"  - {{key: x, title: X, fill: {fill}}}\n") == [(6, "roles[1].fill", reason)]


def test_role_keys_must_be_unique():
    assert problems(HEADER + "  - {key: commander, title: Second, fill: claim}\n") == [
        (6, "roles[1].key", "duplicate role key `commander` (also roles[0])")
    ]


def test_exactly_one_role_must_be_the_commander():
    text = HEADER.replace("key: commander", "key: lead")
    assert problems(text) == [
        (4, "roles", "needs a role with key `commander` (who owns the swarm); found lead")
    ]


# Experts and tasks


def test_an_expert_count_must_be_at_least_one():
    assert problems(HEADER + "experts: [{skill: sre, count: 0}]\n") == [
        (6, "experts[0].count", "must be at least 1, not the number 0")
    ]


def test_a_skill_listed_twice_among_experts_is_refused():
    assert problems(HEADER + "experts:\n  - {skill: sre}\n  - {skill: sre, count: 2}\n") == [
        (8, "experts[1].skill", "`sre` is listed twice: raise its `count` instead")
    ]


def test_a_task_must_be_owned_by_a_defined_role():
    assert problems(
        HEADER + "tasks:\n  - {title: Call, role: commander}\n  - {title: Mail, role: liaison}\n"
    ) == [(8, "tasks[1].role", "`liaison` is not a role of this playbook; its roles are commander")]


def test_a_bad_due_offset_carries_the_duration_reason():
    assert problems(HEADER + "tasks:\n  - {title: Call, role: commander, due: 1.5h}\n") == [
        (7, "tasks[0].due", "`1.5h` is not a whole number: write 90m")
    ]


# Status updates


def test_status_reminders_must_go_to_a_defined_role():
    text = HEADER + "status_updates:\n  every: {sev1: 1h, sev2: 1h, sev3: 1h, sev4: 1h}\n  remind: scribe\n"
    assert problems(text) == [
        (8, "status_updates.remind", "`scribe` is not a role of this playbook; its roles are commander")
    ]


def test_a_cadence_is_needed_for_every_severity_the_playbook_matches():
    text = HEADER + "match: {severities: [sev1, sev2]}\nstatus_updates:\n  every: {sev1: 30m}\n"
    assert problems(text) == [
        (8, "status_updates.every", "gives no cadence for sev2, which this playbook matches")
    ]


def test_a_cadence_for_an_unknown_severity_names_the_key():
    text = HEADER + "status_updates:\n  every: {sev1: 1h, sev2: 1h, sev3: 1h, sev4: 1h, critical: 5m}\n"
    assert problems(text) == [
        (7, "status_updates.every.critical", "must be one of sev1, sev2, sev3 or sev4, not `critical`")
    ]


def test_a_cadence_without_a_unit_is_refused():
    text = HEADER + "status_updates:\n  every: {sev1: 30, sev2: 1h, sev3: 1h, sev4: 1h}\n"
    assert problems(text) == [
        (
            7,
            "status_updates.every.sev1",
            "`30` needs a unit, e.g. 30m; units are s (seconds), m (minutes), h (hours), d (days) or bd "
            "(business days)",
        )
    ]


def test_missed_updates_before_escalating_must_be_at_least_one():
    text = HEADER + "status_updates:\n  every: {sev1: 1h, sev2: 1h, sev3: 1h, sev4: 1h}\n"
    assert problems(text + "  missed_before_escalating: 0\n") == [
        (8, "status_updates.missed_before_escalating", "must be at least 1, not the number 0")
    ]


# Escalation


def test_escalation_levels_must_come_strictly_later():
    text = (
        HEADER
        + "escalation:\n  - {after: 1h, notify: ['usergroup:a']}\n  - {after: 60m, notify: ['usergroup:b']}\n"
    )
    assert problems(text) == [
        (
            8,
            "escalation[1].after",
            "must be later than the level before (1h): each `after` counts from the opening",
        )
    ]


def test_a_wall_clock_level_cannot_follow_a_business_day_level():
    text = (
        HEADER
        + "escalation:\n  - {after: 1bd, notify: ['usergroup:a']}\n  - {after: 5d, notify: ['usergroup:b']}\n"
    )
    assert problems(text) == [
        (
            8,
            "escalation[1].after",
            "a wall-clock time cannot follow business days, which stretch over weekends and holidays",
        )
    ]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (
            "support-leads",
            "`support-leads` is not a notify target: "
            "use user:U123ABC, usergroup:HANDLE, channel:NAME or role:KEY",
        ),
        ("user:alice", "`alice` is not a Slack user ID: IDs look like U0123ABCD"),
        ("channel:#feed", "write the channel name without `#`: `feed`"),
        (
            "usergroup:Leads",
            "`Leads` is not a valid user group handle: use lowercase letters a-z, digits, `-` and `_` "
            "(starting with a letter or digit)",
        ),
    ],
)
def test_a_notify_target_must_name_its_kind_and_a_valid_name(target, reason):
    text = HEADER + f"escalation:\n  - after: 15m\n    notify: ['{target}']\n"
    assert problems(text) == [(8, "escalation[0].notify[0]", reason)]


def test_a_role_target_must_name_a_defined_role():
    text = HEADER + "escalation:\n  - after: 15m\n    notify: ['usergroup:leads', 'role:sponsor']\n"
    assert problems(text) == [
        (8, "escalation[0].notify[1]", "`sponsor` is not a role of this playbook; its roles are commander")
    ]


def test_an_escalation_level_must_notify_someone():
    assert problems(HEADER + "escalation:\n  - {after: 15m, notify: []}\n") == [
        (7, "escalation[0].notify", "must list at least 1")
    ]


def test_a_message_template_with_a_syntax_error_is_refused_at_load_time():
    text = (
        HEADER + "escalation:\n  - after: 15m\n    notify: ['usergroup:a']\n    message: '{{ ticket_id }'\n"
    )
    assert problems(text) == [
        (9, "escalation[0].message", "template syntax error on line 1 of the message: unexpected '}'")
    ]


def test_a_message_template_using_an_unknown_variable_is_refused_with_a_suggestion():
    text = (
        HEADER
        + "escalation:\n  - after: 15m\n    notify: ['usergroup:a']\n    message: 'Help {{ ticket }}'\n"
    )
    [(line, field, reason)] = problems(text)
    assert (line, field) == (9, "escalation[0].message")
    assert reason.startswith(
        "the template uses an unknown variable `ticket` (did you mean `ticket_id`?); known: "
    )


# SLA


def test_a_resolve_target_must_be_longer_than_the_respond_target():
    assert problems(HEADER + "sla: {respond: {sev1: 1h}, resolve: {sev1: 30m}}\n") == [
        (6, "sla.resolve.sev1", "must be longer than the sev1 respond target (1h)")
    ]


def test_sla_targets_once_given_must_cover_every_matched_severity():
    text = HEADER + "match: {severities: [sev1, sev2]}\nsla: {respond: {sev1: 15m}}\n"
    assert problems(text) == [
        (7, "sla.respond", "gives no respond target for sev2, which this playbook matches")
    ]


# Order, default and privacy


def test_an_ordered_playbook_needs_an_order():
    assert problems(HEADER.replace("order: 1\n", "")) == [
        (1, "order", "is required: playbooks are tried by ascending `order` (or mark one `default: true`)")
    ]


def test_the_default_playbook_takes_no_order_and_no_match():
    text = HEADER + "default: true\nmatch: {categories: [outage]}\n"
    assert problems(text) == [
        (3, "order", "the default playbook is tried last, after every ordered one: remove `order`"),
        (7, "match", "the default playbook is the fallback for anything unmatched: remove `match`"),
    ]


@pytest.mark.parametrize("category", ["fraud", "security", "compliance"])
def test_a_playbook_for_a_sensitive_category_must_be_private(category):
    assert problems(HEADER + f"match: {{categories: [{category}]}}\n") == [
        (
            1,
            "private",
            f"must be true: this playbook matches {category}, whose details belong in a private channel",
        )
    ]


# YAML itself


def test_a_duplicate_yaml_key_is_an_error_rather_than_silently_overwritten():
    assert problems(HEADER + "title: Again\n") == [(6, "title", "duplicate key `title` (first on line 2)")]


def test_malformed_yaml_gives_the_line_and_a_hint():
    assert problems(HEADER.replace("title: Tiny", "title: Outage: API down")) == [
        (2, "", "YAML syntax: mapping values are not allowed here: put quotes around text that contains `: `")
    ]


def test_tabs_for_indentation_are_explained():
    [(line, field, reason)] = problems(HEADER + "match:\n\tcategories: [a]\n")
    assert (line, field) == (7, "")
    assert reason.endswith("indent with spaces, not tabs")


def test_two_documents_in_one_file_are_refused():
    assert problems(HEADER + "---\n" + HEADER) == [
        (6, "", "holds more than one YAML document: put one playbook in each file")
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", None, "is empty: a playbook needs at least name, title, roles"),
        ("# only a comment\n", None, "is empty: a playbook needs at least name, title, roles"),
        (
            "- name: tiny\n",
            1,
            "must be a mapping of playbook keys (name, title, roles, …) at the top level, not a list or text",
        ),
    ],
)
def test_a_file_that_is_not_a_playbook_mapping_is_refused(text, line, reason):
    assert problems(text) == [(line, "", reason)]


def test_every_problem_in_a_file_is_reported_at_once():
    text = HEADER + "experts: [{skill: SRE}]\ntasks: [{title: x, role: ghost}]\nprivat: true\n"
    assert [field for _, field, _ in problems(text)] == ["experts[0].skill", "tasks[0].role", "privat"]
