from pathlib import Path

from click.testing import CliRunner

from bot.playbooks.cli import playbooks_group

OVERRIDE = """\
name: outage
title: Our outage playbook
order: 30
match: {categories: [outage]}
roles:
  - {key: commander, title: Commander, fill: requester}
"""


def validate(*args):
    return CliRunner().invoke(playbooks_group, ["validate", *args])


def test_validate_without_a_directory_lists_the_bundled_playbooks_in_order_and_exits_0():
    result = validate()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["security", "order", "10"]
    assert "categories=security,fraud severities=any customer_tiers=any  private" in lines[0]
    assert lines[-2].split()[:2] == ["default", "default"]
    assert lines[-1] == "8 playbooks valid."


def test_validate_with_a_directory_shows_which_playbooks_come_from_it(tmp_path: Path):
    (tmp_path / "outage.yaml").write_text(OVERRIDE)
    result = validate(str(tmp_path))
    assert result.exit_code == 0, result.output
    outage_line = next(line for line in result.output.splitlines() if line.startswith("outage"))
    assert outage_line.endswith(f"({tmp_path / 'outage.yaml'})")
    assert result.output.splitlines()[-1] == f"8 playbooks valid, 1 from {tmp_path}."


def test_validate_prints_every_problem_as_file_line_field_reason_and_exits_1(tmp_path: Path):
    (tmp_path / "outage.yaml").write_text(OVERRIDE.replace("fill: requester", "fill: anybody"))
    (tmp_path / "extra.yaml").write_text("name: extra\ntitle: Extra\n")
    result = validate(str(tmp_path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{tmp_path / 'extra.yaml'}:1: order: is required: playbooks are tried by ascending `order` "
        "(or mark one `default: true`)",
        f"{tmp_path / 'extra.yaml'}:1: roles: is required but missing",
        f"{tmp_path / 'outage.yaml'}:6: roles[0].fill: `anybody` is not a way to fill a role: "
        "use requester, claim, skill:TAG or usergroup:HANDLE",
        "3 problems in 2 files: no playbooks loaded.",
    ]


def test_validate_reports_a_directory_that_does_not_exist(tmp_path: Path):
    result = validate(str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{tmp_path / 'nowhere'}: is not a directory of playbooks",
        "1 problem in 1 file: no playbooks loaded.",
    ]


def test_paths_below_the_working_directory_are_shown_relative(tmp_path: Path, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "bad.yaml").write_text("name: bad\n")
    monkeypatch.chdir(tmp_path)
    result = validate("mine")
    assert result.output.splitlines()[0] == "mine/bad.yaml:1: title: is required but missing"
