"""Benchmark: raw pybullet ``getCameraImage`` frames/s vs simgen's labeled frames/s, per renderer.

Both measurements use the same settled quickstart scene, the same camera, the same image size
and the same ``getCameraImage`` arguments (RGB + depth + segmentation in one call):

- raw: ``getCameraImage`` alone, no conversion, no labels, no writing;
- simgen: the real per-frame path (``simgen.batch.episode.FrameCapture``: render, metric depth,
  instance/semantic maps, labels with COCO RLE) plus the COCO exporter (``add`` + ``flush``: PNG
  encoded and written atomically, fsync included; ``finish``: the annotation JSON).

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
from simgen.batch.episode import FrameCapture
from simgen.export.base import DatasetInfo, get_exporter
from simgen.sensors.camera.pinhole import projection_matrix, view_matrix
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


def measure(world: World, cam, renderer: str, frames: int, block: int, out: Path) -> tuple[float, float, float]:
    """Seconds of ``frames`` raw calls and of ``frames`` simgen frames, timed in alternating blocks.

    Alternating blocks of ``block`` frames spread machine-load drift over both sides. A simgen
    block ends with the exporter's ``flush`` (its PNG writes run in a background thread), so
    every byte it produced is on disk inside its own timing; the exporter's ``finish``
    (annotation JSON) is added once at the end. Returns (raw seconds, simgen seconds, median
    over block pairs of raw/simgen time): the pairwise median is robust to load from other
    processes, which a shared machine has plenty of.
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
    capture = FrameCapture(world, cam, renderer)
    records: list[dict] = []
    raw_blocks, our_blocks = [], []
    done = 0
    while done < frames:
        n = min(block, frames - done)
        t0 = time.perf_counter()
        for _ in range(n):
            raw_frame(world.client, cam, renderer)
        raw_blocks.append((time.perf_counter() - t0, n))
        t0 = time.perf_counter()
        for f in range(done, done + n):
            records.append(exporter.add(capture(f)))
        exporter.flush()
        our_blocks.append((time.perf_counter() - t0, n))
        done += n
    t0 = time.perf_counter()
    exporter.finish(records)
    finish = time.perf_counter() - t0
    raw_total = sum(t for t, _ in raw_blocks)
    our_total = sum(t for t, _ in our_blocks) + finish
    # Each raw block and the simgen block right after it saw about the same machine load.
    pair_ratios = [r / (o + finish * n / frames) for (r, n), (o, _) in zip(raw_blocks, our_blocks, strict=True)]
    return raw_total, our_total, statistics.median(pair_ratios)


def main() -> None:
    """Parse arguments, run both measurements per renderer, print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="quickstart", help="shipped scenario name or path (default quickstart)")
    ap.add_argument("--frames", type=int, default=60, help="frames per measurement (default 60)")
    ap.add_argument("--block", type=int, default=5, help="frames per alternating timing block (default 5)")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--renderers", default="tiny,egl", help="comma-separated (default tiny,egl)")
    ap.add_argument("--episode", type=int, default=0, help="which episode of the scenario to set up (default 0)")
    ap.add_argument(
        "--amodal",
        default="on,off",
        help="amodal labels (silhouettes drawn from geometry): on, off or both (default on,off: one row each)",
    )
    ap.add_argument(
        "--moving",
        action="store_true",
        help="draw every silhouette anew each frame, as if every object moved (by default a "
        "silhouette is recalled while its object and the camera stay put, as in this static scene)",
    )
    args = ap.parse_args()
    if args.moving:
        from simgen.labels import amodal

        class Forgetful(dict):
            def __setitem__(self, key, value) -> None:  # remember nothing
                pass

        amodal._SEEN = Forgetful()

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
        f"{args.width}x{args.height}, {args.frames} frames per renderer and side, in alternating blocks of {args.block}"
    )
    print("fps over all frames; ratio = simgen/raw fps over all frames (median over block pairs)")
    print(f"{'renderer':8s}  {'amodal':6s}  {'raw fps':>8s}  {'simgen fps':>10s}  {'ratio':>13s}")
    modes = [m.strip() for m in args.amodal.split(",") if m.strip()]
    for renderer, mode in [(r.strip(), m) for r in args.renderers.split(",") if r.strip() for m in modes]:
        run_spec = replace(spec, labels={**spec.labels, "amodal": mode == "on"})
        with quiet_stdout(), BulletClient() as client, tempfile.TemporaryDirectory() as tmp:
            attach(client, renderer)
            world = World(client, run_spec)
            world.step(spec.world.settle_steps)
            measure(world, cam, renderer, 3, 3, Path(tmp) / "warmup")  # first frames allocate buffers
            raw_t, our_t, pair = measure(world, cam, renderer, args.frames, args.block, Path(tmp) / "run")
        raw, ours = args.frames / raw_t, args.frames / our_t
        print(f"{renderer:8s}  {mode:6s}  {raw:8.1f}  {ours:10.1f}  {ours / raw:5.2f} ({pair:5.2f})", flush=True)


if __name__ == "__main__":
    main()
