"""Reading a guide's text and YAML files: the line of every mapping and value is kept, for
error messages; what a text file may not hold (control characters, YAML aliases, a key
given twice) is an error with its line."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import yaml

from .errors import Problems
from .files import GuideFileError, read_guide_file


# C0 and C1 control characters other than tab, line feed and carriage return (XML and
# EPUB reading systems refuse them), and the two non-characters U+FFFE and U+FFFF.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


class Mapping(dict):
    """A YAML mapping that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict
    text_lines: dict  # where each value's text begins: the line after a block scalar's | or >

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def text_line(self, key: str) -> int:
        return self.text_lines.get(key, self.line_of(key))


class Sequence(list):
    line: int = 0
    item_lines: list


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when available
    line_offset = 0
    mistakes: list  # (line, message) found while constructing: a key given twice


def _line(loader: _LineLoader, node: yaml.Node) -> int:
    return node.start_mark.line + 1 + loader.line_offset


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Mapping:
    loader.flatten_mapping(node)
    result = Mapping()
    result.line = _line(loader, node)
    result.key_lines, result.text_lines = {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (dt.date, int, float, bool)) or key is None:
            key = str(key)
        if not isinstance(key, str):
            loader.mistakes.append((_line(loader, key_node), "a key must be a plain name, not a list or mapping"))
            continue
        if key in result:
            loader.mistakes.append((_line(loader, key_node), f"key '{key}' is given twice in this entry "
                                                             f"(first at line {result.key_lines[key]})"))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = _line(loader, key_node)
        result.text_lines[key] = _line(loader, value_node) + (getattr(value_node, "style", None) in ("|", ">"))
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode):
    """A date as YAML writes it; one that does not exist (2025-02-30) stays text, for the
    setting that expects a date to report with its line."""
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError):
        return str(node.value)


def _construct_str(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    """Text; a control character written as an escape ("\\x00") is an error, as it is in the file."""
    value = loader.construct_scalar(node)
    if CONTROL_RE.search(value):
        loader.mistakes.append((_line(loader, node), f"control character U+{ord(CONTROL_RE.search(value).group()):04X} "
                                                     "is not allowed in a text"))
    return value


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> Sequence:
    result = Sequence(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1 + loader.line_offset
    result.item_lines = [child.start_mark.line + 1 + loader.line_offset for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_LineLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def shared_node(root: yaml.Node) -> yaml.Node | None:
    """A node reached twice: the target of an alias (*name). Aliases are refused: a few of
    them nested make a tiny file expand to gigabytes (a "billion laughs")."""
    seen, todo = set(), [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            todo += [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
    return None


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
    if "\t" in line_text or re.search(r"\btabs?\b", problem):
        return TAB_HINT
    return next((hint for clue, hint in HINTS if clue in problem), "")


def parse_yaml(text: str, path: Path, problems: Problems, first_line: int = 1):
    """Parse YAML text; on a mistake record `path:line` and return None."""
    try:
        loader = _LineLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + first_line
        problems.error(path, line, f"invalid YAML: character {exc.character!r} is not allowed in a text file")
        return None
    loader.line_offset, loader.mistakes = first_line - 1, []
    try:
        return constructed(loader, text, path, problems)
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
    except RecursionError:
        problems.error(path, first_line, "invalid YAML: lists or mappings nested too deeply")
    except yaml.YAMLError as exc:
        problems.error(path, first_line, f"invalid YAML: {exc}")
    finally:
        loader.dispose()
    return None


def constructed(loader: _LineLoader, text: str, path: Path, problems: Problems):
    """The document's value; None, with the mistakes recorded, if it has any."""
    node = loader.get_single_node()
    if node is None:
        return None
    shared = shared_node(node) if "&" in text else None  # an alias needs an anchor (&name)
    if shared is not None:
        problems.error(path, _line(loader, shared), "YAML aliases (&name … *name) are not allowed: "
                                                    "write the value out where it is used")
        return None
    data = loader.construct_document(node)
    for line, message in loader.mistakes:
        problems.error(path, line, message)
    return None if loader.mistakes else data


def read_text(root: Path, path: Path, problems: Problems) -> str | None:
    """Read a UTF-8 text file of the guide in `root`, recording a clear error instead of raising."""
    try:
        data = read_guide_file(root, path)
    except GuideFileError as exc:
        problems.error(path, None, str(exc))
        return None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.error(path, line, "not valid UTF-8 text (save the file as UTF-8)")
        return None
    control = CONTROL_RE.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        problems.error(path, line, f"control character U+{ord(control.group()):04X} is not allowed in a text file")
        return None
    return text


def read_yaml(root: Path, path: Path, problems: Problems):
    """A YAML file, or a JSON file (read by the YAML parser too, which keeps every value's line,
    once JSON's own parser has said it is JSON: its errors name JSON's rules, not YAML's)."""
    text = read_text(root, path, problems)
    if text is None:
        return None
    if path.suffix == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            problems.error(path, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})")
            return None
        except RecursionError:
            problems.error(path, 1, "invalid JSON: lists or objects nested too deeply")
            return None
    return parse_yaml(text, path, problems)
