"""Notices to the user on stderr: plain ``simgen: ...`` lines, or JSON events under ``--progress json``.

A machine reading ``--progress json`` parses every stderr line, so in that mode a notice is
``{"event": "notice", "kind": ..., "message": ...}`` and an error ``{"event": "error", ...}``.
The mode lives in the environment (``SIMGEN_STDERR=json``) so that worker processes, which
print notices of their own (a renderer falling back), follow it too.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

ENV = "SIMGEN_STDERR"


def json_mode() -> bool:
    """True when stderr carries a JSON event stream."""
    return os.environ.get(ENV) == "json"


def set_json_mode(on: bool) -> None:
    """Switch the stderr stream (of this process and the workers it starts) to JSON events or back."""
    if on:
        os.environ[ENV] = "json"
    else:
        os.environ.pop(ENV, None)


def notice(message: str, kind: str = "info", **fields: Any) -> None:
    """Tell the user something that does not stop the run (one line on stderr)."""
    _emit("notice", message, kind, fields)


def error(message: str, kind: str = "error", **fields: Any) -> None:
    """Report an error line (the caller decides the exit code)."""
    _emit("error", message, kind, fields)


def _emit(event: str, message: str, kind: str, fields: dict[str, Any]) -> None:
    if json_mode():
        line = json.dumps({"event": event, "kind": kind, "message": message, **fields})
    else:
        line = f"simgen: {'error: ' if event == 'error' else ''}{message}"
    print(line, file=sys.stderr, flush=True)  # noqa: T201


__all__ = ["error", "json_mode", "notice", "set_json_mode"]
