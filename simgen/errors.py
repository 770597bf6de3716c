"""The one error family for user mistakes.

Every error a user can fix (bad scenario, missing file, bad CLI value) is a :class:`SimgenError`.
The CLI prints these without a traceback and exits 2; anything else is a bug and still raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Issue:
    """One problem at one place: ``file:line:col: key.path: message (hint)``."""

    message: str
    file: str | None = None
    line: int | None = None
    col: int | None = None
    path: str | None = None
    hint: str | None = None

    def format(self) -> str:
        """Render as one line, the way compilers do, so editors can jump to it."""
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.col is not None:
                    where += f":{self.col}"
            where += ": "
        key = f"{self.path}: " if self.path else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{key}{self.message}{hint}"


class SimgenError(Exception):
    """A mistake the user can fix; carries one or more located :class:`Issue` records."""

    def __init__(
        self,
        message: str | None = None,
        *,
        issues: list[Issue] | None = None,
        file: str | Path | None = None,
        line: int | None = None,
        col: int | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        if issues is None:
            issues = [
                Issue(
                    message=message or "error",
                    file=str(file) if file is not None else None,
                    line=line,
                    col=col,
                    path=path,
                    hint=hint,
                )
            ]
        self.issues: list[Issue] = issues
        super().__init__("\n".join(i.format() for i in issues))


class ScenarioError(SimgenError):
    """A scenario file is malformed, unsafe or inconsistent."""


class AssetError(SimgenError):
    """An asset path is missing, escapes the allowed roots, or cannot be loaded."""


class OutputError(SimgenError):
    """The output directory cannot be used as asked (not empty, resume mismatch, ...)."""


class DependencyError(SimgenError):
    """An optional dependency is missing; the message carries the exact install command."""


def did_you_mean(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """Return a ``did you mean 'x'?`` hint for the closest choice, or None."""
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
