"""Composition of scenario documents: ``extends:``, overlays and key-path assignments.

These work on plain YAML data plus its marks (:class:`~simgen.scenario.yamlio.Located`), before
validation, so one set of rules covers a base file, a variant's overlay and a sweep cell:

* **deep merge** (``extends:`` and ``variants[].overlay``): mappings merge key by key,
  recursively; lists and scalars in the overriding document replace the base's whole value;
  ``key: null`` deletes ``key`` (the field falls back to its default).
* **assignment** (``variants[].set`` and ``sweep``): ``{"objects.part.class": defect}`` puts one
  value at a key path; list items are picked by ``name`` or ``[index]``; missing mappings on the
  way are created.

Marks travel with the values, so an error in the merged result points at the file and line that
provided the offending value.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simgen.errors import Issue, ScenarioError, did_you_mean
from simgen.scenario.references import parse_key_path
from simgen.scenario.yamlio import KeyPath, Located, Mark, format_path, load_file

MAX_EXTENDS_DEPTH = 8
SHIPPED_PREFIX = "scenarios:"


@dataclass(frozen=True)
class Source:
    """A subtree of a located document: ``data`` sits at ``prefix`` in a document with ``marks``."""

    data: Any
    marks: dict[KeyPath, Mark]
    prefix: KeyPath = ()

    def mark(self, rel: KeyPath) -> Mark | None:
        """Mark of relative path ``rel``."""
        return self.marks.get(self.prefix + rel)


def _copy_marks(data: Any, src: Source, rel: KeyPath, dst_path: KeyPath, out: dict[KeyPath, Mark]) -> None:
    """Copy the marks of ``data`` (at ``rel`` in ``src``) to ``dst_path`` in ``out``, recursively."""
    m = src.mark(rel)
    if m is not None:
        out[dst_path] = m
    if isinstance(data, dict):
        for k, v in data.items():
            _copy_marks(v, src, rel + (k,), dst_path + (k,), out)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            _copy_marks(v, src, rel + (i,), dst_path + (i,), out)


def deep_merge(base: Source, over: Source) -> tuple[Any, dict[KeyPath, Mark]]:
    """Merge ``over`` onto ``base`` (rules in the module docstring); returns (data, marks)."""
    marks: dict[KeyPath, Mark] = {}

    def merge(b: Any, o: Any, path: KeyPath) -> Any:
        if isinstance(b, dict) and isinstance(o, dict):
            out: dict[str, Any] = {}
            m = over.mark(path) or base.mark(path)
            if m is not None:
                marks[path] = m
            for k, v in b.items():
                if k not in o:
                    out[k] = v
                    _copy_marks(v, base, path + (k,), path + (k,), marks)
            for k, v in o.items():
                if v is None:
                    continue
                if k in b and isinstance(b[k], dict) and isinstance(v, dict):
                    out[k] = merge(b[k], v, path + (k,))
                    km = over.mark(path + (k,))
                    if km is not None:
                        marks[path + (k,)] = km
                else:
                    out[k] = copy.deepcopy(v)
                    _copy_marks(v, over, path + (k,), path + (k,), marks)
            return out
        _copy_marks(o, over, path, path, marks)
        return copy.deepcopy(o)

    return merge(base.data, over.data, ()), marks


class PathProblem(ValueError):
    """A key path that does not lead anywhere in the document."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def assign(data: dict[str, Any], marks: dict[KeyPath, Mark], key: str, value: Source) -> KeyPath:
    """Put ``value`` at key path ``key`` in ``data`` (in place); returns the raw-data path it landed on."""
    try:
        parts = parse_key_path(key)
    except ValueError as err:
        raise PathProblem(str(err)) from None
    cur: Any = data
    path: list[str | int] = []
    for n, part in enumerate(parts):
        last = n == len(parts) - 1
        if isinstance(cur, dict):
            if isinstance(part, int):
                raise PathProblem(f"'{format_path(tuple(path)) or 'the scenario'}' is a mapping; it has no [{part}]")
            if last:
                cur[part] = copy.deepcopy(value.data)
            elif cur.get(part) is None:
                cur[part] = {}
            elif not isinstance(cur[part], dict | list):
                raise PathProblem(f"'{format_path((*path, part))}' is a single value; it has no '{parts[n + 1]}'")
            path.append(part)
            if not last:
                cur = cur[part]
        elif isinstance(cur, list):
            if isinstance(part, str):
                names = [e.get("name") if isinstance(e, dict) else None for e in cur]
                if part not in names:
                    choices = [x for x in names if isinstance(x, str)]
                    raise PathProblem(
                        f"no item named '{part}' in '{format_path(tuple(path))}'",
                        did_you_mean(part, choices) or (f"names: {', '.join(choices)}" if choices else None),
                    )
                idx = names.index(part)
            else:
                idx = part
                if not 0 <= idx < len(cur):
                    raise PathProblem(f"'{format_path(tuple(path))}' has {len(cur)} items; [{idx}] is out of range")
            path.append(idx)
            if last:
                cur[idx] = copy.deepcopy(value.data)
            else:
                cur = cur[idx]
        else:
            raise PathProblem(f"'{format_path(tuple(path))}' is a single value; it has no '{part}'")
    landed = tuple(path)
    for k in [k for k in marks if k[: len(landed)] == landed]:
        del marks[k]
    _copy_marks(value.data, value, (), landed, marks)
    origin = value.marks.get(value.prefix) if value.prefix else None
    for n in range(1, len(landed) + 1):
        if landed[:n] not in marks and origin is not None:
            marks[landed[:n]] = origin  # created on the way: point at the assignment's key
    return landed


def _extends_target(ref: Any, file: Path) -> tuple[Path | None, str | None, str | None]:
    """(resolved path, problem, hint) for an ``extends:`` value written in ``file``."""
    if not isinstance(ref, str) or not ref.strip():
        return None, "'extends' takes the path of another scenario file", "e.g. extends: base.yaml"
    if ref.startswith(SHIPPED_PREFIX):
        from simgen.resources import data_dir

        root, rel = data_dir("scenarios"), ref[len(SHIPPED_PREFIX) :]
    else:
        root, rel = file.parent, ref
    rel_path = Path(rel)
    if rel_path.is_absolute() or rel.startswith("~"):
        return None, f"absolute path '{ref}' is not allowed in 'extends'", "write a path relative to this file"
    if ".." in rel_path.parts:
        return None, f"'..' in '{ref}' is not allowed", "keep base scenarios next to (or below) the file extending them"
    if not rel.endswith((".yaml", ".yml")):
        return None, f"'extends' must name a .yaml file, got '{ref}'", None
    root_real = root.resolve()
    target = (root_real / rel_path).resolve()
    if not target.is_relative_to(root_real):
        return None, f"'extends: {ref}' leaves the scenario's folder through a symlink", None
    if target.exists() and not target.is_file():
        return None, f"'extends: {ref}' is not a file", None
    if not target.is_file():
        hint = None
        if target.parent.is_dir():
            hint = did_you_mean(target.name, [p.name for p in target.parent.iterdir()])
        return None, f"base scenario not found: '{ref}'", hint
    return target, None, None


def resolve_extends(located: Located, path: Path, chain: tuple[Path, ...] = ()) -> Located:
    """Follow ``extends:`` (recursively) and deep-merge this document onto its base.

    ``path`` is the file ``located`` was read from; relative ``extends`` paths resolve against
    its folder and may not leave it; ``scenarios:NAME.yaml`` names a shipped scenario.
    """
    data = located.data
    if not isinstance(data, dict) or "extends" not in data:
        return located
    me = path.resolve()
    chain = chain + (me,)

    def fail(message: str, hint: str | None = None) -> ScenarioError:
        file, line, col = located.where(("extends",))
        return ScenarioError(issues=[Issue(message, file, line, col, "extends", hint)])

    if len(chain) > MAX_EXTENDS_DEPTH:
        return_chain = " -> ".join(p.name for p in chain)
        raise fail(f"'extends' chains more than {MAX_EXTENDS_DEPTH} files deep ({return_chain})")
    target, problem, hint = _extends_target(data["extends"], path)
    if problem or target is None:
        raise fail(problem or "cannot follow 'extends'", hint)
    if target in chain:
        loop = " -> ".join(p.name for p in chain[chain.index(target) :] + (target,))
        raise fail(f"'extends' cycle: {loop}", "a base scenario cannot extend a file that extends it")
    shown = str(Path(located.file).parent / data["extends"]) if not data["extends"].startswith(SHIPPED_PREFIX) else None
    base = load_file(target, shown)
    base = resolve_extends(base, target, chain)
    if not isinstance(base.data, dict):
        raise fail(f"base scenario '{data['extends']}' is not a mapping of keys")
    over = {k: v for k, v in data.items() if k != "extends"}
    merged, marks = deep_merge(Source(base.data, base.marks), Source(over, located.marks))
    merged.pop("extends", None)
    marks = {k: v for k, v in marks.items() if not (k and k[0] == "extends")}
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    return Located(data=merged, marks=marks, file=located.file, bases=((str(target), digest), *base.bases))
