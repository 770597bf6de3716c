"""No function in simgen/ is longer than 80 lines (decorators excluded, docstring included)."""

from __future__ import annotations

import ast
from pathlib import Path

import simgen

MAX_LINES = 80
ROOT = Path(simgen.__file__).parent


def long_functions(root: Path, limit: int = MAX_LINES) -> list[str]:
    """``path:line name (N lines)`` of every function or method in ``root`` longer than ``limit``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_in_simgen_is_over_80_lines() -> None:
    assert long_functions(ROOT) == []


def test_the_check_sees_long_functions_at_any_depth(tmp_path: Path) -> None:
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_LINES))
    (tmp_path / "m.py").write_text(f"class A:\n    def long(self):\n{body}\n\n    def short(self):\n        pass\n")
    assert long_functions(tmp_path) == [f"{tmp_path.name}/m.py:2 long ({MAX_LINES + 1} lines)"]
