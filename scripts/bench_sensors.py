"""Benchmark the sensors: LiDAR labeled rays/s vs raw rayTestBatch, IMU samples/s, camera extras.

Usage: ``PYTHONPATH=. python scripts/bench_sensors.py [--repeat N] [--size WxH] [--renderer tiny|egl]``

Prints a Markdown section for docs/benchmarks.md. Ratios matter more than absolute figures,
which depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import textwrap
import time

import numpy as np

import simgen
from simgen.scenario.sampling import sample
from simgen.sensors.camera_sensor import Camera
from simgen.sensors.imu import Imu
from simgen.sensors.lidar import MAX_BATCH, Lidar
from simgen.sensors.render import attach
from simgen.sim.client import BulletClient
from simgen.sim.world import World

SCENE = """
version: 1
name: bench
world: {gravity: [0, 0, 0], settle_time: 0}
classes: [wall, crate, ball]
objects:
  - {name: north, type: box, class: wall, size: [0.2, 30, 10], position: [15, 0, 5], mass: 0}
  - {name: south, type: box, class: wall, size: [0.2, 30, 10], position: [-15, 0, 5], mass: 0}
  - {name: east, type: box, class: wall, size: [30, 0.2, 10], position: [0, 15, 5], mass: 0}
  - {name: west, type: box, class: wall, size: [30, 0.2, 10], position: [0, -15, 5], mass: 0}
  - {name: crate, type: box, class: crate, count: 20, size: [0.8, 0.8, 0.8],
     position: [{uniform: [-10, 10]}, {uniform: [-10, 10]}, 0.4], mass: 0, color: [0.7, 0.4, 0.2]}
  - {name: ball, type: sphere, class: ball, count: 10, radius: 0.4,
     position: [{uniform: [-10, 10]}, {uniform: [-10, 10]}, 0.4], mass: 0, color: [0.2, 0.4, 0.8]}
  - {name: cart, type: box, class: crate, size: [0.5, 0.5, 0.5], position: [0, 0, 0.25], mass: 1}
cameras:
  - {name: cam, position: [-8, -8, 4], look_at: [0, 0, 0], width: WIDTH, height: HEIGHT, fov_y: 60,
     outputs: OUTPUTS DISTORTION}
sensors:
  - {name: velo, type: lidar, channels: 64, vertical_fov: [-25, 15], horizontal_resolution: 0.2,
     max_range: 100, mount: {body: cart_0}, position: [0, 0, 0.5]}
  - {name: imu, type: imu, rate: 200, mount: {body: cart_0}, accel_noise_density: 0.002,
     gyro_noise_density: 0.0002, accel_random_walk: 0.0003, gyro_random_walk: 0.00002}
"""


def build(client, width=640, height=480, outputs="[rgb, depth, instance, semantic]", distortion=""):
    """The benchmark world (walls, 30 objects, a cart with LiDAR and IMU) and its EpisodeSpec."""
    text = SCENE.replace("WIDTH", str(width)).replace("HEIGHT", str(height)).replace("OUTPUTS", outputs)
    text = text.replace(" DISTORTION", distortion)
    spec = sample(simgen.loads(textwrap.dedent(text)), 0)
    return World(client, spec), spec


def best(fn, repeat):
    """(fastest, median) wall time of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def bench_lidar(client, repeat):
    """Rays per sweep, returns, raw rayTestBatch rays/s and labeled rays/s (best of interleaved runs)."""
    world, spec = build(client)
    lidar = Lidar(spec.sensors[0], world, np.random.default_rng(0))
    poses, _ = lidar.sensor_poses()
    dirs = np.einsum("cij,crj->cri", poses[:, :3, :3], lidar.dirs).reshape(-1, 3)
    origin = np.broadcast_to(poses[:, None, :3, 3], lidar.dirs.shape).reshape(-1, 3)
    start, end = origin + 0.1 * dirs, origin + 100 * dirs
    n = len(start)
    p, cid = client.p, client.id

    def raw():
        for a in range(0, n, MAX_BATCH):
            p.rayTestBatch(start[a : a + MAX_BATCH], end[a : a + MAX_BATCH], numThreads=1, physicsClientId=cid)

    raw_t, labeled_t = [], []
    for _ in range(repeat):  # interleave so machine load hits both alike
        raw_t.append(best(raw, 1)[0])
        labeled_t.append(best(lambda: lidar.capture(0), 1)[0])
    scan = lidar.capture(0)
    return n, len(scan.range), n / min(raw_t), n / min(labeled_t)


def bench_imu(client, count):
    """IMU samples per second (simulator queries, maths and noise; no physics stepping)."""
    world, spec = build(client, 16, 12)
    imu = Imu(spec.sensors[1], world, np.random.default_rng(0))
    imu.prime()
    world.step(1)
    t0 = time.perf_counter()
    for _ in range(count):
        imu.capture(0)
    return count / (time.perf_counter() - t0)


def bench_camera(client, renderer, width, height, repeat):
    """(label, best ms per capture) for plain rendering and each extra output, captures interleaved."""
    world, spec = build(client, width, height)
    base = spec.cameras[0]
    plain = ("rgb", "depth", "instance", "semantic")
    cases = [
        ("plain (rgb, depth, instance, semantic)", {}),
        ("+ normals", {"outputs": (*plain, "normals")}),
        ("+ flow", {"outputs": (*plain, "flow")}),
        ("+ object_coords", {"outputs": (*plain, "object_coords")}),
        ("+ normals, flow, object_coords", {"outputs": (*plain, "normals", "flow", "object_coords")}),
        ("plain + distortion (k1 -0.2, k2 0.05)", {"distortion": (-0.2, 0.05, 0.0, 0.0, 0.0)}),
    ]
    cams = [
        Camera(dataclasses.replace(base, **kw), world, np.random.default_rng(0), renderer=renderer) for _, kw in cases
    ]
    times: list[list[float]] = [[] for _ in cases]
    for _ in range(repeat):  # round robin so changing machine load hits every case alike
        for cam, t in zip(cams, times, strict=True):
            t.append(best(lambda cam=cam: cam.capture(0), 1)[0])
    return [(label, min(t) * 1000) for (label, _), t in zip(cases, times, strict=True)]


def main() -> None:
    """Run every measurement and print the Markdown section."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--renderer", default="tiny", choices=["tiny", "egl"])
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with BulletClient() as client:
        attach(client, args.renderer)
        n, hits, raw, labeled = bench_lidar(client, args.repeat)
        imu = bench_imu(client, 5000)
        cam = bench_camera(client, args.renderer, width, height, args.repeat)
    base = cam[0][1]
    print("## Sensors\n")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"`python scripts/bench_sensors.py` on {platform.machine()} ({platform.python_version()}), one thread, "
        f"{os.cpu_count()} cores, load average {load} at the end of the run.\n"
    )
    print(f"LiDAR: 64 channels x 1800 columns = {n:,} rays per sweep ({hits:,} returns), batches of {MAX_BATCH:,}.\n")
    print("| measure | value |\n|---|---|")
    print(f"| raw `rayTestBatch` (numpy in, no conversion) | {raw / 1e6:.2f} M rays/s |")
    what = "labeled sweep (poses, cast, convert, xyz/intensity/ring/time/instance/class)"
    print(f"| {what} | {labeled / 1e6:.2f} M rays/s |")
    print(f"| labeled / raw | {labeled / raw:.2f} |")
    print(f"| IMU samples (pose + velocity query, noise, bias walk) | {imu:,.0f} samples/s |")
    print(f"\nCamera, {width}x{height}, renderer {args.renderer}, best of {args.repeat} ms per capture:\n")
    print("| outputs | ms/frame | extra vs plain |\n|---|---|---|")
    for label, ms in cam:
        print(f"| {label} | {ms:.1f} | {ms - base:+.1f} ms ({(ms / base - 1) * 100:+.0f} %) |")


if __name__ == "__main__":
    main()
