"""One simulation clock: physics ticks at ``time_step``; every sensor fires on its own schedule.

A sensor with rate ``r`` Hz and phase ``phi`` s captures at ``t0 + phi + k / r`` for every k
whose time falls inside the episode window ``[t0, t0 + frames / frame_rate)``, where ``t0`` is
the end of settling. Captures snap to the nearest physics tick (a sensor cannot sample between
steps); the recorded capture time is that tick's time, so timestamps are exact, never resampled.
Delivery time is capture time plus latency.
"""

from __future__ import annotations

import numpy as np

from simgen.scenario.spec import EpisodeSpec, WorldSpec


def episode_end_tick(world: WorldSpec, frames: int) -> int:
    """First tick after the episode window (exclusive end)."""
    return world.settle_steps + frames * world.steps_per_frame


def capture_ticks(world: WorldSpec, frames: int, rate: float | None, phase: float) -> np.ndarray:
    """(K,) int64 ascending, unique physics ticks at which a sensor captures.

    ``rate=None`` means the episode frame rate: exactly ``steps_per_frame`` ticks apart, which
    keeps plain cameras on the frames they always had.
    """
    dt = world.time_step
    end = episode_end_tick(world, frames)
    start = world.settle_steps + int(round(phase / dt))
    if rate is None:
        ticks = np.arange(start, end, world.steps_per_frame, dtype=np.int64)
    else:
        period = 1.0 / (rate * dt)
        n = int(np.ceil((end - start) / period)) + 1
        ticks = start + np.round(np.arange(max(n, 0)) * period).astype(np.int64)
        ticks = np.unique(ticks[ticks < end])
    return ticks


def expected_frames(spec: EpisodeSpec) -> int:
    """How many camera frames episode ``spec`` yields (every camera at its own rate and phase)."""
    return sum(len(capture_ticks(spec.world, spec.frames, c.rate, c.phase)) for c in spec.cameras)


__all__ = ["capture_ticks", "episode_end_tick", "expected_frames"]
