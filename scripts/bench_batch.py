"""Benchmark: frames/s and scaling efficiency at 1, 2, 4, ... workers up to the core count, in one run.

Renders the same scenario, seed and episodes once per worker count with ``simgen.render`` (local
worker processes, each keeping its pybullet client and renderer across episodes) and prints
frames/s, the speed-up over one worker and the scaling efficiency ``speed-up / workers`` (1.0 is
linear; the goal is at least 0.9 with TinyRenderer up to the core count). Every row must show the
same label hash: the output does not depend on the worker count.

    python scripts/bench_batch.py                                   # 1, 2, 4, ... up to os.cpu_count()
    python scripts/bench_batch.py --workers 1,2 --episodes 8 --frames 8
    python scripts/bench_batch.py --renderer egl --episodes 64      # a GPU machine

Give each worker several episodes (``--episodes`` >= 4 x the largest worker count): a worker's
start-up (imports, pybullet client, EGL context) is paid once per run and shows as lost
efficiency on short runs. Figures from a shared machine are only as good as its idle cores; the
CPU seconds per frame (this process and its workers) do not depend on other load and show whether
more workers cost more work per frame.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import tempfile
from pathlib import Path

import simgen

LABEL_SUFFIXES = {".json", ".txt", ".xml", ".yaml", ".csv"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
SKIP = {"manifest.json", "run.json", "DATASET_CARD.md"}  # timings and host names live here


def tree_digest(root: Path, suffixes: set[str]) -> tuple[str, int]:
    """SHA-256 over (relative path, bytes) of files under ``root`` with ``suffixes``; and their count.

    Labels are hashed apart from images: annotations must be byte-identical whatever the worker
    count, while a GPU driver may rasterise images differently from Mesa.
    """
    h = hashlib.sha256()
    files = sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in suffixes and p.name not in SKIP and ".simgen" not in p.parts
    )
    for p in files:
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16], len(files)


def worker_counts(text: str | None, cores: int) -> list[int]:
    """``'1,2,3'`` as a list, or powers of two up to ``cores`` (and ``cores`` itself)."""
    if text:
        return [int(w) for w in text.split(",") if w.strip()]
    counts, n = [], 1
    while n < cores:
        counts.append(n)
        n *= 2
    return [*counts, cores]


def cpu_seconds() -> float:
    """User + system CPU time of this process and its reaped children (the worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    """Parse arguments, render once per worker count, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="quickstart", help="shipped scenario name or path (default quickstart)")
    ap.add_argument("--workers", default=None, help="comma-separated worker counts (default 1, 2, 4, ... cores)")
    ap.add_argument("--episodes", type=int, default=None, help="episodes per run (default 4 x the most workers)")
    ap.add_argument("--frames", type=int, default=None, help="frames per episode (default: the scenario's)")
    ap.add_argument("--renderer", default="tiny", help="tiny, egl or auto (default tiny)")
    ap.add_argument("--formats", default="coco", help="exporters, comma-separated (default coco)")
    ap.add_argument("--tmp", default=None, help="folder for the datasets (default: the system temp folder)")
    args = ap.parse_args()

    cores = os.cpu_count() or 1
    counts = worker_counts(args.workers, cores)
    episodes = args.episodes or 4 * max(counts)
    path = Path(args.scenario)
    if not path.exists():
        path = simgen.resources.scenario_path(args.scenario)
    scenario = simgen.load(path)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"scene {scenario.name}, {episodes} episodes, renderer {args.renderer}, formats {','.join(formats)}, "
        f"{cores} cores, load average {load:.1f} at start"
    )
    head = f"{'workers':>7s}  {'frames':>6s}  {'seconds':>7s}  {'frames/s':>8s}  {'speed-up':>8s}"
    print(f"{head}  {'efficiency':>10s}  {'CPU s/frame':>11s}  labels")
    base = None
    hashes = set()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for n in counts:
            out = Path(tmp) / f"w{n}"
            cpu0 = cpu_seconds()
            s = simgen.render(
                scenario,
                out,
                episodes=episodes,
                frames=args.frames,
                workers=n,
                formats=formats,
                renderer=args.renderer,
                progress=False,
            )
            cpu = (cpu_seconds() - cpu0) / s.images
            rate = s.images / s.seconds
            base = base or rate
            labels, _ = tree_digest(out, LABEL_SUFFIXES)
            images, _ = tree_digest(out, IMAGE_SUFFIXES)
            hashes.add(labels)
            print(
                f"{n:7d}  {s.images:6d}  {s.seconds:7.1f}  {rate:8.2f}  {rate / base:7.2f}x  {rate / base / n:10.2f}  "
                f"{cpu:11.3f}  {labels} (images {images})",
                flush=True,
            )
    print("labels identical across worker counts:", "yes" if len(hashes) == 1 else "NO")
    if len(hashes) != 1:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
