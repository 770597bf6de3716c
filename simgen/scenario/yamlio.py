"""Safe YAML loading that remembers where every key came from.

Scenario files are untrusted: only the YAML safe schema is accepted (no Python tags), the file
size, nesting depth and node count (which bounds alias expansion, "billion laughs") are capped,
and duplicate keys are errors instead of silently keeping the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from simgen.errors import Issue, ScenarioError

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_NODES = 200_000

KeyPath = tuple[str | int, ...]
_PLAIN_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass
class Located:
    """Plain Python data from a YAML document plus the 1-based line/col of every key path."""

    data: Any
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    file: str = "<string>"

    def locate(self, path: KeyPath) -> tuple[int | None, int | None]:
        """Line/col of ``path``, or of its nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if p in self.marks:
                return self.marks[p]
            if not p:
                return None, None
            p = p[:-1]


def format_path(path: KeyPath) -> str:
    """``('objects', 2, 'size')`` -> ``objects[2].size``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Builder:
    """Turns a composed node tree into Python data, recording marks and enforcing limits."""

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.nodes = 0
        self.marks: dict[KeyPath, tuple[int, int]] = {}

    def _fail(self, node: yaml.Node, message: str, path: KeyPath, hint: str | None = None) -> None:
        raise ScenarioError(
            issues=[
                Issue(
                    message=message,
                    file=self.file,
                    line=node.start_mark.line + 1,
                    col=node.start_mark.column + 1,
                    path=format_path(path) or None,
                    hint=hint,
                )
            ]
        )

    def build(self, node: yaml.Node, path: KeyPath = ()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self._fail(
                node,
                f"document expands to more than {MAX_NODES} nodes",
                path,
                "YAML aliases may be multiplying the document; write values out instead",
            )
        if len(path) > MAX_DEPTH:
            self._fail(node, f"nesting deeper than {MAX_DEPTH} levels", path)
        self.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        # Collections are built here, not by PyYAML's constructors, so their tags must be checked
        # here too: otherwise '!!python/object/apply:...' on a list or mapping would pass silently.
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_COLLECTION_TAGS:
            self._fail(
                node,
                f"invalid YAML: custom YAML tags are not allowed (got '{node.tag}')",
                path,
                "scenario files are plain data: remove the '!tag'",
            )
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self._fail(key_node, "mapping keys must be plain strings", path)
                key = self.loader.construct_object(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    self._fail(key_node, f"duplicate key '{key}'", path + (key,))
                self.marks[path + (key,)] = (
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


def load_text(text: str, file: str = "<string>") -> Located:
    """Parse YAML text safely; raise :class:`ScenarioError` with line/col on any problem."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise ScenarioError(
            f"file is larger than {MAX_FILE_BYTES // 1024} KiB",
            file=file,
            hint="scenario files describe worlds; put large data in assets",
        )
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Located(data=None, file=file)
        builder = _Builder(loader, file)
        data = builder.build(node)
        return Located(data=data, marks=builder.marks, file=file)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or str(err)
        hint = None
        if "could not determine a constructor" in problem:
            problem = "custom YAML tags are not allowed"
            hint = "scenario files are plain data: remove the '!tag'"
        return_line = mark.line + 1 if mark else None
        return_col = mark.column + 1 if mark else None
        raise ScenarioError(
            f"invalid YAML: {problem}", file=file, line=return_line, col=return_col, hint=hint
        ) from None
    except yaml.YAMLError as err:
        raise ScenarioError(f"invalid YAML: {err}", file=file) from None
    finally:
        loader.dispose()


def load_file(path: str | Path) -> Located:
    """Read and parse a scenario file, with clear errors for missing or unreadable files."""
    p = Path(path)
    shown = str(path)
    if not p.exists():
        raise ScenarioError("file not found", file=shown, hint="check the path")
    if not p.is_file():
        raise ScenarioError("not a regular file", file=shown)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(f"file is {size} bytes, more than the {MAX_FILE_BYTES // 1024} KiB limit", file=shown)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("file is not UTF-8 text", file=shown) from None
    except OSError as err:
        raise ScenarioError(f"cannot read file: {err.strerror}", file=shown) from None
    return load_text(text, file=shown)
