"""Bounded memos across episodes: least recently used first out, files named by content identity."""

from __future__ import annotations

import os

from simgen.core.memo import Lru, file_key


def test_lru_keeps_the_most_recently_used_entries():
    memo: Lru[int] = Lru(2)
    made: list[str] = []

    def make(k: str) -> int:
        made.append(k)
        return len(made)

    assert memo.get("a", lambda: make("a")) == 1
    assert memo.get("b", lambda: make("b")) == 2
    assert memo.get("a", lambda: make("a")) == 1  # a hit: "a" becomes the newest
    memo.get("c", lambda: make("c"))  # drops "b", the least recently used
    assert len(memo) == 2
    assert memo.peek("b") is None and memo.peek("a") == 1
    assert made == ["a", "b", "c"]


def test_lru_does_not_keep_a_failed_make():
    memo: Lru[int] = Lru(4)

    def boom() -> int:
        raise ValueError("unreadable")

    for _ in range(2):
        try:
            memo.get("x", boom)
        except ValueError:
            pass
    assert len(memo) == 0


def test_file_key_changes_when_the_file_changes(tmp_path):
    path = tmp_path / "m.obj"
    path.write_text("v 0 0 0\n")
    first = file_key(path)
    assert file_key(path) == first
    path.write_text("v 0 0 0\nv 1 0 0\n")
    os.utime(path, ns=(first[2] + 10**9, first[2] + 10**9))
    assert file_key(path) != first
