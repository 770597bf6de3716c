"""Benchmark from outside the process: a whole ``simgen render`` run vs raw ``getCameraImage``.

Where ``scripts/bench_render.py`` times one camera's per-frame path in a settled, static scene,
this runs the real command line (physics between frames, objects that fall and roll, per-episode
world building, the COCO writer, the manifest) in a child process and reads its summary line
(images/s), then times bare ``getCameraImage`` calls of the same camera on the same scene in
another child process. The two alternate per repeat, so load from other processes hits both.

    python scripts/bench_outside.py --episodes 2 --frames 60 --renderers tiny,egl --repeats 2
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

RAW = """
import time
import simgen
from simgen.sensors.camera.pinhole import projection_matrix, view_matrix
from simgen.sensors.render import attach
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout
from simgen.sim.world import World

renderer, frames = {renderer!r}, {frames}
spec = simgen.sample(simgen.load(simgen.resources.scenario_path("quickstart")), 0)
cam = spec.cameras[0]
with quiet_stdout(), BulletClient() as client:
    attach(client, renderer)
    world = World(client, spec)
    world.step(spec.world.settle_steps)
    p = client.p
    mode = p.ER_BULLET_HARDWARE_OPENGL if renderer == "egl" else p.ER_TINY_RENDERER
    args = dict(
        viewMatrix=view_matrix(cam).flatten(order="F").tolist(),
        projectionMatrix=projection_matrix(cam, renderer).flatten(order="F").tolist(),
        renderer=mode,
        flags=p.ER_SEGMENTATION_MASK_OBJECT_AND_LINKINDEX,
        physicsClientId=client.id,
    )
    for _ in range(3):
        p.getCameraImage(cam.width, cam.height, **args)
    t0 = time.perf_counter()
    for _ in range(frames):
        p.getCameraImage(cam.width, cam.height, **args)
    dt = time.perf_counter() - t0
print(frames / dt)
"""


def raw_fps(renderer: str, frames: int, env: dict[str, str]) -> float:
    """Bare getCameraImage frames/s of the quickstart camera on its settled scene, in a child process."""
    code = RAW.format(renderer=renderer, frames=frames)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run_fps(renderer: str, episodes: int, frames: int, env: dict[str, str]) -> float:
    """Labeled images/s of ``simgen render quickstart`` with one worker, from its summary line."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "simgen", "render", "quickstart", "--out", str(Path(tmp) / "out")]
        cmd += ["--episodes", str(episodes), "--frames", str(frames), "--workers", "1", "--renderer", renderer]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    match = re.search(r"\(([\d.]+) images/s\)", out.stdout + out.stderr)
    if match is None:
        raise SystemExit(f"no summary line in: {out.stdout + out.stderr}")
    return float(match.group(1))


def main() -> None:
    """Parse arguments, alternate the two measurements per renderer and repeat, print a table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--episodes", type=int, default=2)
    ap.add_argument("--frames", type=int, default=60, help="frames per episode (default 60)")
    ap.add_argument("--renderers", default="tiny,egl")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    repo = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=repo + os.pathsep + os.environ.get("PYTHONPATH", ""))
    print(f"quickstart, {args.episodes} x {args.frames} frames, one worker; raw: the same camera, settled scene")
    print(f"{'renderer':8s}  {'repeat':6s}  {'raw fps':>8s}  {'labeled fps':>11s}  {'ratio':>5s}")
    for renderer in [r.strip() for r in args.renderers.split(",") if r.strip()]:
        for i in range(args.repeats):
            raw = raw_fps(renderer, args.episodes * args.frames, env)
            ours = run_fps(renderer, args.episodes, args.frames, env)
            print(f"{renderer:8s}  {i + 1:6d}  {raw:8.1f}  {ours:11.1f}  {ours / raw:5.2f}", flush=True)


if __name__ == "__main__":
    main()
