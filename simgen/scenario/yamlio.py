"""Safe YAML loading that remembers where every key came from.

Scenario files are untrusted: only the YAML safe schema is accepted (no Python tags), the file
size, nesting depth, node count and total text size after alias expansion are capped (so a
"billion laughs" file fails after at most ``MAX_NODES`` nodes instead of eating memory), merge
keys (``<<``) are expanded under the same budget, and duplicate keys are errors instead of
silently keeping the last one.

Nesting is checked twice: first on PyYAML's event stream, which its parser produces with an
explicit state stack (no recursion), so ``x: [[[[...`` fails after ``MAX_DEPTH`` levels instead
of driving the recursive composer into ``RecursionError``; then again while building, where
aliases can nest a document further than its text does.
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
MAX_TEXT_CHARS = 8 << 20  # characters of scalar text after alias expansion

_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")

KeyPath = tuple[str | int, ...]
Mark = tuple[int, int, str]  # 1-based line, 1-based column, file


@dataclass
class Located:
    """Plain Python data from a YAML document plus where every key path came from.

    ``marks`` maps a key path to ``(line, col, file)``; after ``extends:`` merging, paths from a
    base file keep that file's name, so errors point into the file that says the wrong thing, and
    ``bases`` names the merged files with their hashes (for the manifest).
    """

    data: Any
    marks: dict[KeyPath, Mark] = field(default_factory=dict)
    file: str = "<string>"
    # (path, sha256 of its bytes) of every file merged in through ``extends:``, nearest base first
    bases: tuple[tuple[str, str], ...] = ()

    def where(self, path: KeyPath) -> tuple[str, int | None, int | None]:
        """(file, line, col) of ``path``, or of its nearest ancestor that has a mark."""
        p = tuple(path)
        while True:
            if p in self.marks:
                line, col, file = self.marks[p]
                return file, line, col
            if not p:
                return self.file, None, None
            p = p[:-1]

    def locate(self, path: KeyPath) -> tuple[int | None, int | None]:
        """Line/col of ``path``, or of its nearest ancestor that has one."""
        _, line, col = self.where(path)
        return line, col


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
        self.chars = 0
        self.marks: dict[KeyPath, Mark] = {}

    def _mark(self, node: yaml.Node) -> Mark:
        return (node.start_mark.line + 1, node.start_mark.column + 1, self.file)

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
            self._expansion_error(node, path, f"document expands to more than {MAX_NODES} nodes")
        if len(path) > MAX_DEPTH:
            self._fail(node, f"nesting deeper than {MAX_DEPTH} levels", path)
        self.marks.setdefault(path, self._mark(node))
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            self._fail(
                node,
                f"custom YAML tags are not allowed (found '{node.tag}')",
                path,
                "scenario files are plain data: remove the '!tag'",
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            merged: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self._fail(key_node, "mapping keys must be plain strings", path)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    merged.update(self._merge(value_node, path))
                    continue
                key = self.loader.construct_object(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    self._fail(key_node, f"duplicate key '{key}'", path + (key,))
                self.marks[path + (key,)] = self._mark(key_node)
                out[key] = self.build(value_node, path + (key,))
            for key, value in merged.items():
                out.setdefault(key, value)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, str):
            self.chars += len(value)
            if self.chars > MAX_TEXT_CHARS:
                self._expansion_error(node, path, f"document expands to more than {MAX_TEXT_CHARS >> 20} MiB of text")
        return value

    def _expansion_error(self, node: yaml.Node, path: KeyPath, message: str) -> None:
        """Fail at the top-level key being expanded: alias targets' own marks would point elsewhere."""
        top = path[:1]
        line, col, _ = self.marks.get(top, self._mark(node))
        raise ScenarioError(
            issues=[
                Issue(
                    message=message,
                    file=self.file,
                    line=line,
                    col=col,
                    path=format_path(top) or None,
                    hint="YAML aliases (*name) may be multiplying the document; write values out instead",
                )
            ]
        )

    def _merge(self, node: yaml.Node, path: KeyPath) -> dict[str, Any]:
        """Keys of a ``<<: *anchor`` merge (earlier sources win), built under the node budget."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        out: dict[str, Any] = {}
        for src in sources:
            if not isinstance(src, yaml.MappingNode):
                self._fail(src, "'<<' merges mappings only: write '<<: *anchor' or '<<: [*a, *b]'", path)
            for key, value in self.build(src, path).items():
                out.setdefault(key, value)
        return out


def _check_nesting(text: str, file: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` by walking the (iterative) parser's events.

    Runs before the recursive composer, so a hostile file never reaches it; stops at the first
    node that is too deep and reports its line and key path, as the builder would. Work and
    memory are bounded by ``MAX_DEPTH`` open collections and the file size limit.
    """
    # One entry per open collection: its key path, whether it is a mapping, and its position
    # (next index of a sequence; a mapping's current key and whether a key comes next).
    stack: list[_Open] = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
            if stack:
                stack[-1].advance()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        path: KeyPath = stack[-1].child(event) if stack else ()
        scalar_key = bool(stack) and stack[-1].mapping and stack[-1].want_key and isinstance(event, yaml.ScalarEvent)
        if len(stack) > MAX_DEPTH and not scalar_key:  # a plain key is checked with its value
            raise ScenarioError(
                f"nesting deeper than {MAX_DEPTH} levels",
                file=file,
                line=event.start_mark.line + 1,
                col=event.start_mark.column + 1,
                path=format_path(path) or None,
            )
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append(_Open(path, isinstance(event, yaml.MappingStartEvent)))
        elif stack:
            stack[-1].advance()


@dataclass
class _Open:
    """An open collection while walking events: its key path and where in it the walk is."""

    path: KeyPath
    mapping: bool
    index: int = 0
    key: str = "?"
    want_key: bool = True

    def child(self, event: yaml.NodeEvent) -> KeyPath:
        """Key path of the node that ``event`` starts (a mapping key adds none of its own)."""
        if not self.mapping:
            return (*self.path, self.index)
        if self.want_key:
            self.key = str(event.value) if isinstance(event, yaml.ScalarEvent) else "?"
            return self.path
        return (*self.path, self.key)

    def advance(self) -> None:
        """A node inside this collection is complete: next index, or key -> value -> key."""
        if self.mapping:
            self.want_key = not self.want_key
        else:
            self.index += 1


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
        _check_nesting(text, file)
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
        elif mark is not None and "${" in _line(text, mark.line):
            hint = 'quote references inside [...] or {...}: ["${objects.van.position[0]}", 0, 0]'
        elif err.context and "flow" in err.context:
            hint = "a [...] or {...} is not closed, or a value in it needs quotes"
        return_line = mark.line + 1 if mark else None
        return_col = mark.column + 1 if mark else None
        raise ScenarioError(
            f"invalid YAML: {problem}", file=file, line=return_line, col=return_col, hint=hint
        ) from None
    except yaml.YAMLError as err:
        raise ScenarioError(f"invalid YAML: {err}", file=file) from None
    finally:
        loader.dispose()


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if 0 <= index < len(lines) else ""


def load_file(path: str | Path, shown: str | None = None) -> Located:
    """Read and parse a scenario file, with clear errors for missing or unreadable files.

    ``shown`` is the name used in error messages (default: ``path`` as given).
    """
    p = Path(path)
    shown = str(path) if shown is None else shown
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
