"""Atomic writes: write under a temporary name in the same folder, then rename into place.

Readers (and a run resumed after a crash) see either the old file or the whole new one. Every
writer of simgen goes through here, so temporaries have one naming scheme that a sweep can
recognise: ``.NAME.XXXXXXXX.tmp`` for files and ``.NAME.partial`` for staged folders.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO


def _file_mode() -> int:
    """Mode a plainly created file would get (0o666 minus the umask); mkstemp would give 0o600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()

# ".NAME.XXXXXXXX.tmp": what this module names a file before its rename (8 characters: hex now,
# [a-z0-9_] from tempfile.mkstemp in earlier versions, whose leftovers a resumed run also clears).
_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
_STAGED = re.compile(r"^\..+\.partial$")


def temporary_name(final: Path, suffix: str = ".tmp") -> Path:
    """A fresh temporary path next to ``final``: ``.NAME.XXXXXXXX<suffix>`` (not created)."""
    return final.parent / f".{final.name}.{secrets.token_hex(4)}{suffix}"


def is_temporary(name: str) -> bool:
    """Whether a file name is one of this module's temporaries (a write that never reached its rename)."""
    return bool(_TEMPORARY.match(name))


def is_staged(name: str) -> bool:
    """Whether a folder name is a :class:`StagedDir` that was never committed."""
    return bool(_STAGED.match(name))


class AtomicFile:
    """A file open for writing under a temporary name; :meth:`commit` renames it into place.

    For writers that stream (a recording that grows frame by frame): :meth:`abort` closes and
    removes the temporary, so a failed or interrupted write leaves nothing behind.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        final.parent.mkdir(parents=True, exist_ok=True)
        while True:
            self.tmp = temporary_name(final)
            try:  # O_EXCL: never another writer's temporary; the mode is a plain file's
                fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                continue
        self.stream: BinaryIO = os.fdopen(fd, "wb")

    def commit(self, *, durable: bool = True) -> None:
        """Flush (and with ``durable`` fsync) the file, then rename it to its final name."""
        self.stream.flush()
        if durable:
            os.fsync(self.stream.fileno())
        self.stream.close()
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        """Close and remove the temporary; the final name is untouched. Safe to call twice."""
        self.stream.close()
        self.tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so readers see either the old file or the whole new one.

    ``durable=False`` skips the fsync: the rename is still atomic for readers and against a
    crashed process, but not against power loss. Exporters use it for the many per-frame files
    (an fsync each would cost more than encoding them) and keep it for index files.
    """
    f = AtomicFile(path)
    try:
        f.stream.write(data)
        f.commit(durable=durable)
    except BaseException:
        f.abort()
        raise


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """Atomic UTF-8 text write."""
    write_bytes(path, text.encode("utf-8"), durable=durable)


def write_json(path: Path, obj: Any, *, indent: int | None = None, durable: bool = True) -> None:
    """Atomic JSON write with stable formatting (same object -> same bytes)."""
    write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False) + "\n", durable=durable)


@contextmanager
def replacing(final: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path next to ``final`` for a writer that takes a file name (a library call).

    The path is not created; whatever the block writes there is renamed to ``final`` when the
    block ends without error and removed when it raises. ``suffix`` keeps an extension that
    the writer needs (``.tmp.obj``).
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(final, suffix)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


class StagedDir:
    """A folder written file by file under a hidden name, then renamed into place at once.

    Readers never see a half-written folder, and its files need no temp name and rename
    each (two syscalls per file that dominate export cost on busy disks). A leftover staging
    folder from an interrupted run is cleared when the same folder is staged again.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        self.tmp = final.parent / f".{final.name}.partial"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir(parents=True)
        self._dirs: set[Path] = {self.tmp}

    def write(self, rel: str, data: bytes) -> None:
        """Write ``data`` to ``rel`` inside the staged folder."""
        path = self.tmp / rel
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        with open(path, "wb") as f:
            f.write(data)

    def commit(self) -> None:
        """Rename the staged folder to its final name (replacing an older one)."""
        if self.final.exists():
            shutil.rmtree(self.final)
        os.replace(self.tmp, self.final)

    def abort(self) -> None:
        """Remove the staged folder; an earlier committed folder of the same name stays."""
        shutil.rmtree(self.tmp, ignore_errors=True)
