"""`swarmbot rehearse PLAYBOOK`: a dry run of every bundled playbook through its whole matrix and SLA."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.errors import ConfigurationError
from bot.playbooks import load_library
from bot.rehearsal import plan_rehearsal, run_rehearsal

BUNDLED = load_library(None)


async def rehearse(name: str, severity: str, *, speed: float) -> tuple[str, list[float]]:
    """The rehearsal's output and the pauses it took (never really slept)."""
    lines: list[str] = []
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    plan = plan_rehearsal(BUNDLED, name, severity=severity, speed=speed)
    assert await run_rehearsal(plan, lines.append, base=Settings(_env_file=None), sleep=pause) == 0
    return "\n".join(lines), pauses


def simulated_seconds(story: str) -> float:
    """How far the rehearsal said it would run the clock: "the clock now runs to +7d 0:00"."""
    found = re.search(r"the clock now runs to \+(?:(\d+)d )?(\d+):(\d\d)", story)
    assert found is not None, story[:2000]
    days, hours, minutes = (int(part or 0) for part in found.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60)


# The least severe level each playbook takes: the longest cadence, so the fewest reminders to run through.
@pytest.mark.parametrize(
    ("name", "severity"),
    [(p.name, p.effective_match.matched_severities[-1]) for p in BUNDLED],
    ids=[p.name for p in BUNDLED],
)
async def test_every_bundled_playbook_rehearses_through_its_whole_matrix_and_sla(name: str, severity: str):
    playbook = BUNDLED.get(name)
    story, pauses = await rehearse(name, severity, speed=60)
    assert f"playbook ({name}) at {severity.upper()}" in story
    assert "created the " in story and "GAMEDAY-1" in story
    levels = len(playbook.escalation)
    for level in range(1, levels + 1):
        assert f"*Escalation level {level} of {levels}*" in story, level
    if playbook.sla and playbook.sla.resolve and severity in playbook.sla.resolve:
        assert "SLA breached: resolution" in story
    assert "GAMEDAY-1 resolved* by" in story and "*Review*" in story
    summary = story[story.index("\nSummary") :]
    assert f"escalation level {levels} (unresolved after {playbook.escalation[-1].after})" in summary
    # --speed 60: one simulated minute per real second (the test's sleep only counts)
    assert sum(pauses) == pytest.approx(simulated_seconds(story) / 60)


def test_rehearse_prints_the_timeline_with_simulated_timestamps():
    # --speed 0 never waits: a whole simulated day of SEV1 outage in a few seconds.
    result = CliRunner().invoke(main, ["rehearse", "outage", "--speed", "0"])
    assert result.exit_code == 0, result.output
    output = result.output
    assert "the “Customer-facing outage” playbook (outage) at SEV1" in output
    assert "⏱ +0:11  (Mon 23 Nov 15:11 UTC)" in output and "SLA: first response" in output
    assert "⏱ +0:15  (Mon 23 Nov 15:15 UTC)" in output and "*Escalation level 1 of 5*" in output
    assert "status update due" in output and "the same message" in output  # repeats are folded
    assert "+1d 0:00  escalation level 5 (unresolved after 1bd)" in output


def test_an_unknown_playbook_or_a_severity_it_never_takes_is_explained(tmp_path: Path):
    unknown = CliRunner().invoke(main, ["rehearse", "nope"])
    assert unknown.exit_code == 2 and "no playbook is called `nope`" in unknown.output
    bad = CliRunner().invoke(main, ["rehearse", "outage", "--severity", "sev9"])
    assert bad.exit_code == 2 and "`sev9` is not a severity" in bad.output
    (tmp_path / "critical.yaml").write_text(
        "name: critical-only\ntitle: Critical only\norder: 5\n"
        "match: {categories: [outage], severities: [sev1]}\n"
        "roles:\n  - {key: commander, title: Commander, fill: requester}\n"
    )
    library = load_library(tmp_path)
    with pytest.raises(ConfigurationError, match="`critical-only` is never chosen for sev3: it takes sev1"):
        plan_rehearsal(library, "critical-only", severity="sev3")
    assert plan_rehearsal(library, "critical-only").severity == "sev1"
    with pytest.raises(ConfigurationError, match="a playbook tried before it matches first"):
        plan_rehearsal(library, "outage", severity="sev1")
