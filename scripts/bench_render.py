"""Benchmark: raw pybullet ``getCameraImage`` frames/s vs simgen's labeled frames/s, per renderer.

Both measurements use the same settled quickstart scene, the same camera, the same image size
and the same ``getCameraImage`` arguments (RGB + depth + segmentation in one call):

- raw: ``getCameraImage`` alone, no conversion, no labels, no writing;
- simgen: the real per-frame path (``simgen.batch.episode.capture_frame``: render, metric depth,
  instance/semantic maps, labels with COCO RLE) plus the COCO exporter's ``add`` (PNG written
  atomically) and, amortised over the frames, its ``finish`` (the annotation JSON).

The ratio simgen/raw is what labeling and export cost on top of rendering (goal >= 0.85).
Physics stepping is left out of both, since it is the same work whatever is measured.

    python scripts/bench_render.py --frames 60 --width 640 --height 480
    python -m cProfile -s cumtime scripts/bench_render.py --frames 20 --renderers tiny
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import simgen
from simgen.batch.episode import capture_frame
from simgen.export.base import DatasetInfo, get_exporter
from simgen.sensors.camera import projection_matrix, view_matrix
from simgen.sensors.render import attach
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout
from simgen.sim.world import World


def raw_frame(client: BulletClient, cam, renderer: str) -> float:
    """Seconds of one bare ``getCameraImage`` call with the arguments simgen uses."""
    p = client.p
    mode = p.ER_BULLET_HARDWARE_OPENGL if renderer == "egl" else p.ER_TINY_RENDERER
    t0 = time.perf_counter()
    p.getCameraImage(
        cam.width,
        cam.height,
        viewMatrix=view_matrix(cam).flatten(order="F").tolist(),
        projectionMatrix=projection_matrix(cam).flatten(order="F").tolist(),
        renderer=mode,
        flags=p.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX,
        physicsClientId=client.id,
    )
    return time.perf_counter() - t0


def measure(world: World, cam, renderer: str, frames: int, out: Path) -> tuple[list[float], list[float]]:
    """Per-frame seconds of raw calls and of simgen frames, interleaved so machine load hits both alike.

    A simgen frame is ``capture_frame`` (render + labels) plus the COCO exporter's ``add`` (PNG
    written atomically); the exporter's ``finish`` (annotation JSON) is spread over the frames.
    """
    spec = world.spec
    info = DatasetInfo(
        out_dir=out,
        name="bench",
        description="",
        class_names=spec.class_names,
        splits=(spec.split,),
        version=simgen.__version__,
    )
    exporter = get_exporter("coco")(info)
    exporter.begin()
    records, raws, ours = [], [], []
    for f in range(frames):
        raws.append(raw_frame(world.client, cam, renderer))
        t0 = time.perf_counter()
        records.append(exporter.add(capture_frame(world, cam, f, renderer)))
        ours.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    exporter.finish(records)
    share = (time.perf_counter() - t0) / frames
    return raws, [t + share for t in ours]


def main() -> None:
    """Parse arguments, run both measurements per renderer (frames interleaved), print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="quickstart", help="shipped scenario name or path (default quickstart)")
    ap.add_argument("--frames", type=int, default=60, help="frames per measurement (default 60)")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--renderers", default="tiny,egl", help="comma-separated (default tiny,egl)")
    ap.add_argument("--episode", type=int, default=0, help="which episode of the scenario to set up (default 0)")
    args = ap.parse_args()

    path = Path(args.scenario)
    if not path.exists():
        path = simgen.resources.scenario_path(args.scenario)
    scenario = simgen.load(path)
    spec = simgen.sample(scenario, args.episode)
    cam = spec.cameras[0]
    scale = args.height / cam.height
    K = cam.K.copy()
    K[0, 0] *= scale
    K[1, 1] *= scale
    K[0, 2], K[1, 2] = (args.width - 1) / 2, (args.height - 1) / 2
    cam = replace(cam, width=args.width, height=args.height, K=K)
    spec = replace(spec, cameras=(cam,))

    print(
        f"scene: {scenario.name} episode {args.episode}, {len(spec.objects)} objects, "
        f"{args.width}x{args.height}, {args.frames} frames per renderer, raw and simgen frames interleaved"
    )
    print("fps from the median frame time (mean in brackets)")
    print(f"{'renderer':8s}  {'raw fps':>14s}  {'simgen fps':>14s}  {'ratio':>12s}")
    for renderer in [r.strip() for r in args.renderers.split(",") if r.strip()]:
        with quiet_stdout(), BulletClient() as client, tempfile.TemporaryDirectory() as tmp:
            attach(client, renderer)
            world = World(client, spec)
            world.step(spec.world.settle_steps)
            measure(world, cam, renderer, 3, Path(tmp) / "warmup")  # first frames allocate buffers
            raws, ours = measure(world, cam, renderer, args.frames, Path(tmp) / "run")
        raw, sim = 1 / statistics.median(raws), 1 / statistics.median(ours)
        raw_mean, sim_mean = 1 / statistics.mean(raws), 1 / statistics.mean(ours)
        print(
            f"{renderer:8s}  {raw:6.1f} ({raw_mean:5.1f})  {sim:6.1f} ({sim_mean:5.1f})  "
            f"{sim / raw:5.2f} ({sim_mean / raw_mean:4.2f})",
            flush=True,
        )


if __name__ == "__main__":
    main()
