from itertools import pairwise
from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.playbooks import (
    BUNDLED_DIR,
    ESCALATION_MESSAGE_VARIABLES,
    PlaybookLoadError,
    check_library,
    load_library,
)

BUNDLED_NAMES = {"outage", "billing", "compliance", "security", "defect", "access", "executive", "default"}


def playbook_yaml(name, *, order=None, default=False, match=None, title=None, private=False):
    lines = [f"name: {name}", f"title: {title or name.title()}"]
    lines += ["default: true"] if default else [f"order: {order}"]
    if match:
        lines.append(f"match: {match}")
    if private:
        lines.append("private: true")
    lines += ["roles:", "  - {key: commander, title: Commander, fill: requester}"]
    return "\n".join(lines) + "\n"


def write(directory: Path, filename: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    path.write_text(text, encoding="utf-8")
    return path


def issues_of(report):
    return [(issue.file.name, issue.line, issue.field, issue.reason) for issue in report.issues]


# The bundled set


def test_every_bundled_playbook_validates():
    report = check_library()
    assert report.issues == ()
    assert report.library is not None
    assert {playbook.name for playbook in report.library} == BUNDLED_NAMES


def test_each_bundled_file_is_named_after_its_playbook():
    for playbook_file in check_library().files.values():
        assert playbook_file.path.stem == playbook_file.playbook.name
        assert playbook_file.path.parent == BUNDLED_DIR


def test_bundled_categories_are_the_words_people_type_after_the_ticket_id():
    library = load_library()
    assert library.categories == {
        "outage",
        "billing",
        "compliance",
        "security",
        "fraud",
        "defect",
        "access",
        "executive",
    }


def test_bundled_sensitive_playbooks_use_private_channels():
    library = load_library()
    assert library.get("security").private
    assert library.get("compliance").private
    assert not library.get("outage").private


def test_the_outage_playbook_has_crisis_roles_and_a_half_hourly_sev1_cadence():
    outage = load_library().get("outage")
    assert {"commander", "liaison", "scribe"} <= {role.key for role in outage.roles}
    assert outage.status_updates is not None
    assert str(outage.status_updates.every["sev1"]) == "30m"


def test_the_executive_playbook_has_an_executive_sponsor():
    executive = load_library().get("executive")
    assert executive.role("executive_sponsor").fill.kind == "usergroup"


def test_bundled_escalation_matrices_start_within_half_an_hour_and_their_windows_grow():
    for playbook in load_library():
        levels = [level.after for level in playbook.escalation]
        assert levels, playbook.name
        assert levels[0].as_timedelta().total_seconds() <= 30 * 60, playbook.name
        wall_clock = [after.as_timedelta() for after in levels if not after.is_business_days]
        windows = [later - earlier for earlier, later in pairwise(wall_clock)]
        assert windows == sorted(windows), playbook.name
        assert any(after.is_business_days for after in levels), playbook.name


def test_bundled_playbooks_close_with_review_questions_and_tasks_owned_by_roles():
    for playbook in load_library():
        assert playbook.on_resolve.review, playbook.name
        assert playbook.tasks and any(task.due for task in playbook.tasks), playbook.name
        assert playbook.sla is not None and playbook.stakeholders is not None, playbook.name


def test_bundled_escalation_messages_render_with_the_engines_values():
    values = {name: f"<{name}>" for name in ESCALATION_MESSAGE_VARIABLES}
    rendered = [
        level.message.render(values)
        for playbook in load_library()
        for level in playbook.escalation
        if level.message is not None
    ]
    assert rendered
    assert all("&lt;ticket_id&gt;" in message for message in rendered)


# Overrides from SWARMBOT_PLAYBOOKS_DIR


def test_a_playbook_in_the_extra_directory_overrides_the_bundled_one_by_name(tmp_path):
    path = write(
        tmp_path,
        "my-outage.yaml",
        playbook_yaml("outage", order=30, match="{categories: [outage]}", title="Ours"),
    )
    report = check_library(tmp_path)
    assert report.library is not None
    assert report.library.get("outage").title == "Ours"
    assert report.files["outage"].path == path
    assert len(report.library) == len(BUNDLED_NAMES)


def test_a_playbook_in_the_extra_directory_adds_to_the_bundled_set(tmp_path):
    write(
        tmp_path,
        "gold.yml",
        playbook_yaml("gold-outage", order=5, match="{categories: [outage], customer_tiers: [gold]}"),
    )
    library = load_library(tmp_path)
    assert "gold-outage" in library
    assert library.select("outage", "sev1", customer_tier="gold").name == "gold-outage"
    assert library.select("outage", "sev1").name == "outage"


def test_files_that_are_not_yaml_or_are_hidden_are_ignored(tmp_path):
    write(tmp_path, "README.md", "not a playbook")
    write(tmp_path, ".outage.yaml.swp", "junk")
    write(tmp_path, ".draft.yaml", "junk: [")
    assert check_library(tmp_path).issues == ()


def test_every_problem_in_every_file_is_reported_together(tmp_path):
    write(tmp_path, "a.yaml", playbook_yaml("a", order=1, match="{categories: [a]}") + "privat: true\n")
    write(tmp_path, "b.yaml", "name: b\ntitle: [oops\n")
    report = check_library(tmp_path)
    assert report.library is None
    assert issues_of(report) == [
        ("a.yaml", 7, "privat", "unknown key `privat` (did you mean `private`?)"),
        (
            "b.yaml",
            3,
            "",
            "YAML syntax: expected ',' or ']', but got '<stream end>' (while parsing a flow sequence): "
            "a `[` list is not closed with `]`",
        ),
    ]


def test_load_library_raises_a_configuration_error_listing_the_issues(tmp_path):
    write(tmp_path, "a.yaml", "name: a\n")
    with pytest.raises(PlaybookLoadError) as caught:
        load_library(tmp_path)
    assert isinstance(caught.value, ConfigurationError)
    assert [issue.field for issue in caught.value.issues] == ["title", "order", "roles"]
    assert "3 problems in the playbooks" in str(caught.value)
    assert f"{tmp_path / 'a.yaml'}:1: title: is required but missing" in str(caught.value)


def test_an_extra_directory_that_does_not_exist_is_an_issue(tmp_path):
    report = check_library(tmp_path / "missing")
    assert [(issue.file, issue.reason) for issue in report.issues] == [
        (tmp_path / "missing", "is not a directory of playbooks")
    ]


def test_a_file_that_is_not_utf8_is_an_issue(tmp_path):
    (tmp_path / "latin.yaml").write_bytes("title: caf\xe9\n".encode("latin-1"))
    assert issues_of(check_library(tmp_path)) == [("latin.yaml", None, "", "is not UTF-8 text")]


# Rules about the whole set


def test_two_files_in_one_directory_may_not_share_a_name(tmp_path):
    write(tmp_path, "one.yaml", playbook_yaml("vip", order=1, match="{customer_tiers: [vip]}"))
    write(tmp_path, "two.yaml", playbook_yaml("vip", order=2, match="{customer_tiers: [vip2]}"))
    assert issues_of(check_library(tmp_path)) == [
        ("two.yaml", 1, "name", "`vip` is also the name of the playbook in one.yaml: names must be unique")
    ]


def test_exactly_one_playbook_may_be_the_default(tmp_path):
    write(tmp_path, "fallback.yaml", playbook_yaml("fallback", default=True))
    assert issues_of(check_library(tmp_path)) == [
        (
            "fallback.yaml",
            3,
            "default",
            "`default` is the default already: exactly one playbook is the fallback",
        )
    ]


def test_a_set_without_a_default_is_refused(tmp_path):
    write(tmp_path / "set", "only.yaml", playbook_yaml("only", order=1, match="{categories: [a]}"))
    report = check_library(bundled_dir=tmp_path / "set")
    assert [(issue.file, issue.reason) for issue in report.issues] == [
        (tmp_path / "set", "no playbook is marked `default: true`: exactly one must be the fallback")
    ]


def test_a_missing_default_is_not_reported_when_a_broken_file_may_be_it(tmp_path):
    write(tmp_path / "set", "only.yaml", playbook_yaml("only", order=1, match="{categories: [a]}"))
    write(tmp_path / "set", "default.yaml", "name: default\ndefault: yes please\n")
    report = check_library(bundled_dir=tmp_path / "set")
    assert all(issue.file.name == "default.yaml" for issue in report.issues)


def test_two_playbooks_may_not_share_an_order(tmp_path):
    write(tmp_path, "vip.yaml", playbook_yaml("vip", order=30, match="{customer_tiers: [vip]}"))
    assert issues_of(check_library(tmp_path)) == [
        ("vip.yaml", 3, "order", "30 is also the order of `outage`: give each playbook its own")
    ]


def test_a_playbook_hidden_behind_an_earlier_broader_one_is_refused(tmp_path):
    write(
        tmp_path,
        "narrow.yaml",
        playbook_yaml("narrow", order=35, match="{categories: [outage], severities: [sev1]}"),
    )
    assert issues_of(check_library(tmp_path)) == [
        (
            "narrow.yaml",
            4,
            "match",
            "is never selected: `outage` (order 30) is tried first and matches everything "
            "this playbook matches",
        )
    ]


def test_an_ordered_playbook_that_matches_everything_is_refused(tmp_path):
    write(tmp_path, "all.yaml", playbook_yaml("all", order=99))
    assert issues_of(check_library(tmp_path)) == [
        (
            "all.yaml",
            1,
            "match",
            "matches every escalation, so the default would never be used: narrow `match`, "
            "or make this the default",
        )
    ]
