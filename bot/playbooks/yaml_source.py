"""Reading one YAML document while keeping its node tree, so every field path can be traced to a line.

PyYAML's `safe_load` forgets where things were and silently keeps the last of two equal keys; composing
the node tree first gives us line numbers for error messages and lets us reject duplicate keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Loc = tuple[str | int, ...]
_MERGE_KEY = "<<"

# PyYAML's wording for the mistakes people make most, and what to do about them.
_HINTS = {
    "mapping values are not allowed here": "put quotes around text that contains `: `",
    "found character '\\t' that cannot start any token": "indent with spaces, not tabs",
    "could not find expected ':'": "a line is missing its `:`, or a quoted string is not closed",
    "did not find expected key": "the indentation does not line up with the keys above",
    "expected <block end>, but found": "the indentation does not line up with the lines above",
    "found unhashable key": "a key must be plain text",
    "expected ',' or ']'": "a `[` list is not closed with `]`",
    "expected ',' or '}'": "a `{` mapping is not closed with `}`",
    "did not find expected ',' or ']'": "a `[` list is not closed with `]`",
    "did not find expected ',' or '}'": "a `{` mapping is not closed with `}`",
}


class YamlSyntaxError(Exception):
    """The text is not well-formed YAML (or not exactly one document); `line` is 1-based when known."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass
class YamlDocument:
    """The parsed data of one document, its node tree, and the duplicate keys found in it."""

    data: Any
    root: Node | None
    duplicate_keys: list[tuple[Loc, int, str]] = field(default_factory=list)

    def line_of(self, loc: Loc) -> int | None:
        """The 1-based line of the entry at `loc`: a key's own line, or the nearest enclosing entry's."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            if isinstance(node, MappingNode):
                entry = _entry(node, str(part))
                if entry is None:
                    break
                line = entry[0].start_mark.line + 1
                node = entry[1]
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line


def read_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; YamlSyntaxError with the line and a plain reason if it is malformed."""
    try:
        return _read(text, _FAST_LOADER)
    except yaml.YAMLError:
        pass
    # libyaml words errors differently; re-reading with PyYAML's own parser keeps messages and hints stable.
    try:
        return _read(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(f"not valid YAML: {error}", None) from None


_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read(text: str, loader_class: type[yaml.SafeLoader]) -> YamlDocument:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        # Walk before constructing: the constructor flattens `<<` merges into the nodes in place.
        duplicates = _duplicate_keys(root, (), set()) if root is not None else []
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return YamlDocument(data=data, root=root, duplicate_keys=duplicates)


def _syntax_error(error: yaml.MarkedYAMLError) -> YamlSyntaxError:
    problem = error.problem or "not valid YAML"
    if "expected a single document" in f"{error.context} {problem}":
        return YamlSyntaxError(
            "holds more than one YAML document: put one playbook in each file", _line(error)
        )
    hint = next((advice for start, advice in _HINTS.items() if problem.startswith(start)), None)
    reason = f"YAML syntax: {problem}" + (f" ({error.context})" if error.context else "")
    return YamlSyntaxError(reason + (f": {hint}" if hint else ""), _line(error))


def _line(error: yaml.MarkedYAMLError) -> int | None:
    mark = error.problem_mark or error.context_mark
    return mark.line + 1 if mark is not None else None


def _entry(node: MappingNode, key: str) -> tuple[Node, Node] | None:
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _duplicate_keys(node: Node, loc: Loc, seen: set[int]) -> list[tuple[Loc, int, str]]:
    if id(node) in seen:  # an alias to a node already walked
        return []
    seen.add(id(node))
    found: list[tuple[Loc, int, str]] = []
    if isinstance(node, MappingNode):
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in first_lines and key != _MERGE_KEY:
                found.append(((*loc, key), line, f"duplicate key `{key}` (first on line {first_lines[key]})"))
            first_lines.setdefault(key, line)
            found += _duplicate_keys(value_node, (*loc, key), seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            found += _duplicate_keys(item, (*loc, index), seen)
    return found
