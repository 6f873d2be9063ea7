"""YAML loading that remembers line numbers, so every configuration error can name
the file, the line and the field a person has to fix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """A user mistake in a configuration or mapping file: one line, file:line: field: why."""

    def __init__(self, path: Path | str, line: int | None, field: str, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.reason = reason
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


class LineDict(dict):
    """A mapping node that knows the line of itself and of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                raise ConfigError(
                    self.name, key_node.start_mark.line + 1, str(key), "duplicate key"
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        items = LineList(self.construct_object(child, deep=True) for child in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)


def load_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become a ConfigError with the offending line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(path, None, "", f"cannot read file ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise ConfigError(path, None, "", "file is not valid UTF-8") from error
    loader = _LineLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(path, line, "", f"invalid YAML: {error.problem}") from error
    finally:
        loader.dispose()


def line_of(document: Any, location: Sequence[Any]) -> int | None:
    """The line of the deepest node of `location` that exists in the parsed document."""
    line = getattr(document, "line", None)
    node = document
    for part in location:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def field_path(location: Sequence[Any]) -> str:
    """`('sources', 0, 'type')` -> `sources[0].type`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate_document(model: type[M], document: Any, path: Path) -> M:
    """Validate a parsed document; the first problem becomes a ConfigError at its line."""
    try:
        return model.model_validate(document)
    except ValidationError as error:
        problem = error.errors()[0]
        location = [p for p in problem["loc"] if not _is_union_tag(p)]
        reason = "unknown field" if problem["type"] == "extra_forbidden" else problem["msg"]
        raise ConfigError(
            path, line_of(document, location), field_path(location), reason
        ) from error


def _is_union_tag(part: Any) -> bool:
    """Pydantic puts the chosen union member's name in error locations; people never wrote it."""
    return isinstance(part, str) and (part.startswith("function-") or "[" in part)
