"""Bounded per-process memos of what files hold, so an episode does not re-read what the last one read.

A worker renders thousands of episodes; each reads the same asset files (a URDF, its meshes)
at a new random scale. :class:`Lru` keeps the most recently used values and drops the oldest,
so memory stays flat however many distinct files or scales a run meets; :func:`file_key` names
a file by what identifies its content (path, size, modification time), so an edited file is
read afresh.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

V = TypeVar("V")


class Lru(Generic[V]):
    """A dict of at most ``size`` entries that forgets the least recently used one first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value of ``key``, made by ``make()`` (and kept) the first time."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` under ``key`` (the newest entry), dropping the oldest past ``size``."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def peek(self, key: Hashable) -> V | None:
        """The value of ``key`` if kept, else None (counts as a use)."""
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def clear(self) -> None:
        """Forget every entry."""
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def file_key(path: str | Path) -> tuple[str, int, int]:
    """(resolved path, size, modification time in ns): a file's content identity for memos."""
    st = os.stat(path)
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)
