"""``${...}`` references: values computed from other sampled values, for correlated draws.

A reference is a whole YAML value ``${EXPR}`` where ``EXPR`` is arithmetic (``+ - * /``,
parentheses, ``min``, ``max``, ``abs``) over numbers and key paths into the scenario::

    params:
      speed: {uniform: [1, 3]}
    objects:
      - name: van
        position: [{uniform: [-2, 2]}, 0, 0]
      - name: child
        position: ["${objects.van.position[0] + 1.5}", 0, 0]   # quote inside [...] / {...}
        mass: ${params.speed * 10}
        radius: ${self.mass / 100}                            # the same instance's value

Key paths name fields the way the file does (``world.ground.friction``); list items by name
(``objects.van``) or index (``objects[0]``); ``self`` is the enclosing list item (object, camera,
...); ``params`` are the named random variables of the top-level ``params:`` block. For an object
with a count, ``objects.van...`` is its first instance (drawn even when count is 0) and ``self`` is
the instance being built.

Every value is drawn from a generator seeded by its own key path (see
:class:`simgen.scenario.sampling.Sampler`), so resolving a reference early never changes what that
value is: determinism does not depend on the order fields are visited. Cycles are found when the
scenario loads and reported with the whole loop.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

KeyPath = tuple[str | int, ...]
RefPath = tuple[str | int, ...]

MAX_EXPRESSION_CHARS = 400
MAX_PATHS = 32
FUNCTIONS: dict[str, Callable[..., float]] = {"min": min, "max": max, "abs": abs}
SKIPPED_TOP_LEVEL = ("extends", "variants", "sweep")

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH_IN_EXPR = re.compile(rf"(?<![\w.\]]){_IDENT}(?:\.{_IDENT}|\[\s*\d+\s*\])*")
_KEY_SEGMENT = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_\-]*)|\[\s*(\d+)\s*\]")


class ReferenceProblem(ValueError):
    """A reference that cannot be resolved; ``hint`` is a 'did you mean' or advice."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_key_path(text: str) -> KeyPath:
    """``'objects.van.position[0]'`` -> ``('objects', 'van', 'position', 0)``; ValueError if malformed."""
    parts: list[str | int] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _KEY_SEGMENT.match(text, pos)
        if m is None or (pos == 0 and m.group(0).startswith(".")) or (pos > 0 and m.group(1) and text[pos] != "."):
            raise ValueError(f"malformed key path '{text}' at character {pos + 1}; write it like objects.van.mass[0]")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts:
        raise ValueError("empty key path")
    return tuple(parts)


def format_ref(path: Sequence[str | int]) -> str:
    """``('objects', 'van', 'position', 0)`` -> ``objects.van.position[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


@dataclass(frozen=True)
class Expression:
    """A parsed ``${...}`` body: the key paths it reads and a checked arithmetic tree over them."""

    text: str
    paths: tuple[RefPath, ...]
    tree: ast.Expression = field(compare=False, repr=False)

    def evaluate(self, values: Sequence[float]) -> float:
        """Value of the expression with ``values[i]`` standing for ``paths[i]``."""
        return float(_eval(self.tree.body, values))


def _eval(node: ast.AST, values: Sequence[float]) -> float:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float), "the parser lets only numbers through"
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(values[int(node.id[2:])])
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if b == 0:
            raise ReferenceProblem("division by zero")
        return a / b
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name), "the parser lets only named functions through"
        return float(FUNCTIONS[node.func.id](*(_eval(a, values) for a in node.args)))
    raise AssertionError(f"unchecked node {type(node).__name__}")


_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)


def _check_tree(tree: ast.AST, n_paths: int) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ValueError(f"only numbers and key paths may appear, not {node.value!r}")
            if not math.isfinite(float(node.value)):
                raise ValueError("numbers must be finite")
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ValueError(f"only the functions {', '.join(FUNCTIONS)} may be called")
            if not node.args:
                raise ValueError(f"{node.func.id}() needs at least one argument")
            if node.func.id == "abs" and len(node.args) != 1:
                raise ValueError("abs() takes one argument")
        elif isinstance(node, ast.Name):
            if not (node.id in FUNCTIONS or (node.id.startswith("_r") and node.id[2:].isdigit())):
                raise ValueError(f"unexpected name '{node.id}'")
            if node.id.startswith("_r") and int(node.id[2:]) >= n_paths:
                raise ValueError(f"unexpected name '{node.id}'")
        elif isinstance(node, ast.Load):
            continue
        elif not isinstance(node, _ALLOWED):
            raise ValueError(f"'{type(node).__name__}' is not allowed; use + - * / ( ) min max abs")


def parse_reference(value: str) -> Expression:
    """Parse ``'${objects.van.position[0] + 1.5}'``; raise ValueError saying what is wrong."""
    text = value.strip()
    if not (text.startswith("${") and text.endswith("}")) or text.count("${") != 1:
        raise ValueError(f"a reference is one whole value '${{path}}', got {value!r}")
    body = text[2:-1].strip()
    if not body:
        raise ValueError("empty reference '${}'")
    if len(body) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"reference longer than {MAX_EXPRESSION_CHARS} characters")
    paths: list[RefPath] = []

    def swap(m: re.Match[str]) -> str:
        rest = body[m.end() :].lstrip()
        if m.group(0) in FUNCTIONS and rest.startswith("("):
            return m.group(0)
        paths.append(parse_key_path(m.group(0).replace(" ", "")))
        return f"_r{len(paths) - 1}"

    replaced = _PATH_IN_EXPR.sub(swap, body)
    if len(paths) > MAX_PATHS:
        raise ValueError(f"a reference may read at most {MAX_PATHS} values")
    try:
        tree = ast.parse(replaced, mode="eval")
    except SyntaxError:
        raise ValueError(
            f"cannot parse '${{{body}}}'; write a key path like params.speed or arithmetic like "
            "objects.van.position[0] + 1.5"
        ) from None
    _check_tree(tree, len(paths))
    if not paths:
        raise ValueError(f"'${{{body}}}' refers to nothing; write the number itself instead")
    return Expression(text=body, paths=tuple(paths), tree=tree)


@dataclass(frozen=True)
class Context:
    """The list item a value sits in (what ``self`` means), and which instance of it is drawn."""

    model: BaseModel
    data_path: KeyPath
    seed_prefix: str
    name: str
    instance: int = 0


@dataclass(frozen=True)
class Target:
    """Where a key path leads: the field's value and the key path its draw is seeded by."""

    value: Any
    seed_path: str
    name: str
    data_path: KeyPath


def _values(model: BaseModel) -> dict[str, Any]:
    """YAML key -> value of a model's fields (a drawn-type object adds the kind fields all its types share)."""
    out = {(f.alias or n): getattr(model, n) for n, f in type(model).model_fields.items()}
    shared = getattr(model, "shared_values", None)
    return {**out, **shared()} if callable(shared) else out


def _instanced(model: BaseModel) -> bool:
    return "count" in type(model).model_fields


def _join(prefix: str, key: str | int) -> str:
    return prefix + (f"[{key}]" if isinstance(key, int) else ("." if prefix else "") + key)


def _unknown(key: str, choices: Sequence[str], where: str) -> ReferenceProblem:
    from simgen.errors import did_you_mean

    hint = did_you_mean(key, list(choices))
    shown = ", ".join(sorted(str(c) for c in choices)[:12])
    return ReferenceProblem(f"no '{key}' in {where}", hint or (f"known: {shown}" if shown else None))


def _element(cur: Sequence[Any], part: str | int, name: str) -> int:
    if isinstance(part, int):
        if not 0 <= part < len(cur):
            raise ReferenceProblem(f"'{name}' has {len(cur)} items; index {part} is out of range")
        return part
    names = [getattr(e, "name", None) for e in cur]
    if part not in names:
        raise _unknown(part, [n for n in names if isinstance(n, str)], f"'{name}'")
    return names.index(part)


def resolve(root: BaseModel, parts: RefPath, ctx: Context | None = None) -> Target:
    """Follow ``parts`` from the scenario ``root`` (or from ``ctx`` for ``self``) to one numeric field."""
    if parts[0] == "self":
        if ctx is None:
            raise ReferenceProblem("'self' only means something inside a list item such as an object or camera")
        cur: Any = ctx.model
        data, seed, name, rest = list(ctx.data_path), ctx.seed_prefix, ctx.name, parts[1:]
    else:
        cur, data, seed, name, rest = root, [], "", "", parts
    for n, part in enumerate(rest):
        nxt = rest[n + 1] if n + 1 < len(rest) else None
        if isinstance(cur, BaseModel):
            fields = _values(cur)
            if not isinstance(part, str):
                raise ReferenceProblem(f"'{name or 'the scenario'}' is a section; index it by key, not [{part}]")
            if part not in fields:
                choices = list(fields) + (["self"] if cur is root else [])
                raise _unknown(part, [c for c in choices if c not in SKIPPED_TOP_LEVEL], f"'{name or 'the scenario'}'")
            cur = fields[part]
            data.append(part)
            seed, name = _join(seed, part), _join(name, part)
        elif isinstance(cur, dict):
            if part not in cur:
                raise _unknown(str(part), list(cur), f"'{name}'")
            cur = cur[part]
            data.append(part)
            seed, name = _join(seed, part), _join(name, part)
        elif isinstance(cur, list | tuple):
            idx = _element(cur, part, name)
            elem = cur[idx]
            data.append(idx)
            seed = _join(seed, idx)
            if isinstance(elem, BaseModel):
                label = getattr(elem, "name", None)
                name = _join(name, label if isinstance(label, str) else idx)
                if _instanced(elem) and nxt != "count":
                    same = ctx is not None and ctx.data_path == tuple(data)
                    seed = _join(seed, ctx.instance if same and ctx is not None else 0)
            else:
                name = _join(name, idx)
            cur = elem
        else:
            raise ReferenceProblem(f"'{name}' is a single value; it has no '{format_ref([part])}'")
    _check_numeric(cur, name)
    return Target(value=cur, seed_path=seed, name=name, data_path=tuple(data))


def _check_numeric(value: Any, name: str) -> None:
    from simgen.scenario.distributions import Choice, Constant

    if value is None:
        raise ReferenceProblem(f"'{name}' is not set in this scenario")
    if isinstance(value, BaseModel | dict):
        raise ReferenceProblem(f"'{name}' is a section, not a number", "refer to one of its numeric fields")
    if isinstance(value, list | tuple):
        raise ReferenceProblem(
            f"'{name}' is a list of {len(value)} values, not a number", f"pick one, e.g. '{name}[0]'"
        )
    words = (
        isinstance(value, str | bool)
        or (isinstance(value, Constant) and isinstance(value.value, str))
        or (isinstance(value, Choice) and any(isinstance(v, str) for v in value.values))
    )
    if words:
        raise ReferenceProblem(f"'{name}' is not a number")


def context_of(root: BaseModel, seed_path: str) -> tuple[Context | None, KeyPath | None]:
    """The ``self`` context and raw-data key path of the value the Sampler draws at ``seed_path``.

    ``objects[3][1].radius`` -> (object 3, instance 1), ``('objects', 3, 'radius')``. Returns
    ``(None, None)`` for paths that do not follow the model's layout.
    """
    try:
        parts = parse_key_path(seed_path)
    except ValueError:
        return None, None
    cur: Any = root
    data: list[str | int] = []
    ctx: Context | None = None
    seed, name = "", ""
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(cur, BaseModel) and isinstance(part, str):
            fields = _values(cur)
            if part not in fields:
                return ctx, None
            cur = fields[part]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list | tuple) and isinstance(part, int) and 0 <= part < len(cur):
            elem = cur[part]
            data.append(part)
            seed = _join(seed, part)
            if isinstance(elem, BaseModel):
                label = getattr(elem, "name", None)
                name = _join(name, label if isinstance(label, str) else part)
                instance = 0
                if _instanced(elem) and i + 1 < len(parts) and isinstance(parts[i + 1], int):
                    instance = int(parts[i + 1])
                    seed = _join(seed, instance)
                    i += 1
                ctx = Context(elem, tuple(data), seed, name, instance)
            else:
                name = _join(name, part)
            cur = elem
            i += 1
            continue
        else:
            return ctx, None
        data.append(part)
        seed, name = _join(seed, part), _join(name, part)
        i += 1
    return ctx, tuple(data)


def iter_references(root: BaseModel) -> Iterator[tuple[KeyPath, Any, Context | None]]:
    """Every ``Ref`` in the scenario with its raw-data key path and ``self`` context (instance 0)."""
    from simgen.scenario.distributions import Ref

    def walk(value: Any, data: KeyPath, seed: str, name: str, ctx: Context | None) -> Iterator[Any]:
        if isinstance(value, Ref):
            yield data, value, ctx
        elif isinstance(value, BaseModel):
            for key, item in _values(value).items():
                if not data and key in SKIPPED_TOP_LEVEL:
                    continue
                yield from walk(item, data + (key,), _join(seed, key), _join(name, key), ctx)
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, data + (key,), _join(seed, key), _join(name, key), ctx)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    label = getattr(item, "name", None)
                    s = _join(seed, i)
                    s = _join(s, 0) if _instanced(item) else s
                    nm = _join(name, label if isinstance(label, str) else i)
                    yield from walk(item, data + (i,), s, nm, Context(item, data + (i,), s, nm))
                else:
                    yield from walk(item, data + (i,), _join(seed, i), _join(name, i), ctx)

    yield from walk(root, (), "", "", None)


def _block_references(root: BaseModel) -> Iterator[tuple[KeyPath, Any, Context]]:
    """Every ``Ref`` in a drawn-type object's ``per_type`` blocks, with its raw-data key path and context."""
    from simgen.scenario.distributions import Ref

    for j, entry in enumerate(getattr(root, "objects", None) or ()):
        blocks = getattr(entry, "block_values", None)
        if not callable(blocks):
            continue
        ctx = Context(entry, ("objects", j), f"objects[{j}][0]", f"objects.{entry.name}")
        for suffix, value in blocks():
            items = list(enumerate(value)) if isinstance(value, tuple | list) else [(None, value)]
            for i, item in items:
                if isinstance(item, Ref):
                    yield ("objects", j, *suffix, *(() if i is None else (i,))), item, ctx


@dataclass
class ReferenceIssue:
    """A reference problem found when the scenario loads, at the raw-data key path of the referrer."""

    data_path: KeyPath
    message: str
    hint: str | None = None


def check_references(root: BaseModel) -> list[ReferenceIssue]:
    """Resolve every reference statically: unknown paths (with 'did you mean') and cycles.

    Each cycle is reported once, at the first field in it (in file order), naming the whole loop.
    """
    issues: list[ReferenceIssue] = []
    edges: dict[str, list[str]] = {}
    where: dict[str, KeyPath] = {}
    for data_path, ref, ctx in iter_references(root):
        me = resolve(root, data_path, ctx).name if data_path else ""
        where.setdefault(me, data_path)
        for parts in ref.expression.paths:
            try:
                target = resolve(root, parts, ctx)
            except ReferenceProblem as err:
                issues.append(
                    ReferenceIssue(data_path, f"cannot resolve '${{{format_ref(parts)}}}': {err.message}", err.hint)
                )
                continue
            edges.setdefault(me, []).append(target.name)
    for data_path, ref, ctx in _block_references(root):  # checked for unknown paths; cycles show when sampled
        for parts in ref.expression.paths:
            try:
                resolve(root, parts, ctx)
            except ReferenceProblem as err:
                issues.append(
                    ReferenceIssue(data_path, f"cannot resolve '${{{format_ref(parts)}}}': {err.message}", err.hint)
                )
    for cycle in _cycles(edges):
        loop = " -> ".join(cycle + [cycle[0]])
        issues.append(
            ReferenceIssue(
                where[cycle[0]], f"reference cycle: {loop}", "break the loop: one of these needs a value of its own"
            )
        )
    return issues


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Cycles found by an iterative depth-first search, each once (rotated to its earliest node)."""
    order = {node: i for i, node in enumerate(edges)}
    state: dict[str, int] = {}
    found: dict[tuple[str, ...], list[str]] = {}
    for start in edges:
        if start in state:
            continue
        stack: list[str] = [start]
        todo: list[Iterator[str]] = [iter(edges.get(start, []))]
        state[start] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                state[stack.pop()] = 2
                todo.pop()
            elif state.get(nxt) == 1:
                cyc = stack[stack.index(nxt) :]
                first = min(range(len(cyc)), key=lambda i: order.get(cyc[i], len(order)))
                cyc = cyc[first:] + cyc[:first]
                found.setdefault(tuple(cyc), cyc)
            elif nxt not in state:
                state[nxt] = 1
                stack.append(nxt)
                todo.append(iter(edges.get(nxt, [])))
    return list(found.values())
