"""Reading YAML with line numbers, turning syntax errors into editor-friendly problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.content.problems import ERROR, Problem


class YamlFile:
    """One parsed YAML file; knows the line of every key and list item."""

    def __init__(self, path: Path, label: str, data: Any):
        self.path = path
        self.label = label
        self.data = data

    def line(self, node: Any, key: Any = None) -> int:
        """1-based line of `node[key]` (or of `node` itself), 0 when unknown."""
        try:
            if key is None:
                return node.lc.line + 1
            if isinstance(node, CommentedMap):
                return node.lc.key(key)[0] + 1
            if isinstance(node, CommentedSeq):
                return node.lc.item(key)[0] + 1
        except (AttributeError, KeyError, IndexError, TypeError):
            pass
        return 0

    def problem(self, node: Any, key: Any, message: str, severity: str = ERROR) -> Problem:
        return Problem(self.label, self.line(node, key), severity, message)


def read_yaml(path: Path, label: str) -> tuple[YamlFile | None, list[Problem]]:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True  # so that writing back (import-po) keeps the editors' style
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(label, 0, ERROR, "file is missing")]
    except UnicodeDecodeError as exc:
        return None, [Problem(label, 0, ERROR, f"not UTF-8 text ({exc.reason}); save as UTF-8")]
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or exc.context or "syntax error"
        hint = (
            "check the indentation and that text with ':' or '#' is in quotes"
            if "mapping" in what or "indent" in what
            else "fix the YAML syntax here"
        )
        return None, [Problem(label, line, ERROR, f"YAML syntax error: {what}; {hint}")]
    except YAMLError as exc:
        return None, [Problem(label, 0, ERROR, f"YAML error: {exc}")]
    return YamlFile(path, label, data), []


def write_yaml(path: Path, data: Any) -> None:
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
