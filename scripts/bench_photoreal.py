"""Benchmark: photoreal renderers (Blender Cycles, EEVEE, Workbench) against pybullet's rasterisers.

One settled quickstart scene, one camera, one image size; each renderer renders the same frames
in one process, and the table gives frames/s and each renderer's time relative to a raw
TinyRenderer ``getCameraImage`` call. Blender's figures include posing the scene and reading the
PNG back (what a frame costs inside simgen); the scene build is per episode and excluded.
Needs the ``simgen[blender]`` extra.

    python scripts/bench_photoreal.py --frames 3 --width 640 --height 480
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import simgen
from simgen.sensors.blender import RenderSettings, blender_scene
from simgen.sensors.render import attach, render
from simgen.sim.client import BulletClient
from simgen.sim.world import World


def _time(fn, frames: int) -> float:
    fn()  # warm-up: first render compiles kernels / builds BVHs
    t0 = time.perf_counter()
    for _ in range(frames):
        fn()
    return (time.perf_counter() - t0) / frames


def main() -> None:
    """Print one table row per renderer: seconds per frame, frames/s, cost vs raw TinyRenderer."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--scenario", default="quickstart")
    ap.add_argument("--skip", default="", help="comma-separated renderers to leave out (e.g. eevee)")
    args = ap.parse_args()
    from pathlib import Path

    from simgen.resources import scenario_path

    path = Path(args.scenario)
    scenario = simgen.load(path if path.suffix in (".yaml", ".yml") else scenario_path(args.scenario))
    spec = simgen.sample(scenario, 0)
    cam = replace(spec.cameras[0], width=args.width, height=args.height)
    cam = replace(cam, K=cam.K * [[args.width / spec.cameras[0].width], [args.height / spec.cameras[0].height], [1]])
    skip = set(filter(None, args.skip.split(",")))
    rows: list[tuple[str, float]] = []
    with BulletClient() as client:
        world = World(client, spec)
        world.step(spec.world.settle_steps)
        for name in ("tiny", "egl"):
            if name in skip:
                continue
            try:
                attach(client, name)
            except simgen.SimgenError:
                continue
            rows.append((name, _time(lambda n=name: render(client, cam, n, light=world.render_light()), args.frames)))
        for name, samples in (("workbench", 0), ("eevee", 16), ("cycles", 16), ("cycles", 64)):
            if name in skip:
                continue
            scene = blender_scene(name)
            scene.build(world, RenderSettings(samples=max(samples, 1)))
            label = f"{name} {samples} spp" if samples else name
            rows.append((label, _time(lambda s=scene: s.render(world, cam, seed=1), args.frames)))
    base = dict(rows).get("tiny")
    print(f"{args.scenario}, {args.width}x{args.height}, {args.frames} frames each after one warm-up")
    print(f"{'renderer':18s} {'s/frame':>9s} {'frames/s':>9s} {'x raw tiny':>11s}")
    for label, sec in rows:
        ratio = f"{sec / base:11.1f}" if base else "-"
        print(f"{label:18s} {sec:9.3f} {1 / sec:9.2f} {ratio}")


if __name__ == "__main__":
    import os
    import sys

    main()
    sys.stdout.flush()
    # Blender's GL teardown asserts at interpreter exit when pybullet's EGL plugin shared the
    # process (two EGL users); the figures are printed, so leave without running the teardown.
    os._exit(0)
