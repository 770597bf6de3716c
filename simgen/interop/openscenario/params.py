"""OpenSCENARIO parameters: declarations, ``$name`` references and ``${expression}`` values.

Expressions are evaluated by walking Python's AST restricted to numbers, names of declared
parameters, ``+ - * / % **``, unary minus and parentheses (plus ``not``, ``and``, ``or``), so
an untrusted file cannot run code.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

from simgen.interop.xmlread import Node

_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
}


class ParamError(ValueError):
    """A reference to an undeclared parameter or an expression outside the allowed grammar."""


def _eval(node: ast.AST, names: dict[str, str]) -> float:
    if isinstance(node, ast.Expression):
        return _eval(node.body, names)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ParamError(f"unknown parameter ${node.id}")
        return float(names[node.id])
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_eval(node.left, names), _eval(node.right, names)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        v = _eval(node.operand, names)
        return -v if isinstance(node.op, ast.USub) else (float(not v) if isinstance(node.op, ast.Not) else v)
    if isinstance(node, ast.BoolOp):
        vals = [_eval(v, names) for v in node.values]
        return float(all(vals) if isinstance(node.op, ast.And) else any(vals))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords:
        return float(_FUNCS[node.func.id](*(_eval(a, names) for a in node.args)))
    raise ParamError(f"unsupported expression element {type(node).__name__}")


class Scope:
    """Parameter values visible at one place of the file (a chain of declarations)."""

    def __init__(self, values: dict[str, str] | None = None, parent: Scope | None = None) -> None:
        self.values = dict(values or {})
        self.parent = parent

    def lookup(self) -> dict[str, str]:
        """Every visible name -> value (inner declarations win)."""
        out = self.parent.lookup() if self.parent is not None else {}
        out.update(self.values)
        return out

    def child(self, decls: Node | None, overrides: dict[str, str] | None = None) -> Scope:
        """A scope with ``decls`` (a ``ParameterDeclarations`` element) added, then ``overrides``."""
        scope = Scope(parent=self)
        for d in decls.findall("ParameterDeclaration") if decls is not None else []:
            name = d.attrib.get("name", "")
            scope.values[name] = scope.resolve(d.attrib.get("value", ""))
        scope.values.update(overrides or {})
        return scope

    def resolve(self, raw: str) -> str:
        """The attribute text with ``$name`` replaced and ``${expr}`` evaluated."""
        raw = raw.strip()
        names = self.lookup()
        if raw.startswith("${") and raw.endswith("}"):
            expr = _REF.sub(lambda m: m.group(1), raw[2:-1])
            try:
                tree = ast.parse(expr, mode="eval")
            except SyntaxError as exc:
                raise ParamError(f"cannot parse expression {raw!r}") from exc
            value = _eval(tree, names)
            return repr(value)
        if raw.startswith("$"):
            name = raw[1:]
            if name not in names:
                raise ParamError(f"unknown parameter {raw}")
            return names[name]
        return raw
