"""Progress of a run: a bar with ETA on a terminal, or one JSON line per finished episode for machines.

``--progress json`` writes to stderr (stdout keeps the one summary line), one object per
episode that finished or failed, in completion order::

    {"event": "episode", "episode": 3, "status": "ok", "done": 4, "total": 8, "failures": 0,
     "frames": 16, "frames_total": 32, "frames_per_s": 3.52, "eta_s": 4.5, "elapsed_s": 4.3,
     "worker": 12345, "rss_mb": 241.0, "peak_rss_mb": 252.3}

``done`` and ``frames`` include episodes finished by an earlier, resumed run; ``frames_per_s``
and ``eta_s`` are measured over this run only. ``worker``/``rss_mb``/``peak_rss_mb`` describe the
process that rendered the episode (absent when unknown).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

PROGRESS_MODES = ("auto", "bar", "json", "none")


class Progress:
    """Counts finished episodes and frames; subclasses show them."""

    def __init__(self, total_episodes: int, total_frames: int, done_episodes: int, done_frames: int) -> None:
        self.total = total_episodes
        self.frames_total = total_frames
        self.done = done_episodes
        self.frames = done_frames
        self.failures = 0
        self._frames_at_start = done_frames
        self._t0 = time.perf_counter()

    def episode(self, index: int, frames: int, ok: bool, stats: dict[str, Any] | None = None) -> None:
        """Record that episode ``index`` finished (``ok``) or failed; ``frames``: its camera frames."""
        self.done += 1
        if ok:
            self.frames += frames
        else:  # a failed episode's frames will not come: they leave the total
            self.failures += 1
            self.frames_total -= frames
        self.show(index, frames, ok, stats or {})

    def show(self, index: int, frames: int, ok: bool, stats: dict[str, Any]) -> None:
        """Display the new state (no-op here)."""

    def close(self) -> None:
        """End the display."""


class JsonProgress(Progress):
    """One JSON line per finished episode."""

    def __init__(self, *args: int, stream: TextIO | None = None) -> None:
        super().__init__(*args)
        self.stream = stream or sys.stderr

    def show(self, index: int, frames: int, ok: bool, stats: dict[str, Any]) -> None:
        """Write the episode's line and flush (schedulers read it as it comes)."""
        elapsed = time.perf_counter() - self._t0
        rendered = self.frames - self._frames_at_start
        rate = rendered / elapsed if elapsed > 0 else 0.0
        left = max(self.frames_total - self.frames, 0)
        line = {
            "event": "episode",
            "episode": index,
            "status": "ok" if ok else "failed",
            "done": self.done,
            "total": self.total,
            "failures": self.failures,
            "frames": self.frames,
            "frames_total": self.frames_total,
            "frames_per_s": round(rate, 3),
            "eta_s": round(left / rate, 1) if rate > 0 else None,
            "elapsed_s": round(elapsed, 2),
        }
        for key, name in (("pid", "worker"), ("rss_mb", "rss_mb"), ("peak_rss_mb", "peak_rss_mb")):
            if key in stats:
                line[name] = stats[key]
        self.stream.write(json.dumps(line) + "\n")
        self.stream.flush()


class BarProgress(Progress):
    """The tqdm bar (images with ETA) on stderr."""

    def __init__(self, *args: int) -> None:
        super().__init__(*args)
        from tqdm import tqdm

        self.bar = tqdm(
            total=self.frames_total,
            initial=self.frames,
            unit="img",
            desc="rendering",
            dynamic_ncols=True,
            file=sys.stderr,
        )

    def show(self, index: int, frames: int, ok: bool, stats: dict[str, Any]) -> None:
        """Advance the bar; name failures in its postfix."""
        if not ok:
            self.bar.set_postfix(failed=self.failures)
        self.bar.update(frames)

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


def make_progress(mode: bool | str | None, *counts: int) -> Progress:
    """The display for ``mode``: 'bar', 'json', 'none', or 'auto'/None (a bar on an interactive terminal)."""
    if mode is None or mode is True:
        mode = "auto" if mode is None else "bar"
    if mode is False:
        mode = "none"
    if mode == "auto":
        mode = "bar" if sys.stderr.isatty() and not os.environ.get("CI") else "none"
    if mode == "bar":
        return BarProgress(*counts)
    if mode == "json":
        return JsonProgress(*counts)
    return Progress(*counts)
