"""``require:`` conditions: boolean expressions every accepted episode satisfies.

A condition extends the ``${...}`` expression language (:mod:`simgen.scenario.references`)
with comparisons (``< <= > >= == !=``), ``and``, ``or``, ``not`` and functions of objects and
cameras::

    require:
      - visible_fraction(child, dashcam) <= 0.4
      - distance(ego, child) > 12 and ahead_of(child, ego)
      - not in_view(deer, dashcam) or params.speed < 8

Objects are named like everywhere else (``van`` = its first instance, ``van_1``); cameras by
name. Geometry functions read the episode as sampled (before physics); ``visible_fraction`` and
``in_view`` read the camera's ground truth at its first captured frame (see
:mod:`simgen.batch.probe`). This module parses and type-checks; evaluation is in
:mod:`simgen.scenario.requirements`.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import math
import re
from dataclasses import dataclass

from simgen.scenario.references import MAX_EXPRESSION_CHARS, KeyPath, parse_key_path

# name -> (argument kinds, result kind); "object"/"camera" arguments are bare names.
FUNCTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "distance": (("object", "object"), "num"),
    "longitudinal": (("object", "object"), "num"),
    "lateral": (("object", "object"), "num"),
    "ahead_of": (("object", "object"), "bool"),
    "behind": (("object", "object"), "bool"),
    "left_of": (("object", "object"), "bool"),
    "right_of": (("object", "object"), "bool"),
    "visible_fraction": (("object", "camera"), "num"),
    "in_view": (("object", "camera"), "bool"),
}
ARITHMETIC = ("min", "max", "abs")
TRUTH_FUNCTIONS = ("visible_fraction", "in_view")
_COMPARE = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)
_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_BOOL_WORDS = re.compile(r"\b(true|false)\b")  # YAML spelling of the constants


@dataclass(frozen=True)
class Condition:
    """A parsed condition: its text, checked tree, the names and key paths it reads, where it was written."""

    text: str
    tree: ast.Expression
    objects: tuple[str, ...]
    cameras: tuple[str, ...]
    paths: tuple[KeyPath, ...]
    needs_truth: bool
    data_path: KeyPath = ()

    def located(self, data_path: KeyPath) -> Condition:
        """The same condition recorded at raw-data key ``data_path`` (for located errors)."""
        return dataclasses.replace(self, data_path=data_path)


def key_path_of(node: ast.AST) -> KeyPath | None:
    """``params.speed`` / ``objects.van.position[0]`` written in a condition, as a key path."""
    if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
        try:
            return parse_key_path(ast.unparse(node).replace(" ", ""))
        except ValueError:
            return None
    return None


class _Checker:
    """Walks a tree once: kinds of sub-expressions, names, key paths; raises ValueError on misuse."""

    def __init__(self) -> None:
        self.objects: list[str] = []
        self.cameras: list[str] = []
        self.paths: list[KeyPath] = []
        self.truth = False

    def kind(self, node: ast.AST) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "bool"
            if isinstance(node.value, int | float) and math.isfinite(float(node.value)):
                return "num"
            raise ValueError(f"only numbers, true/false and key paths may appear, not {node.value!r}")
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                self.want(v, "bool", "and/or join conditions")
            return "bool"
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                self.want(node.operand, "bool", "'not' negates a condition")
                return "bool"
            self.want(node.operand, "num", "a sign applies to a number")
            return "num"
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, _ARITH):
                raise ValueError("arithmetic is + - * / only")
            self.want(node.left, "num", "arithmetic needs numbers")
            self.want(node.right, "num", "arithmetic needs numbers")
            return "num"
        if isinstance(node, ast.Compare):
            if not all(isinstance(op, _COMPARE) for op in node.ops):
                raise ValueError("compare with < <= > >= == !=")
            for v in (node.left, *node.comparators):
                self.want(v, "num", "comparisons are between numbers")
            return "bool"
        if isinstance(node, ast.Call):
            return self.call(node)
        path = key_path_of(node)
        if path is not None:
            self.paths.append(path)
            return "num"
        raise ValueError(f"'{ast.unparse(node)}' is not allowed here")

    def want(self, node: ast.AST, kind: str, why: str) -> None:
        got = self.kind(node)
        if got != kind:
            raise ValueError(f"'{ast.unparse(node)}' is a {'condition' if got == 'bool' else 'number'}; {why}")

    def call(self, node: ast.Call) -> str:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name is None or node.keywords or (name not in FUNCTIONS and name not in ARITHMETIC):
            known = ", ".join([*FUNCTIONS, *ARITHMETIC])
            raise ValueError(f"unknown function '{ast.unparse(node.func)}'; known: {known}")
        if name in ARITHMETIC:
            if not node.args or (name == "abs" and len(node.args) != 1):
                raise ValueError(f"{name}() needs {'one argument' if name == 'abs' else 'arguments'}")
            for a in node.args:
                self.want(a, "num", f"{name}() takes numbers")
            return "num"
        kinds, result = FUNCTIONS[name]
        if len(node.args) != len(kinds):
            raise ValueError(f"{name}() takes {len(kinds)} arguments: {', '.join(kinds)} names")
        for arg, kind in zip(node.args, kinds, strict=True):
            if not isinstance(arg, ast.Name):
                article = "an" if kind == "object" else "a"
                raise ValueError(f"{name}(): '{ast.unparse(arg)}' should be the name of {article} {kind}")
            (self.objects if kind == "object" else self.cameras).append(arg.id)
        self.truth |= name in TRUTH_FUNCTIONS
        return result


@functools.lru_cache(maxsize=1024)
def parse_condition(text: str) -> Condition:
    """Parse one condition (plain, or wrapped in ``${...}``); ValueError saying what is wrong."""
    body = text.strip()
    if body.startswith("${") and body.endswith("}"):
        body = body[2:-1].strip()
    if not body:
        raise ValueError("empty condition")
    if len(body) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"a condition is at most {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(_BOOL_WORDS.sub(lambda m: m.group(0).title(), body), mode="eval")
    except SyntaxError:
        if body.count("(") != body.count(")"):
            raise ValueError(
                f"cannot parse '{body}': unbalanced parentheses; inside a YAML [...] list, quote a condition "
                'that has commas: ["left_of(a, b)"]'
            ) from None
        raise ValueError(
            f"cannot parse '{body}'; write e.g. 'visible_fraction(child, dashcam) <= 0.4 and distance(ego, child) > 10'"
        ) from None
    checker = _Checker()
    if checker.kind(tree.body) != "bool":
        raise ValueError(f"'{body}' is a number, not a condition; compare it, e.g. '{body} > 0'")
    return Condition(
        text=body,
        tree=tree,
        objects=tuple(dict.fromkeys(checker.objects)),
        cameras=tuple(dict.fromkeys(checker.cameras)),
        paths=tuple(dict.fromkeys(checker.paths)),
        needs_truth=checker.truth,
    )
