"""Silence C-level stdout while pybullet prints its banners (EGL vendor, argv, ...)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator

_LIBC: ctypes.CDLL | None
try:
    _LIBC = ctypes.CDLL(None)
except OSError:  # pragma: no cover - non-POSIX
    _LIBC = None


def _flush_c_stdio() -> None:
    """Flush C's stdio buffers so text printed while silenced is not emitted later."""
    if _LIBC is not None:
        _LIBC.fflush(None)


@contextlib.contextmanager
def quiet_stdout(stderr: bool = False) -> Iterator[None]:
    """Redirect file descriptor 1 (and 2 if ``stderr``) to /dev/null for the duration.

    pybullet prints banners from C (its build time on import, EGL device choice on plugin
    load) that would clutter the CLI's output; Python-level streams are flushed first.
    """
    streams = [sys.stdout] + ([sys.stderr] if stderr else [])
    fds = []
    for stream in streams:
        try:
            stream.flush()
            fds.append(stream.fileno())
        except (AttributeError, OSError, ValueError):
            continue
    saved = [os.dup(fd) for fd in fds]
    try:
        with open(os.devnull, "w") as devnull:
            for fd in fds:
                os.dup2(devnull.fileno(), fd)
            yield
    finally:
        _flush_c_stdio()
        for fd, old in zip(fds, saved, strict=False):
            os.dup2(old, fd)
            os.close(old)
