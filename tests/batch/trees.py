"""Compare two dataset folders file for file (run state included), and find leftovers."""

from __future__ import annotations

import json
from pathlib import Path


def tree(out: Path) -> dict[str, bytes]:
    """Every file under ``out``, run state included (relative path -> bytes)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    """Temporary files and staged folders anywhere under ``out`` (hidden ``*.tmp`` files, ``*.partial`` folders)."""
    return sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob(".*")
        if (p.is_file() and p.name.endswith(".tmp")) or (p.is_dir() and p.name.endswith(".partial"))
    )


def _comparable(name: str, data: bytes) -> object:
    if name == "manifest.json":
        doc = json.loads(data)
        assert doc.pop("created")
        return doc
    if name == "yolo/data.yaml":
        # data.yaml names the dataset's absolute folder (whether it should is another matter).
        return [line for line in data.splitlines() if not line.startswith(b"path:")]
    return data


def assert_same_tree(expected: Path, got: Path) -> None:
    """Same file names and bytes under both folders (manifest ``created`` and YOLO ``path:`` aside)."""
    a, b = tree(expected), tree(got)
    assert sorted(a) == sorted(b), (sorted(set(a) - set(b))[:5], sorted(set(b) - set(a))[:5])
    for name in a:
        assert _comparable(name, a[name]) == _comparable(name, b[name]), name
