"""`swarmbot playbooks validate [DIR]`: check the bundled playbooks, extended or overridden by DIR's."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.playbooks.loader import LibraryReport, check_library


@click.group("playbooks")
def playbooks_group() -> None:
    """Crisis playbooks: the bundled set and your own (SWARMBOT_PLAYBOOKS_DIR)."""


@playbooks_group.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
def validate(directory: Path | None) -> None:
    """Validate the bundled playbooks, with DIRECTORY's added or overriding them by name.

    Prints every problem as `file:line: field: reason` and exits 1, or lists the playbooks in the order
    they are tried and exits 0.
    """
    report = check_library(directory)
    if report.issues:
        for issue in report.issues:
            click.echo(issue.format(_shown(issue.file)))
        files = len({issue.file for issue in report.issues})
        click.echo(
            f"{_count(len(report.issues), 'problem')} in {_count(files, 'file')}: no playbooks loaded."
        )
        sys.exit(1)
    _print_library(report, directory)


def _print_library(report: LibraryReport, directory: Path | None) -> None:
    assert report.library is not None  # no issues means a library
    width = max(len(playbook.name) for playbook in report.library)
    from_directory = []
    for playbook in report.library:
        source = report.files[playbook.name].path
        local = directory is not None and source.parent.resolve() == directory.resolve()
        if local:
            from_directory.append(playbook.name)
        position = "default " if playbook.default else f"order {playbook.order}"
        matches = "anything not matched above" if playbook.default else playbook.effective_match.describe()
        flags = ("  private" if playbook.private else "") + (f"  ({_shown(source)})" if local else "")
        click.echo(f"{playbook.name:<{width}}  {position:<9} {matches}{flags}")
    summary = f"{_count(len(report.library), 'playbook')} valid"
    if directory is not None:
        summary += f", {len(from_directory)} from {_shown(directory)}"
    click.echo(summary + ".")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _shown(path: Path) -> str:
    """`path` relative to the working directory when it lies below it, otherwise as it is."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
