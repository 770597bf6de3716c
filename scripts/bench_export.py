"""Export cost per frame per format vs render time, at 640x480 (quickstart scene).

    PYTHONPATH=$PWD python scripts/bench_export.py [--frames 8] [--renderer tiny] [--markdown]

Measures, per camera frame: the raw render (one getCameraImage: RGB, depth, segmentation),
the amodal pass (each labeled object's silhouette drawn from its geometry), the rest of labelling, and
each exporter's ``add`` alone (image encodings not shared) and all exporters together (encodings
shared, as in a real run), plus ``finish`` per frame. Reports ratios to the raw render time;
the target is all formats together under 30 % of it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import simgen
from simgen.batch import episode as episode_mod
from simgen.export import encode
from simgen.export.base import EXPORTERS, DatasetInfo, load_builtin
from simgen.labels import instances as instances_mod
from simgen.scenario.sampling import sample
from simgen.sensors import render as render_mod
from simgen.sensors.camera import runtime as camera_mod
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout

FORMATS = ["coco", "yolo", "kitti", "voc", "bop", "mcap", "raw"]


def main() -> int:
    """Run the benchmark and print a table (markdown with --markdown)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--episodes", type=int, default=2)
    ap.add_argument("--renderer", default="tiny")
    ap.add_argument("--repeats", type=int, default=3, help="export passes over the frames (medians reported)")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--tmp", default=None, help="folder for the scratch exports (default: a temp folder in ./out)")
    args = ap.parse_args()

    sc = simgen.load(simgen.resources.scenario_path("quickstart"))
    cams = [c.model_copy(update={"width": 640, "height": 480}) for c in sc.cameras]
    sc = sc.model_copy(update={"cameras": cams, "frames": args.frames})
    renderer = render_mod.resolve_renderer(args.renderer)

    timings: dict[str, list[float]] = {"render": [], "render_cpu": [], "amodal": [], "frame": []}
    real_render, real_fill = camera_mod.render, instances_mod.fill_amodal

    def timed_render(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        out = real_render(*a, **k)
        timings["render"].append(time.perf_counter() - t)
        timings["render_cpu"].append(time.process_time() - c)
        return out

    def timed_fill(*a, **k):
        t = time.perf_counter()
        out = real_fill(*a, **k)
        timings["amodal"].append(time.perf_counter() - t)
        return out

    camera_mod.render = timed_render
    instances_mod.fill_amodal = timed_fill
    frames = []
    with quiet_stdout(), BulletClient() as client:
        for e in range(args.episodes):
            spec = sample(sc, e, episodes=args.episodes)
            gen = episode_mod.run_episode(client, spec, renderer)
            while True:
                t = time.perf_counter()
                try:
                    fr = next(gen)
                except StopIteration:
                    break
                timings["frame"].append(time.perf_counter() - t)
                frames.append(fr)
    camera_mod.render, instances_mod.fill_amodal = real_render, real_fill
    n = len(frames)
    render_ms = 1000 * statistics.median(timings["render"])
    render_cpu_ms = 1000 * statistics.median(timings["render_cpu"])
    amodal_ms = 1000 * statistics.median(timings["amodal"])
    frame_ms = 1000 * statistics.median(timings["frame"])
    objects = statistics.mean(len(f.labels) for f in frames)

    load_builtin()
    rows = []
    scratch = Path(args.tmp) if args.tmp else Path("out")
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:

        def run(names: list[str], out: Path, share: bool) -> tuple[float, float, float]:
            """Median per-frame ``add`` wall and CPU time, per-frame ``finish`` time (best repeat), ms."""
            adds: list[float] = []
            cpus: list[float] = []
            fins: list[float] = []
            for rep in range(args.repeats):
                info = DatasetInfo(out / str(rep), "bench", "", tuple(sc.class_names), tuple(sc.output.splits), "b")
                exps = [EXPORTERS[name](info) for name in names]
                for x in exps:
                    x.begin()
                records: dict[str, list] = {x.name: [] for x in exps}
                for i, fr in enumerate(frames):
                    encode._LAST[0] = None  # a new frame: nothing encoded yet
                    t, c = time.perf_counter(), time.process_time()
                    for x in exps:
                        if not share:
                            encode._LAST[0] = None
                        records[x.name].append(x.add(fr))
                    if i + 1 == n or frames[i + 1].episode != fr.episode:
                        for x in exps:
                            x.end_episode(fr.episode)
                    adds.append(time.perf_counter() - t)
                    cpus.append(time.process_time() - c)
                t = time.perf_counter()
                for x in exps:
                    x.finish(records[x.name])
                fins.append((time.perf_counter() - t) / n)
            return 1000 * statistics.median(adds), 1000 * statistics.median(cpus), 1000 * min(fins)

        for name in FORMATS:
            rows.append((name, *run([name], Path(tmp) / name, share=False)))
        rows.append(("all at once", *run(FORMATS, Path(tmp) / "all", share=True)))

    head = (
        f"{n} frames at 640x480, renderer {renderer}, {objects:.1f} labeled objects per frame (quickstart); "
        f"medians over frames (export: {args.repeats} passes)\n"
        f"raw render (one getCameraImage): {render_ms:.1f} ms wall, {render_cpu_ms:.1f} ms CPU per frame; "
        f"amodal pass: {amodal_ms:.1f} ms ({amodal_ms / render_ms:.0%} of raw render); "
        f"whole frame incl. physics and labels: {frame_ms:.1f} ms"
    )
    if args.markdown:
        print(head.replace("\n", "\n\n"))
        print("\n| format | add wall ms | add CPU ms | finish ms | wall / raw render | CPU / raw render CPU |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, add, cpu, fin in rows:
            wall, share = (add + fin) / render_ms, cpu / render_cpu_ms
            print(f"| {name} | {add:.2f} | {cpu:.2f} | {fin:.2f} | {wall:.1%} | {share:.1%} |")
    else:
        print(head)
        for name, add, cpu, fin in rows:
            wall, share = (add + fin) / render_ms, cpu / render_cpu_ms
            print(
                f"{name:12s} add {add:7.2f} ms ({cpu:6.2f} CPU)  finish {fin:6.2f} ms  = {wall:6.1%} "
                f"of raw render wall, {share:6.1%} of its CPU"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
