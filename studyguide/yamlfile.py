"""YAML reading that remembers the line of every mapping and value, for error messages."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from .errors import Problems


class Mapping(dict):
    """A YAML mapping that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Sequence(list):
    line: int = 0
    item_lines: list


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when available
    line_offset = 0


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Mapping:
    loader.flatten_mapping(node)
    result = Mapping()
    result.line = node.start_mark.line + 1 + loader.line_offset
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (dt.date, int, float, bool)) or key is None:
            key = str(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1 + loader.line_offset
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> Sequence:
    result = Sequence(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1 + loader.line_offset
    result.item_lines = [child.start_mark.line + 1 + loader.line_offset for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


# What a teacher can do about PyYAML's commonest complaints.
INDENTATION = ("Check this line's indentation: the items of one list, and the keys of one entry, "
               "start in the same column.")
HINTS = (
    ("mapping values are not allowed", "A colon and a space inside a value? Put the whole value in quotes "
     '(title: "Mao: the early years"). Otherwise, indent this line like its neighbours.'),
    ("did not find expected", INDENTATION),
    ("expected <block end>", INDENTATION),
    ("could not find expected ':'", "Each line of an entry is 'key: value', and a quoted value must close its quotes."),
    ("alias", "A value that starts with * or & must be in quotes."),
)
TAB_HINT = "YAML indents with spaces, not tabs: replace the tab with spaces."


def yaml_hint(problem: str, line_text: str) -> str:
    if "\t" in line_text or "tab" in problem:
        return TAB_HINT
    return next((hint for clue, hint in HINTS if clue in problem), "")


def parse_yaml(text: str, path: Path, problems: Problems, first_line: int = 1):
    """Parse YAML text; on a syntax error record `path:line` and return None."""
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + first_line
        problems.error(path, line, f"invalid YAML: character {exc.character!r} is not allowed in a text file")
        return None
    loader.line_offset = first_line - 1
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else first_line
        what = exc.problem or "malformed YAML"
        lines = text.splitlines()
        line_text = lines[mark.line] if mark and mark.line < len(lines) else ""
        hint = yaml_hint(what, line_text)
        problems.error(path, line, f"invalid YAML: {what}." + (f" {hint}" if hint else ""))
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + first_line
        problems.error(path, line, f"invalid YAML: character {exc.character!r} is not allowed in a text file")
    except yaml.YAMLError as exc:
        problems.error(path, first_line, f"invalid YAML: {exc}")
    finally:
        loader.dispose()
    return None


def read_text(path: Path, problems: Problems) -> str | None:
    """Read a UTF-8 file, recording a clear error instead of raising."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.error(path, None, "file not found")
        return None
    except OSError as exc:
        problems.error(path, None, f"cannot read file: {exc.strerror}")
        return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.error(path, line, "not valid UTF-8 text (save the file as UTF-8)")
        return None


def read_yaml(path: Path, problems: Problems):
    text = read_text(path, problems)
    if text is None:
        return None
    return parse_yaml(text, path, problems)
