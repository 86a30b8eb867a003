"""A safe YAML loader whose mappings remember the line of every key, for precise errors."""

from __future__ import annotations

from typing import Any

import yaml


class LineDict(dict[str, Any]):
    """A YAML mapping: `line` is where it starts, `lines[key]` where each key is (1-based)."""

    line: int
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class YAMLLineError(ValueError):
    """The text is not valid YAML, or repeats a key; `line` is 1-based."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise YAMLLineError(line, f"keys must be text, got {key!r}")
        if key in result:
            raise YAMLLineError(line, f"{key!r} appears twice in the same mapping")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(text: str | bytes) -> Any:
    """Parse one YAML document; raise YAMLLineError naming the line of the problem."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YAMLLineError(line, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc) from None
    except yaml.YAMLError as exc:
        raise YAMLLineError(1, f"not valid YAML: {exc}") from None
    except RecursionError:
        # PyYAML composes nested nodes recursively: thousands of levels exhaust the stack.
        raise YAMLLineError(1, "not valid YAML: nested too deeply") from None


def _reader_error(text: str | bytes, exc: yaml.reader.ReaderError) -> YAMLLineError:
    """Bytes that are not UTF-8, or a control character, on the line where they are."""
    if exc.encoding != "unicode" and isinstance(text, bytes):
        # The file could not be decoded: the position counts bytes.
        return YAMLLineError(text[: exc.position].count(b"\n") + 1, "not UTF-8 text")
    decoded = text.decode("utf-8") if isinstance(text, bytes) else text
    line = decoded[: exc.position].count("\n") + 1
    return YAMLLineError(line, f"not valid YAML: character 0x{exc.character:02x} is not allowed")
