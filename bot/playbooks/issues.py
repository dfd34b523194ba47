"""Validation problems in plain words (`file:line: field: reason`), translated from pydantic's errors."""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from bot.errors import ConfigurationError
from bot.playbooks.fields import describe_yaml_value
from bot.playbooks.schema import Loc, rule_violations

_DICT_KEY = "[key]"  # pydantic's marker for an error in a mapping's key rather than its value


@dataclass(frozen=True)
class PlaybookIssue:
    """One problem: the file, the 1-based line (when known), the field path (`roles[1].fill`) and why."""

    file: Path
    line: int | None
    field: str
    reason: str

    def format(self, shown_path: str | None = None) -> str:
        """`file:line: field: reason`, with the file shown as `shown_path` if given."""
        where = shown_path if shown_path is not None else str(self.file)
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"

    def __str__(self) -> str:
        return self.format()


class PlaybookLoadError(ConfigurationError):
    """The playbooks did not validate; `issues` holds every problem found, in every file."""

    def __init__(self, issues: Iterable[PlaybookIssue]) -> None:
        self.issues = tuple(issues)
        shown = "\n".join(f"  {issue}" for issue in self.issues[:20])
        more = f"\n  … and {len(self.issues) - 20} more" if len(self.issues) > 20 else ""
        count = len(self.issues)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the playbooks "
            f"(run `swarmbot playbooks validate` for the full list):\n{shown}{more}"
        )


def field_path(loc: Loc) -> str:
    """`roles[1].fill` from ("roles", 1, "fill")."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def explain(error: ErrorDetails, model: type[BaseModel]) -> list[tuple[Loc, str]]:
    """One pydantic error as (field path, plain reason) pairs; a rule violation may carry several."""
    loc: Loc = tuple(part for part in error["loc"] if part != _DICT_KEY)
    problems = rule_violations(error["type"], error.get("ctx"))
    if problems is not None:
        return [(loc + tuple(relative), message) for relative, message in problems]
    return [(loc, _reason(error, loc, model))]


def _reason(error: ErrorDetails, loc: Loc, model: type[BaseModel]) -> str:
    kind, value, context = error["type"], error.get("input"), error.get("ctx") or {}
    given = describe_yaml_value(value)
    if kind == "extra_forbidden":
        return _unknown_key(str(loc[-1]), _model_at(model, loc[:-1]))
    if kind == "missing":
        return "is required but missing"
    if kind in ("value_error", "assertion_error"):
        return str(context.get("error", error["msg"]))
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "")
        return f"must be one of {expected}, not {given}"
    if kind in ("string_type", "string_sub_type"):
        if isinstance(value, bool | int | float):
            # YAML 1.1 reads yes/no/on/off as booleans and 1.0 as a number; quotes keep them text.
            return f"must be text, not {given}: put the text in quotes"
        return f"must be text, not {given}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, not {given}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, not {given}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, not {given}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "dataclass_type"):
        return f"must be a mapping of keys to values, not {given}"
    if kind == "too_short":
        return f"must list at least {context.get('min_length', 1)}"
    if kind == "greater_than_equal":
        return f"must be at least {context.get('ge')}, not {given}"
    if kind == "less_than_equal":
        return f"must be at most {context.get('le')}, not {given}"
    return error["msg"]


def _unknown_key(key: str, model: type[BaseModel] | None) -> str:
    if " " in key.strip():
        # `{title: Check SSO, the identity provider}` splits at the comma into a second "key".
        return (
            f"unknown key `{key}`: if this is the rest of a text containing a comma, put the text in quotes"
        )
    if model is None:
        return f"unknown key `{key}`"
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key `{key}` (did you mean `{close[0]}`?)"
    return f"unknown key `{key}`; the keys here are {', '.join(allowed)}"


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, following fields, list items and unions."""
    current: Any = model
    for part in loc:
        if isinstance(part, str) and _is_model(current) and part in current.model_fields:
            current = _element_type(current.model_fields[part].annotation)
        elif isinstance(part, int):
            continue  # a list index: _element_type already stepped inside the list
        else:
            return None
    return current if _is_model(current) else None


def _element_type(annotation: Any) -> Any:
    """The model inside `X | None`, `tuple[X, ...]`, `list[X]` or `Annotated[X, ...]`, else the annotation."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _element_type(get_args(annotation)[0])
    if origin in (Union, types.UnionType, tuple, list):
        for argument in get_args(annotation):
            inner = _element_type(argument)
            if _is_model(inner):
                return inner
    return annotation


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)
