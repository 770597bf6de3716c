"""Atomic file writes: write to a temporary name in the same folder, fsync, then rename."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _file_mode() -> int:
    """Mode a plainly created file would get (0o666 minus the umask); mkstemp would give 0o600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so readers see either the old file or the whole new one.

    ``durable=False`` skips the fsync: the rename is still atomic for readers and against a
    crashed process, but not against power loss. Exporters use it for the many per-frame files
    (an fsync each would cost more than encoding them) and keep it for index files.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """Atomic UTF-8 text write."""
    write_bytes(path, text.encode("utf-8"), durable=durable)


def write_json(path: Path, obj: Any, *, indent: int | None = None, durable: bool = True) -> None:
    """Atomic JSON write with stable formatting (same object -> same bytes)."""
    write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False) + "\n", durable=durable)
