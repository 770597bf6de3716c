"""Benchmark: resident memory of each worker over a long run, to show it stays flat.

Runs ``simgen render SCENARIO --progress json`` in a subprocess and reads the line each finished
episode prints: which worker rendered it and that worker's current and peak RSS (from
/proc/self/status). Writes one CSV row per episode, prints per-worker figures (RSS after the
first 10 episodes, peak, final, and the growth per 100 episodes fitted over the second half of
the run) and plots RSS against episodes (PNG; needs matplotlib, ``pip install 'simgen[plots]'``).

    python scripts/bench_memory.py --episodes 240 --workers 1 --csv /tmp/mem.csv --plot /tmp/mem.png
    python scripts/bench_memory.py --episodes 2500 --frames 4 --workers 2     # a 10,000-frame run

Every shipped scenario at once (1-frame episodes, one worker each), one figure and one table with
the growth between episode 30 and the last, the figure the flat-memory bound is stated in::

    python scripts/bench_memory.py --all --episodes 300 --plot docs/bench_memory_scenarios.png

A flat curve has a growth near 0 MB per 100 episodes once the first episodes have warmed the
allocator up. ``--worker-max-episodes K`` replaces each worker after K episodes (the backstop).
``--jsonl LOG`` analyses the saved stderr of any ``simgen render --progress json`` run instead
(a production run, or one stopped half-way).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def run(args: argparse.Namespace, out: Path) -> list[dict]:
    """Render in a subprocess; return the per-episode progress lines (dicts) in completion order."""
    cmd = [sys.executable, "-m", "simgen", "render", args.scenario, "--out", str(out), "--episodes", str(args.episodes)]
    cmd += ["--workers", str(args.workers), "--renderer", args.renderer, "--formats", args.formats]
    cmd += ["--progress", "json", "--worker-max-episodes", str(args.worker_max_episodes)]
    if args.frames:
        cmd += ["--frames", str(args.frames)]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rows = []
    with subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("{"):
                rows.append(json.loads(line))
                if len(rows) % 20 == 0:
                    print(f"  {len(rows)} episodes, last worker RSS {rows[-1].get('rss_mb')} MB", flush=True)
        out_text = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"render failed with exit code {proc.returncode}")
    print(out_text.strip())
    return rows


def per_worker(rows: list[dict]) -> dict[int, list[tuple[int, float, float]]]:
    """Worker pid -> [(episodes that worker has rendered, rss, peak)]."""
    series: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for r in rows:
        s = series[r["worker"]]
        s.append((len(s) + 1, r["rss_mb"], r["peak_rss_mb"]))
    return dict(series)


def growth_per_100(points: list[tuple[int, float, float]]) -> float:
    """Slope of RSS against episodes over the second half of a worker's episodes, MB per 100 episodes."""
    half = points[len(points) // 2 :]
    if len(half) < 2:
        return float("nan")
    x = np.array([p[0] for p in half], dtype=float)
    y = np.array([p[1] for p in half], dtype=float)
    return float(np.polyfit(x, y, 1)[0] * 100)


def read_series(path: Path) -> list[tuple[int, float, float]]:
    """A reference curve from a CSV with columns ``worker_episodes`` (or ``episodes``), ``rss_mb``, ``peak_rss_mb``.

    This script's own CSV qualifies (its first worker is taken), so a run of an older commit can be
    drawn beside the current one.
    """
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and "worker" in rows[0]:
        rows = [r for r in rows if r["worker"] == rows[0]["worker"]]
    key = "worker_episodes" if rows and "worker_episodes" in rows[0] else "episodes"
    return [(int(r[key]), float(r["rss_mb"]), float(r["peak_rss_mb"])) for r in rows]


def plot(
    series: dict[int, list[tuple[int, float, float]]],
    path: Path,
    title: str,
    reference: tuple[str, list[tuple[int, float, float]]] | None = None,
) -> bool:
    """RSS and peak RSS against episodes, one line pair per worker; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for k, (_pid, pts) in enumerate(sorted(series.items())):
        x = [p[0] for p in pts]
        ax.plot(x, [p[1] for p in pts], label=f"worker {k} RSS")
        ax.plot(x, [p[2] for p in pts], linestyle="--", label=f"worker {k} peak RSS")
    if reference is not None:
        label, pts = reference
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color="grey", label=f"{label} RSS")
    ax.set_xlabel("episodes rendered by the worker")
    ax.set_ylabel("MB")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def growth_between(points: list[tuple[int, float, float]], start: int = 30) -> float:
    """RSS after the worker's last episode minus RSS after its episode ``start`` (MB); NaN when too short."""
    if len(points) <= start:
        return float("nan")
    return points[-1][1] - points[start - 1][1]


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in scenarios/."""
    return sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml"))


def run_all(args: argparse.Namespace) -> None:
    """Every shipped scenario (or ``--only``), 1-frame episodes, one worker; a table and one figure."""
    names = args.only.split(",") if args.only else shipped_scenarios()
    names = [n for n in names if n not in args.skip.split(",")]
    curves: dict[str, list[tuple[int, float, float]]] = {}
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "worker_episodes", "episode", "rss_mb", "peak_rss_mb"])
        for name in names:
            print(f"{name}: {args.episodes} episodes x 1 frame, renderer {args.renderer}", flush=True)
            sub = argparse.Namespace(**{**vars(args), "scenario": name, "frames": 1, "workers": 1})
            with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
                rows = run(sub, Path(tmp) / "ds")
            pts = next(iter(per_worker(rows).values()))
            curves[name] = pts
            for (k, rss, peak), r in zip(pts, rows, strict=True):
                w.writerow([name, k, r["episode"], rss, peak])
            f.flush()
    for extra in args.include or []:  # curves of an earlier --all run (e.g. a longer one of one scenario)
        with open(extra, newline="") as f:
            for r in csv.DictReader(f):
                curves.setdefault(r["scenario"], []).append(
                    (int(r["worker_episodes"]), float(r["rss_mb"]), float(r["peak_rss_mb"]))
                )
    print(f"{'scenario':32s} {'episodes':>8s} {'rss@30':>7s} {'final':>7s} {'growth 30..end':>15s}")
    for name, pts in curves.items():
        at30 = pts[min(29, len(pts) - 1)][1]
        print(f"{name:32s} {len(pts):8d} {at30:7.1f} {pts[-1][1]:7.1f} {growth_between(pts):15.1f}")
    plot_all(curves, args.plot, f"worker RSS against 1-frame episodes, renderer {args.renderer}")


def plot_all(curves: dict[str, list[tuple[int, float, float]]], path: Path, title: str) -> bool:
    """One RSS line per scenario; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(9, 5))
    for name, pts in curves.items():
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=f"{name} ({growth_between(pts):+.1f} MB after ep. 30)")
    ax.axvline(30, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("episodes rendered by the worker")
    ax.set_ylabel("RSS, MB")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")
    return True


def main() -> None:
    """Parse arguments, render, write CSV and plot, print the per-worker table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="quickstart", help="shipped scenario name or path (default quickstart)")
    ap.add_argument("--episodes", type=int, default=240, help="episodes (default 240)")
    ap.add_argument("--frames", type=int, default=None, help="frames per episode (default: the scenario's)")
    ap.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--renderer", default="tiny", help="tiny, egl or auto (default tiny)")
    ap.add_argument("--formats", default="coco", help="exporters (default coco)")
    ap.add_argument("--worker-max-episodes", type=int, default=0, help="replace workers after K episodes (default 0)")
    ap.add_argument("--csv", type=Path, default=Path("bench_memory.csv"), help="CSV to write (one row per episode)")
    ap.add_argument("--plot", type=Path, default=Path("bench_memory.png"), help="PNG to write")
    ap.add_argument("--tmp", default=None, help="folder for the dataset (default: the system temp folder)")
    ap.add_argument("--replot", action="store_true", help="render nothing: read --csv and redraw")
    ap.add_argument(
        "--jsonl", type=Path, default=None, help="render nothing: read a saved '--progress json' log of any run"
    )
    ap.add_argument("--compare", type=Path, default=None, help="CSV of an earlier run to draw beside this one")
    ap.add_argument("--compare-label", default="reference", help="legend label of --compare (default reference)")
    ap.add_argument("--all", action="store_true", help="every shipped scenario, 1-frame episodes, one figure")
    ap.add_argument("--only", default=None, help="with --all: comma-separated scenario names instead of all")
    ap.add_argument("--skip", default="", help="with --all: comma-separated scenario names to leave out")
    ap.add_argument("--include", type=Path, nargs="*", help="with --all: CSVs of earlier --all runs to add")
    args = ap.parse_args()

    if args.all:
        run_all(args)
        return

    if args.jsonl:
        with open(args.jsonl) as f:
            rows = [json.loads(line) for line in f if line.startswith("{")]
    elif args.replot:
        with open(args.csv, newline="") as f:
            rows = [
                {"worker": int(r["worker"]), "episode": int(r["episode"]), "rss_mb": float(r["rss_mb"]),
                 "peak_rss_mb": float(r["peak_rss_mb"])}
                for r in csv.DictReader(f)
            ]  # fmt: skip
    else:
        with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
            rows = run(args, Path(tmp) / "ds")
    series = per_worker(rows)
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["worker", "worker_episodes", "episode", "rss_mb", "peak_rss_mb"])
        counts: dict[int, int] = defaultdict(int)
        for r in rows:
            counts[r["worker"]] += 1
            w.writerow([r["worker"], counts[r["worker"]], r["episode"], r["rss_mb"], r["peak_rss_mb"]])
    print(f"scene {args.scenario}, {args.episodes} episodes, renderer {args.renderer}, {args.workers} workers")
    head = f"{'worker':>6s}  {'episodes':>8s}  {'rss@10':>7s}  {'peak':>7s}  {'final':>7s}"
    print(f"{head}  {'MB/100 ep (2nd half)':>20s}")
    for k, (_, pts) in enumerate(sorted(series.items())):
        at10 = pts[min(9, len(pts) - 1)][1]
        print(
            f"{k:6d}  {len(pts):8d}  {at10:7.1f}  {max(p[2] for p in pts):7.1f}  {pts[-1][1]:7.1f}  "
            f"{growth_per_100(pts):20.2f}"
        )
    title = f"{args.scenario}, renderer {args.renderer}: worker RSS against episodes"
    reference = (args.compare_label, read_series(args.compare)) if args.compare else None
    if reference is not None:
        pts = reference[1]
        print(
            f"{args.compare_label}: rss@10 {pts[min(9, len(pts) - 1)][1]:.1f}, final {pts[-1][1]:.1f}, "
            f"MB/100 ep (2nd half) {growth_per_100(pts):.2f}"
        )
    if plot(series, args.plot, title, reference):
        print(f"wrote {args.csv} and {args.plot}")
    else:
        print(f"wrote {args.csv} (no plot: pip install 'simgen[plots]' for matplotlib)")


if __name__ == "__main__":
    main()
