"""Loading playbooks: the bundled set in bot/playbooks/, extended or overridden by name from a second folder.

Validation never stops at the first problem: every file is read and checked, and every issue is reported with
its file, line and field path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.playbooks.issues import PlaybookIssue, PlaybookLoadError, explain, field_path
from bot.playbooks.library import PlaybookLibrary, library_problems
from bot.playbooks.schema import Playbook
from bot.playbooks.yaml_source import YamlDocument, YamlSyntaxError, read_yaml

BUNDLED_DIR = Path(__file__).resolve().parent
PLAYBOOK_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class PlaybookFile:
    """A playbook that validated, with the file and YAML document it came from (for later line numbers)."""

    playbook: Playbook
    path: Path
    document: YamlDocument


@dataclass(frozen=True)
class LibraryReport:
    """What checking the playbook directories found: the library if everything is valid, and the issues."""

    library: PlaybookLibrary | None
    files: Mapping[str, PlaybookFile] = field(default_factory=dict)
    issues: tuple[PlaybookIssue, ...] = ()


def load_library(override_dir: Path | None = None, *, bundled_dir: Path = BUNDLED_DIR) -> PlaybookLibrary:
    """The bundled playbooks, extended or overridden by name from `override_dir`; PlaybookLoadError if not."""
    report = check_library(override_dir, bundled_dir=bundled_dir)
    if report.library is None:
        raise PlaybookLoadError(report.issues)
    return report.library


def check_library(override_dir: Path | None = None, *, bundled_dir: Path = BUNDLED_DIR) -> LibraryReport:
    """Validate every file of the bundled set and `override_dir`, and the merged set as a whole."""
    issues: list[PlaybookIssue] = []
    merged: dict[str, PlaybookFile] = {}
    for directory in (bundled_dir, override_dir):
        if directory is None:
            continue
        loaded, directory_issues = _load_directory(directory)
        issues += directory_issues
        merged.update(loaded)  # a later directory overrides by name
    complete = not issues  # with a broken file, "no default" may only mean the default is that file
    for problem in library_problems(file.playbook for file in merged.values()):
        if not problem.playbook:
            if complete:
                issues.append(PlaybookIssue(override_dir or bundled_dir, None, "", problem.reason))
            continue
        source = merged[problem.playbook]
        line = source.document.line_of((problem.field,))
        issues.append(PlaybookIssue(source.path, line, problem.field, problem.reason))
    if issues:
        return LibraryReport(library=None, files=merged, issues=tuple(issues))
    return LibraryReport(PlaybookLibrary(file.playbook for file in merged.values()), files=merged)


def _load_directory(directory: Path) -> tuple[dict[str, PlaybookFile], list[PlaybookIssue]]:
    if not directory.is_dir():
        return {}, [PlaybookIssue(directory, None, "", "is not a directory of playbooks")]
    loaded: dict[str, PlaybookFile] = {}
    issues: list[PlaybookIssue] = []
    paths = sorted(
        path
        for path in directory.iterdir()
        if path.suffix in PLAYBOOK_SUFFIXES and not path.name.startswith(".")
    )
    for path in paths:
        playbook_file, file_issues = load_playbook_file(path)
        issues += file_issues
        if playbook_file is None:
            continue
        name = playbook_file.playbook.name
        if name in loaded:
            line = playbook_file.document.line_of(("name",))
            reason = (
                f"`{name}` is also the name of the playbook in {loaded[name].path.name}: names must be unique"
            )
            issues.append(PlaybookIssue(path, line, "name", reason))
            continue
        loaded[name] = playbook_file
    return loaded, issues


def _without_echoes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop "must list at least 1" for a list whose items are reported invalid already."""
    item_locs = [error["loc"] for error in errors]
    return [
        error
        for error in errors
        if error["type"] != "too_short"
        or not any(
            len(loc) > len(error["loc"]) and loc[: len(error["loc"])] == error["loc"] for loc in item_locs
        )
    ]


def load_playbook_file(path: Path) -> tuple[PlaybookFile | None, list[PlaybookIssue]]:
    """One playbook file validated: the playbook, or None and every issue found in it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [PlaybookIssue(path, None, "", "is not UTF-8 text")]
    except OSError as error:
        return None, [PlaybookIssue(path, None, "", f"cannot be read: {error.strerror or error}")]
    return parse_playbook(text, path=path)


def parse_playbook(text: str, *, path: Path) -> tuple[PlaybookFile | None, list[PlaybookIssue]]:
    """Validate one playbook's YAML `text` (issues name `path`): the playbook, or None and every issue."""
    try:
        document = read_yaml(text)
    except YamlSyntaxError as error:
        return None, [PlaybookIssue(path, error.line, "", error.reason)]
    issues = [
        PlaybookIssue(path, line, field_path(loc), reason) for loc, line, reason in document.duplicate_keys
    ]
    if document.data is None:
        return None, [PlaybookIssue(path, None, "", "is empty: a playbook needs at least name, title, roles")]
    if not isinstance(document.data, dict):
        reason = (
            "must be a mapping of playbook keys (name, title, roles, …) at the top level, not a list or text"
        )
        return None, [PlaybookIssue(path, document.line_of(()), "", reason)]
    try:
        playbook = Playbook.model_validate(document.data)
    except ValidationError as error:
        for details in _without_echoes(error.errors(include_url=False)):
            for loc, reason in explain(details, Playbook):
                issues.append(PlaybookIssue(path, document.line_of(loc), field_path(loc), reason))
        return None, sorted(issues, key=lambda issue: issue.line or 0)
    if issues:
        return None, issues
    return PlaybookFile(playbook, path, document), []
