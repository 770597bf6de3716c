"""Benchmark: images/s of ``SimDataset`` (frames streamed into a DataLoader) vs ``simgen render``.

Same scenario, seed, episodes and number of processes: ``simgen render --workers W`` (PNG encoding
and COCO files written) against a ``DataLoader(SimDataset(...), num_workers=W)`` drained to the
end (nothing encoded or written). Both are timed end to end, worker start-up included. The ratio
stream/render should be at least 0.9; it is usually above 1, since the stream skips encoding and
writing.

    python scripts/bench_stream.py                                  # quickstart, 1 and 2 processes
    python scripts/bench_stream.py --scenario warehouse_bin_picking --episodes 8 --workers 1,2,4

Give each process several episodes: a process's start-up (imports, pybullet client) is paid
once per run. Figures from a shared machine are only as good as its idle cores: run it twice and
read the spread.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import simgen


def render_rate(
    scenario: simgen.Scenario, out: Path, *, episodes: int, frames: int, seed: int, workers: int, renderer: str
) -> tuple[int, float]:
    """(images, seconds) of ``simgen render`` into ``out``."""
    t0 = time.perf_counter()
    summary = simgen.render(
        scenario, out, episodes=episodes, frames=frames, seed=seed, workers=workers, renderer=renderer, progress=False
    )
    return summary.images, time.perf_counter() - t0


def stream_rate(
    scenario: simgen.Scenario, *, episodes: int, frames: int, seed: int, workers: int, renderer: str
) -> tuple[int, float]:
    """(images, seconds) of a DataLoader over ``SimDataset`` with ``workers`` worker processes, drained."""
    import torch

    from simgen.torch import SimDataset

    t0 = time.perf_counter()
    ds = SimDataset(scenario, seed=seed, episodes=episodes, frames=frames, renderer=renderer)
    images = sum(1 for _ in torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers))
    return images, time.perf_counter() - t0


def main() -> int:
    """Print one markdown row per process count: images/s of both paths and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="quickstart", help="shipped scenario name or YAML path")
    ap.add_argument("--episodes", type=int, default=4)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", default="1,2", help="comma-separated process counts")
    ap.add_argument("--renderer", default="tiny")
    args = ap.parse_args()
    import torch  # noqa: F401 - imported before any timing, so neither path pays for it

    from simgen.torch.dataset import load_scenario

    scenario = load_scenario(args.scenario)
    kw = {"episodes": args.episodes, "frames": args.frames, "seed": args.seed, "renderer": args.renderer}
    print(f"scenario {scenario.name}, {args.episodes} episodes x {args.frames} frames, renderer {args.renderer}")
    print("| processes | images | simgen render (images/s) | SimDataset (images/s) | ratio |")
    print("|---|---|---|---|---|")
    for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
        with tempfile.TemporaryDirectory() as tmp:
            n_render, s_render = render_rate(scenario, Path(tmp) / "out", workers=workers, **kw)
        n_stream, s_stream = stream_rate(scenario, workers=workers, **kw)
        if n_render != n_stream:
            raise SystemExit(f"render wrote {n_render} images but the stream gave {n_stream}")
        r, s = n_render / s_render, n_stream / s_stream
        print(f"| {workers} | {n_render} | {r:.2f} | {s:.2f} | {s / r:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
