from dataclasses import replace
from datetime import UTC, datetime
from textwrap import dedent

import pytest

from bot.expert_directory import ExpertRecord, Skill, diff_directory
from bot.expert_file import ExpertFileError, InvalidExpertFile, parse_expert_file
from bot.shifts import WorkingHours, load_timezone

VALID = """\
experts:
  - slack_id: U01ANA
    name: Ana Lima
    skills: [postgres, {tag: billing, proficiency: 3}]
    tier: L3
    timezone: Europe/Berlin
    hours: "09:00-18:00"
    max_active_swarms: 2
  - slack_id: U02BO
    name: Bo Chen
    skills:
      - tag: sre
        proficiency: 1
      - postgres
    tier: L2
    timezone: America/New_York
    hours: 22:00-06:00
    max_active_swarms: 1
    out_of_office_until: 2026-12-01
"""


def errors_of(text: str) -> list[tuple[int, str]]:
    with pytest.raises(InvalidExpertFile) as caught:
        parse_expert_file(dedent(text))
    return [(error.line, error.reason) for error in caught.value.errors]


def only_error(text: str) -> tuple[int, str]:
    errors = errors_of(text)
    assert len(errors) == 1, errors
    return errors[0]


def row(**changes: str) -> str:
    """One valid row (lines 2-8 of the file) with some values replaced; a value of "-" drops the field."""
    fields = {
        "slack_id": "U01ANA",
        "name": "Ana Lima",
        "skills": "[postgres]",
        "tier": "L3",
        "timezone": "Europe/Berlin",
        "hours": '"09:00-18:00"',
        "max_active_swarms": "2",
    } | changes
    lines = [f"{key}: {value}" for key, value in fields.items() if value != "-"]
    return "experts:\n  - " + "\n    ".join(lines) + "\n"


def test_valid_file_reads_into_typed_records():
    ana, bo = parse_expert_file(VALID)
    assert ana == ExpertRecord(
        slack_id="U01ANA",
        name="Ana Lima",
        skills=(Skill("billing", 3), Skill("postgres", 2)),
        tier="L3",
        timezone="Europe/Berlin",
        hours=WorkingHours.parse("09:00-18:00"),
        max_active_swarms=2,
    )
    assert bo.skills == (Skill("postgres", 2), Skill("sre", 1))
    assert bo.hours.overnight


def test_out_of_office_date_means_back_at_local_midnight():
    bo = parse_expert_file(VALID)[1]
    assert bo.out_of_office_until == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 00:00 in New York (EST)


def test_out_of_office_datetime_without_offset_is_read_in_the_persons_timezone():
    (ana,) = parse_expert_file(row(out_of_office_until="2026-07-01T14:30"))
    assert ana.out_of_office_until == datetime(2026, 7, 1, 14, 30, tzinfo=load_timezone("Europe/Berlin"))
    (ana,) = parse_expert_file(row(out_of_office_until='"2026-07-01T14:30Z"'))
    assert ana.out_of_office_until == datetime(2026, 7, 1, 14, 30, tzinfo=UTC)


def test_empty_out_of_office_means_in_the_office():
    (ana,) = parse_expert_file(row(out_of_office_until=""))
    assert ana.out_of_office_until is None


def test_yaml_surprises_are_read_as_written():
    (ana,) = parse_expert_file(row(name="no", skills="[on, 'off', '2fa']", hours="22:00-06:00"))
    assert ana.name == "no"
    assert [skill.tag for skill in ana.skills] == ["2fa", "off", "on"]


def test_an_empty_experts_list_imports_nobody():
    assert parse_expert_file("experts: []\n") == ()
    assert parse_expert_file("experts:\n") == ()


def test_unknown_tier_names_its_line():
    assert only_error(row(tier="L5")) == (5, "unknown tier 'L5'; use one of L1, L2, L3, L4")


def test_lowercase_tier_is_unknown():
    assert only_error(row(tier="l2"))[0] == 5


def test_unknown_timezone_names_its_line_and_a_close_match():
    assert only_error(row(timezone="Europe/Berln")) == (
        6,
        "unknown timezone 'Europe/Berln'; did you mean 'Europe/Berlin'?",
    )


def test_timezone_abbreviation_that_is_not_an_iana_name_is_refused():
    assert only_error(row(timezone="CEST"))[0] == 6


@pytest.mark.parametrize(
    ("hours", "reason"),
    [
        ('"9-18"', "bad hours: '9-18' is not working hours"),
        ('"25:00-06:00"', "bad hours: '25:00-06:00' has 25:00, but the day ends at 24:00"),
        ('"09:75-18:00"', "bad hours: '09:75-18:00' has 09:75, but minutes go from 00 to 59"),
        ('"09:00-09:00"', "bad hours: '09:00-09:00' starts and ends at the same time"),
        ("900", "bad hours: '900' is not working hours"),
    ],
)
def test_bad_hours_name_their_line(hours: str, reason: str):
    line, message = only_error(row(hours=hours))
    assert line == 7
    assert message.startswith(reason)


def test_duplicate_slack_id_names_both_lines():
    text = VALID + "  - " + row(slack_id="U01ANA").split("  - ", 1)[1]
    assert only_error(text) == (20, "slack_id U01ANA is already used on line 2")


def test_duplicate_slack_id_is_reported_even_when_the_rows_have_other_problems():
    text = row(tier="L9") + "  - " + row(hours="x").split("  - ", 1)[1]
    assert [line for line, _ in errors_of(text)] == [5, 9, 14]


def test_missing_fields_are_listed_on_the_rows_first_line():
    assert only_error(row(tier="-", hours="-")) == (2, "U01ANA is missing tier, hours")


def test_missing_slack_id_says_this_person():
    assert only_error(row(slack_id="-")) == (2, "this person is missing slack_id")


def test_unknown_field_suggests_the_closest_known_one():
    assert only_error(row(tiers="L3")) == (9, "unknown field 'tiers'; did you mean tier?")


def test_proficiency_outside_a_skill_says_where_it_belongs():
    assert only_error(row(proficiency="3")) == (
        9,
        "unknown field 'proficiency'; proficiency belongs to a skill, "
        "like skills: [{tag: postgres, proficiency: 3}]",
    )


def test_a_field_given_twice_names_both_lines():
    text = row() + "    tier: L2\n"
    assert only_error(text) == (9, "tier is given twice (lines 5 and 9)")


@pytest.mark.parametrize(
    ("slack_id", "line"),
    [("u01ana", 2), ('"<@U01ANA>"', 2), ("C0123", 2), ("[U1, U2]", 2)],
)
def test_slack_id_must_be_a_member_id(slack_id: str, line: int):
    assert only_error(row(slack_id=slack_id))[0] == line


def test_empty_name_is_refused():
    assert only_error(row(name='""')) == (3, "name is empty")


@pytest.mark.parametrize(
    ("skills", "reason"),
    [
        ("[Postgres]", "bad skill tag 'Postgres'"),
        ("['#postgres']", "bad skill tag '#postgres'"),
        ("[pg sql]", "bad skill tag 'pg sql'"),
        ("[" + "a" * 41 + "]", "is longer than 40 characters"),
        ("[]", "skills should be a non-empty list"),
        ("postgres", "skills should be a non-empty list"),
        ("[postgres, postgres]", "skill postgres is listed twice"),
        ("[[postgres]]", "a skill should be a tag or"),
        ("[{proficiency: 2}]", "this skill has no tag"),
        ("[{tag: postgres, level: 2}]", "a skill has only tag and proficiency, not 'level'"),
    ],
)
def test_bad_skills_are_refused_on_their_line(skills: str, reason: str):
    line, message = only_error(row(skills=skills))
    assert line == 4
    assert reason in message


@pytest.mark.parametrize("level", ["0", "4", "'3'", "2.5", "high", "0x3"])
def test_proficiency_must_be_one_two_or_three(level: str):
    line, message = only_error(row(skills=f"[{{tag: postgres, proficiency: {level}}}]"))
    assert line == 4
    assert message.startswith("proficiency should be 1, 2 or 3")


def test_a_skill_on_its_own_line_is_reported_on_that_line():
    text = row(skills="\n      - postgres\n      - tag: BAD\n        proficiency: 2")
    assert only_error(text) == (
        6,
        "bad skill tag 'BAD': use lowercase a-z, 0-9, '-' and '_', starting with a letter or digit",
    )


@pytest.mark.parametrize("count", ["0", "-1", "1.5", "'2'", "two", "0x10", "1:30", ""])
def test_max_active_swarms_must_be_a_positive_whole_number(count: str):
    line, message = only_error(row(max_active_swarms=count))
    assert line == 8
    assert message.startswith("max_active_swarms should be a whole number of 1 or more")


def test_bad_out_of_office_names_its_line():
    line, message = only_error(row(out_of_office_until="next week"))
    assert (line, message.split(",")[0]) == (
        9,
        "out_of_office_until should be a date like 2026-12-01 or a datetime like 2026-12-01T09:00+01:00",
    )


def test_every_error_in_every_row_is_reported_in_line_order():
    text = """\
    experts:
      - slack_id: U01ANA
        name: Ana
        skills: [Postgres]
        tier: L9
        timezone: Mars/Olympus
        hours: "09:00"
        max_active_swarms: 0
      - just a string
      - slack_id: U03CY
        name: Cy
    """
    assert [line for line, _ in errors_of(text)] == [4, 5, 6, 7, 8, 9, 10]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "experts:\n  - slack_id: U1\n    skills: [a, b\n",
            4,
            "the YAML is malformed: while parsing a flow sequence that began on line 3, expected ',' or ']'",
        ),
        ("experts:\n  - slack_id: U1\n\tname: Ana\n", 3, "the YAML is malformed"),
        ("experts:\n  - name: 'Ana\n", 3, "the YAML is malformed"),
        ("experts: []\n---\nexperts: []\n", 2, "the YAML is malformed: expected a single document"),
    ],
)
def test_malformed_yaml_gives_the_line_and_reason(text: str, line: int, reason: str):
    found_line, message = only_error(text)
    assert found_line == line
    assert message.startswith(reason)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "the file is empty"),
        ("# only a comment\n", 1, "the file is empty"),
        ("- slack_id: U1\n", 1, "the top level is a list"),
        ("people:\n  - slack_id: U1\n", 1, "unknown top-level key 'people'"),
        ("experts: []\nversion: 2\n", 2, "unknown top-level key 'version'"),
        ("experts: U1\n", 1, "experts: should be a list, not the value 'U1'"),
        ("experts: []\nexperts: []\n", 2, "experts: appears twice"),
        ("experts:\n  - [U1, Ana]\n", 2, "each entry under experts: should be a person"),
    ],
)
def test_a_top_level_that_is_not_an_experts_list_is_refused(text: str, line: int, reason: str):
    found_line, message = only_error(text)
    assert found_line == line
    assert message.startswith(reason)


def test_the_exception_lists_every_problem_one_per_line():
    with pytest.raises(InvalidExpertFile) as caught:
        parse_expert_file(row(tier="L9", hours="x"))
    assert str(caught.value).splitlines() == [
        "line 5: unknown tier 'L9'; use one of L1, L2, L3, L4",
        str(ExpertFileError(7, caught.value.errors[1].reason)),
    ]


ANA, BO = parse_expert_file(VALID)


def test_diff_sorts_people_into_added_changed_and_unchanged():
    cy = replace(ANA, slack_id="U03CY", name="Cy")
    existing = {"U01ANA": ANA, "U02BO": replace(BO, tier="L1", max_active_swarms=3), "U03CY": cy}
    plan = diff_directory(existing, [ANA, BO, replace(ANA, slack_id="U04DI", name="Di")])
    assert [record.slack_id for record in plan.added] == ["U04DI"]
    assert [(change.after.slack_id, change.fields) for change in plan.changed] == [
        ("U02BO", ("tier", "max_active_swarms"))
    ]
    assert plan.unchanged == (ANA,)
    assert plan.not_in_file == (cy,)


def test_reordering_skills_in_the_file_is_no_change():
    reordered = VALID.replace(
        "[postgres, {tag: billing, proficiency: 3}]", "[{tag: billing, proficiency: 3}, postgres]"
    )
    plan = diff_directory({"U01ANA": ANA, "U02BO": BO}, parse_expert_file(reordered))
    assert plan.changed == () and len(plan.unchanged) == 2


def test_the_same_out_of_office_moment_in_another_zone_is_no_change():
    stored = replace(BO, out_of_office_until=datetime(2026, 12, 1, 5, 0, tzinfo=UTC))
    assert diff_directory({"U02BO": stored}, [BO]).unchanged == (BO,)


def test_summary_prints_each_person_and_the_totals():
    changed = replace(ANA, tier="L2", skills=(Skill("postgres", 3),), hours=WorkingHours.parse("10:00-19:00"))
    plan = diff_directory({"U01ANA": changed, "U09ZED": replace(BO, slack_id="U09ZED")}, [ANA, BO])
    assert plan.summary_lines() == [
        "added      U02BO  Bo Chen",
        "changed    U01ANA  Ana Lima: skills [postgres (3)] → [billing (3), postgres], tier L2 → L3, "
        "hours 10:00-19:00 → 09:00-18:00",
        "1 added, 1 changed, 0 unchanged; 1 in the directory but not in the file, kept",
    ]


def test_diff_refuses_the_same_person_twice_in_the_incoming_records():
    with pytest.raises(ValueError, match="U01ANA appears twice"):
        diff_directory({}, [ANA, ANA])
