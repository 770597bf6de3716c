"""Benchmark: end-to-end dataset throughput as the worker count grows, and proof it stays identical.

Renders the same scenario and seed once per worker count with ``simgen.render`` (physics, every
camera output the scenario asks for, labels, the chosen exporters, atomic writes, manifest) and
prints images/s, the speed-up over one worker, and a SHA-256 over every label file the exporters
wrote. The hash must be the same on every row: annotations are byte-identical whatever the worker
count. Images are hashed separately, since a GPU driver may rasterise differently from Mesa.

    python scripts/bench_scale.py --workers 1,2 --episodes 4            # a laptop
    python scripts/bench_scale.py --workers 1,4,8,16 --episodes 32 --renderer egl   # a GPU box

Absolute images/s depend on the machine; read the speed-up column and the hash column.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
from pathlib import Path

import simgen

LABEL_SUFFIXES = {".json", ".txt", ".xml", ".yaml", ".csv"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}
SKIP = {"manifest.json", "run.json", "DATASET_CARD.md"}  # timings and host names live here


def tree_digest(root: Path, suffixes: set[str]) -> tuple[str, int]:
    """SHA-256 over (relative path, bytes) of files under ``root`` with ``suffixes``; and their count."""
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


def main() -> None:
    """Parse arguments, render once per worker count, print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="quickstart", help="shipped scenario name or path (default quickstart)")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    ap.add_argument("--episodes", type=int, default=4, help="episodes per run (default 4)")
    ap.add_argument("--frames", type=int, default=None, help="frames per episode (default: the scenario's)")
    ap.add_argument("--renderer", default="tiny", help="tiny, egl or auto (default tiny)")
    ap.add_argument("--formats", default="coco", help="exporters, comma-separated (default coco)")
    ap.add_argument("--tmp", default=None, help="folder for the datasets (default: the system temp folder)")
    args = ap.parse_args()

    path = Path(args.scenario)
    if not path.exists():
        path = simgen.resources.scenario_path(args.scenario)
    scenario = simgen.load(path)
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    print(
        f"scene: {scenario.name}, {args.episodes} episodes, renderer {args.renderer}, formats {','.join(formats)}, "
        f"{os.cpu_count()} CPUs"
    )
    head = f"{'workers':>7s}  {'images':>6s}  {'seconds':>7s}  {'images/s':>8s}  {'speed-up':>8s}"
    print(f"{head}  labels sha256    images sha256")
    base = None
    label_hashes = set()
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for n in counts:
            out = Path(tmp) / f"w{n}"
            s = simgen.render(
                scenario,
                out,
                episodes=args.episodes,
                frames=args.frames,
                workers=n,
                formats=formats,
                renderer=args.renderer,
                progress=False,
            )
            rate = s.images / s.seconds
            base = base or rate
            labels, n_labels = tree_digest(out, LABEL_SUFFIXES)
            images, _ = tree_digest(out, IMAGE_SUFFIXES)
            label_hashes.add(labels)
            print(
                f"{n:7d}  {s.images:6d}  {s.seconds:7.1f}  {rate:8.2f}  {rate / base:7.2f}x  {labels} {images}"
                f"  ({n_labels} label files, renderer {s.renderer})",
                flush=True,
            )
    print("labels identical across worker counts:", "yes" if len(label_hashes) == 1 else "NO")
    if len(label_hashes) != 1:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
