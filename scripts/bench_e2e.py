"""Benchmark: what share of a real ``simgen render`` run is spent rendering.

Runs the real command in a subprocess and times every ``pybullet.getCameraImage`` call in every
process of the run (workers are spawned, so a ``sitecustomize`` put first on ``PYTHONPATH``
wraps the function in each of them and appends each call's duration to a per-process file).

    ratio = (full-size renders x their median duration) / (wall time from the first render to the exit)

1 means the run costs nothing but its frames; the rest is building worlds, physics, labels,
effects and export. "CPU ratio" is the same share in CPU time of the processes that render
(their renders' median thread CPU x renders, over their CPU from the first render to exit):
on a machine shared with other jobs it moves far less than the wall-clock ratio. "labeled
frames/s" is renders over that wall time, "raw frames/s" one over the median render. Renders
of 1 x 1 pixels (EGL's warm-up) are not counted.

    python scripts/bench_e2e.py                       # every shipped scenario, tiny and egl, 1/4/60 frames
    python scripts/bench_e2e.py --quick               # quickstart and the urban scene, fewer episodes
    python scripts/bench_e2e.py --scenarios quickstart --renderers tiny --frames 1 --workers 1 2
    python scripts/bench_e2e.py --quick --cold --seed 7   # files generated in the run, as with a new seed
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SITECUSTOMIZE = """
import atexit, os, time
_dir = os.environ.get("SIMGEN_E2E_DIR")
if _dir:
    import pybullet as _p
    _orig = _p.getCameraImage
    _log = open(os.path.join(_dir, f"{os.getpid()}.txt"), "a", buffering=1)
    _first = []

    def getCameraImage(width, height, *args, **kwargs):
        t0 = time.time()
        t1 = time.perf_counter()
        c1 = time.thread_time()
        if not _first:
            _first.append(time.process_time())
            atexit.register(lambda: _log.write(f"cpu {time.process_time() - _first[0]:.6f}\\n"))
        out = _orig(width, height, *args, **kwargs)
        _log.write(f"{t0:.6f} {time.perf_counter() - t1:.6f} {width} {height} {time.thread_time() - c1:.6f}\\n")
        return out

    _p.getCameraImage = getCameraImage
"""

# Episodes per run at each frames-per-episode setting (the table: 30 x 1, 8 x 4, 2 x 60).
EPISODES = {1: 30, 4: 8, 60: 2}
QUICK_EPISODES = {1: 10, 4: 4, 60: 1}


@dataclass
class Result:
    """One run's figures."""

    scenario: str
    renderer: str
    frames: int
    episodes: int
    workers: int
    renders: int
    median_s: float
    wall_s: float
    render_cpu_s: float = float("nan")  # median CPU seconds of one full-size render (its thread)
    worker_cpu_s: float = float("nan")  # CPU seconds of the rendering processes from their first render to exit

    @property
    def cpu_ratio(self) -> float:
        """The same share in CPU time of the rendering processes (robust to other jobs on the machine)."""
        return self.renders * self.render_cpu_s / self.worker_cpu_s if self.worker_cpu_s > 0 else float("nan")

    @property
    def ratio(self) -> float:
        """Share of the run that full-size renders at their median cost would take."""
        return self.renders * self.median_s / self.wall_s if self.wall_s > 0 else float("nan")

    def row(self) -> str:
        """A markdown table row."""
        labeled = self.renders / self.wall_s if self.wall_s > 0 else float("nan")
        raw = 1 / self.median_s if self.median_s > 0 else float("nan")
        return (
            f"| {self.scenario} | {self.renderer} | {self.episodes} x {self.frames} | {self.workers} | "
            f"{labeled:.1f} | {raw:.1f} | **{self.ratio:.2f}** | {self.cpu_ratio:.2f} |"
        )


def run_once(
    scenario: str,
    renderer: str,
    frames: int,
    episodes: int,
    workers: int,
    tmp: Path,
    seed: int | None = None,
    cold: bool = False,
) -> Result:
    """Render once with every getCameraImage timed; the figures of that run.

    ``cold``: the run gets an empty temporary folder, so every texture and mesh file it uses is
    generated in the run (as in a production run with a new seed), not found in a warm cache.
    """
    site = tmp / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    logs = Path(tempfile.mkdtemp(dir=tmp, prefix="calls-"))
    out = Path(tempfile.mkdtemp(dir=tmp, prefix="ds-"))
    path = os.pathsep.join([str(site), str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "SIMGEN_E2E_DIR": str(logs)}
    if cold:
        env["TMPDIR"] = tempfile.mkdtemp(dir=tmp, prefix="cold-")
    cmd = [sys.executable, "-m", "simgen", "render", scenario, "--out", str(out / "ds"), "--episodes", str(episodes)]
    cmd += ["--frames", str(frames), "--workers", str(workers), "--renderer", renderer, "--progress", "none"]
    cmd += ["--seed", str(seed)] if seed is not None else []
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    end = time.time()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    calls, cpu, worker_cpu = [], [], 0.0
    for f in logs.glob("*.txt"):
        for line in f.read_text().splitlines():
            if line.startswith("cpu "):
                worker_cpu += float(line.split()[1])
                continue
            t0, dur, w, h, thread = line.split()
            if int(w) * int(h) > 1:
                calls.append((float(t0), float(dur)))
                cpu.append(float(thread))
    if not calls:
        raise SystemExit(f"{scenario}: no render was timed (is {site} first on PYTHONPATH?)")
    first = min(t for t, _ in calls)
    median = statistics.median(d for _, d in calls)
    res = Result(scenario, renderer, frames, episodes, workers, len(calls), median, end - first)
    res.render_cpu_s, res.worker_cpu_s = statistics.median(cpu), worker_cpu
    return res


def shipped() -> list[str]:
    """Names of the scenarios shipped in scenarios/."""
    return sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml"))


def main() -> None:
    """Parse arguments, run every combination, print (and optionally write) the markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenarios", nargs="*", default=None, help="scenario names (default: every shipped one)")
    ap.add_argument("--renderers", nargs="*", default=["tiny", "egl"], help="renderers (default tiny egl)")
    ap.add_argument("--frames", type=int, nargs="*", default=[1, 4, 60], help="frames per episode (default 1 4 60)")
    ap.add_argument("--workers", type=int, nargs="*", default=[1], help="worker counts (default 1)")
    ap.add_argument("--quick", action="store_true", help="quickstart and urban_dusk_child_runout, fewer episodes")
    ap.add_argument("--md", type=Path, default=None, help="also write the table to this markdown file")
    ap.add_argument("--tmp", type=Path, default=None, help="scratch folder (default: the system temp folder)")
    ap.add_argument("--seed", type=int, default=None, help="run seed (default: the scenario's)")
    ap.add_argument("--cold", action="store_true", help="empty texture/mesh caches for every run (a new seed's cost)")
    args = ap.parse_args()
    names = args.scenarios or (["quickstart", "urban_dusk_child_runout"] if args.quick else shipped())
    counts = QUICK_EPISODES if args.quick else EPISODES
    head = "| scenario | renderer | episodes x frames | workers | labeled frames/s | raw frames/s | ratio | CPU ratio |"
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for name in names:
            for renderer in args.renderers:
                for frames in args.frames:
                    for workers in args.workers:
                        episodes = counts.get(frames, max(1, 60 // frames)) * workers
                        res = run_once(name, renderer, frames, episodes, workers, Path(tmp), args.seed, args.cold)
                        lines.append(res.row())
                        print(lines[-1], flush=True)
    if args.md is not None:
        args.md.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
