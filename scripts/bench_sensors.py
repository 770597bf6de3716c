"""Benchmark the sensors: LiDAR labeled rays/s per backend vs bare casts, radar, IMU, camera extras.

Usage: ``PYTHONPATH=. python scripts/bench_sensors.py [--repeat N] [--size WxH] [--renderer tiny|egl]``

LiDAR runs on each ray casting backend (``embree`` when ``embreex`` is installed, ``bullet``)
on seven scenes: the 35-body benchmark room (64 x 1800 rays), the shipped ``sensor_suite``
scenario (episode 0, settled) with its own 16 x 900 LiDAR, the same scene with a 64 x 2048
pattern, standing and with the cart driving and turning (every column cast from its own pose),
its own LiDAR with 3 mrad beams cast as 7 rays each and dual returns, the 50-body street of
``bench_assets.py`` with a 64 x 2048 roof LiDAR, and 50 bodies drifting and tumbling in zero
gravity in a walled room, the world stepped 24 ticks (untimed) before every capture, so every
sweep pays for bringing the moving scene up to date. For each, the *raw* figure is the bare ray
cast of the same rays (``rayTestBatch`` in batches; for Embree one cast over one scene of the
whole posed world, made as the caster makes it: packet queries where available), the
*labeled* figure the whole ``Lidar.capture`` (scene update, ray generation, cast, noise,
labels, intensity, xyz, ring/time, echoes), and *embreex run* the same rays through
``embreex``'s own single-ray ``run``. All cases run round robin in one process on one thread,
three calls in a row per turn (so every figure is taken with warm caches), and the best of
``--repeat`` turns is kept, so machine load hits every case alike. Radar: detections/s and
raw rays/s of ``sensor_suite``'s radar.

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
from simgen.sensors.camera.runtime import Camera
from simgen.sensors.embree import _Scene
from simgen.sensors.embree_packets import packet_width, packets_available
from simgen.sensors.imu.runtime import Imu
from simgen.sensors.lidar.runtime import MAX_BATCH, Lidar
from simgen.sensors.radar.runtime import Radar
from simgen.sensors.raycast import embree_available
from simgen.sensors.render import attach
from simgen.sim.client import BulletClient
from simgen.sim.world import World

WALLS = """\
  - {name: north, type: box, class: wall, size: [0.2, 30, 10], position: [15, 0, 5], mass: 0}
  - {name: south, type: box, class: wall, size: [0.2, 30, 10], position: [-15, 0, 5], mass: 0}
  - {name: east, type: box, class: wall, size: [30, 0.2, 10], position: [0, 15, 5], mass: 0}
  - {name: west, type: box, class: wall, size: [30, 0.2, 10], position: [0, -15, 5], mass: 0}
"""  # a 30 m square room, 10 m high

SCENE = """
version: 1
name: bench
world: {gravity: [0, 0, 0], settle_time: 0}
classes: [wall, crate, ball]
objects:
WALLS
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
    text = SCENE.replace("WALLS\n", WALLS).replace("WIDTH", str(width)).replace("HEIGHT", str(height))
    text = text.replace("OUTPUTS", outputs).replace(" DISTORTION", distortion)
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


def _raw_caster(world, lidar, backend, single_ray=False):
    """A function that casts ``lidar``'s current rays bare on ``backend`` (no update, no labels).

    The rays (starts ``min_range`` out, world-frame directions, one origin per column when the
    sensor moves) are built once, outside the timing. Embree: one cast with hit distances over
    one scene of the whole posed world as the LiDAR's caster holds it, the way the caster casts
    (packet queries when available), with a fresh distance array per call (the cast writes hit
    distances into it; reusing it would cast ever shorter rays). ``single_ray``: the same
    through ``embreex``'s own ``run`` (``rtcIntersect1`` per ray) instead, on a scene it built.
    """
    s = lidar.spec
    rot, org, moving = lidar.sensor_poses()
    col = lidar.rays.column if moving else np.zeros(len(lidar.rays.column), dtype=int)  # each ray's column pose
    dirs = np.einsum("nij,nj->ni", rot[col], lidar.rays.dirs64)
    origin = org[col]
    start, end = origin + s.min_range * dirs, origin + s.max_range * dirs
    if backend == "bullet":
        p, cid = world.client.p, world.client.id

        def raw():
            for a in range(0, len(start), MAX_BATCH):
                b = a + MAX_BATCH
                p.rayTestBatch(start[a:b], end[a:b], numThreads=1, physicsClientId=cid)

        return raw
    caster = lidar.caster
    o32, d32 = start.astype(np.float32), dirs.astype(np.float32)
    n, length = len(d32), np.float32(s.max_range - s.min_range)
    if single_ray:  # a flat scene of the whole posed world, cast by embreex's run
        parts = [caster._part(u) for u in sorted(caster.bodies) if caster.bodies[u].faces]
        flat = _Scene(caster.device, parts, packets=False)
        return lambda: flat.first_hits(o32, d32, np.full(n, length, dtype=np.float32))
    whole = caster.static_scene  # the caster's own scene when it holds the whole posed world
    if caster.dynamic_scene is not None or whole is None:
        whole = caster.build_scene(list(caster.bodies))  # else one scene of the whole posed world
    return lambda: whole.first_hits(o32, d32, np.full(n, length, dtype=np.float32))


STREET_LIDAR = """sensors:
  - {name: velo, type: lidar, channels: 64, vertical_fov: [-25, 15], horizontal_resolution: 0.17578125,
     max_range: 120, range_noise: 0.01, mount: {body: car_0}, position: [0, 0, 1.9]}
"""


def street_world():
    """(client, world, LidarSpec): the 50-body street of ``bench_assets.py``, a roof LiDAR on a sedan.

    The street is the urban_street layout with sedans, people and cones; the LiDAR has 64 x 2048 rays.
    """
    from pathlib import Path

    from bench_assets import STREET

    root = Path(__file__).resolve().parent.parent
    bodies = len(sample(simgen.loads(STREET.replace("COUNT", "0"), base_dir=root), 0).objects)
    text = STREET.replace("COUNT", str(max(0, 50 - bodies))) + STREET_LIDAR
    spec = sample(simgen.loads(text, base_dir=root), 0)
    client = BulletClient()
    world = World(client, spec)
    world.step(spec.world.settle_steps)
    return client, world, spec.sensors[0]


ECHOES = {"beam_divergence": 3.0, "beam_samples": 7, "returns": "dual"}

DRIFT = """
version: 1
name: drift
world: {gravity: [0, 0, 0], settle_time: 0}
classes: [wall, crate, ball]
objects:
WALLS
  - {name: crate, type: box, class: crate, count: 30, size: [0.8, 0.8, 0.8],
     position: [{uniform: [-10, 10]}, {uniform: [-10, 10]}, {uniform: [1, 8]}], mass: 1}
  - {name: ball, type: sphere, class: ball, count: 20, radius: 0.4,
     position: [{uniform: [-10, 10]}, {uniform: [-10, 10]}, {uniform: [1, 8]}], mass: 1}
cameras: [{position: [-8, -8, 4], look_at: [0, 0, 0], width: 8, height: 8}]
sensors:
  - {name: velo, type: lidar, channels: 64, vertical_fov: [-25, 15], horizontal_resolution: 0.17578125,
     max_range: 100, position: [0, 0, 4]}
"""
DRIFT_STEPS = 24  # physics ticks between sweeps: 10 Hz at 240 Hz


def drift_world():
    """(client, world, LidarSpec): 50 bodies drifting and tumbling in zero gravity in a walled room, 64 x 2048 LiDAR."""
    spec = sample(simgen.loads(textwrap.dedent(DRIFT.replace("WALLS\n", WALLS))), 0)
    client = BulletClient()
    world = World(client, spec)
    rng = np.random.default_rng(0)
    for o in spec.objects:
        if o.mass > 0:
            v, w = rng.uniform(-3, 3, 3), rng.uniform(-2, 2, 3)
            client.p.resetBaseVelocity(
                int(world.uid_of[o.instance_id]), v.tolist(), w.tolist(), physicsClientId=client.id
            )
    return client, world, spec.sensors[0]


def lidar_cases(backends):
    """(label, client, world, LidarSpec, physics steps between sweeps) for each scene; each world has its own client."""
    cases = []
    client = BulletClient()
    world, spec = build(client)
    cases.append(("bench room: 4 walls, 30 objects, 64 x 1800", client, world, spec.sensors[0], 0))
    suite = sample(simgen.load(os.path.join(os.path.dirname(__file__), "..", "scenarios", "sensor_suite.yaml")), 0)
    dense = {"elevations_deg": tuple(np.linspace(-25, 15, 64).tolist()),
             "azimuths_deg": tuple((np.arange(2048) * 360 / 2048).tolist())}  # fmt: skip
    for label, extra, moving in (
        ("sensor_suite e0: its LiDAR, 16 x 900", {}, False),
        ("sensor_suite e0: 64 x 2048", dense, False),
        ("sensor_suite e0: 64 x 2048, cart driving (skew)", dense, True),
        ("sensor_suite e0: 16 x 900, 3 mrad beams of 7 rays, dual return", ECHOES, False),
    ):
        client = BulletClient()
        world = World(client, suite)
        world.step(suite.world.settle_steps)
        s = next(x for x in suite.sensors if x.type == "lidar")
        s = dataclasses.replace(s, **extra)
        if moving:  # 8 m/s forward, turning at 0.5 rad/s: every column leaves from its own pose
            cart = next(o for o in suite.objects if o.name == s.mount)
            world.client.p.resetBaseVelocity(
                int(world.uid_of[cart.instance_id]), [8.0, 0, 0], [0, 0, 0.5], physicsClientId=world.client.id
            )
        cases.append((label, client, world, s, 0))
    client, world, s = street_world()
    cases.append(("street: 50 bodies, roof LiDAR 64 x 2048", client, world, s, 0))
    client, world, s = drift_world()
    label = f"50 bodies drifting and tumbling, 64 x 2048, {DRIFT_STEPS} physics steps between sweeps"
    cases.append((label, client, world, s, DRIFT_STEPS))
    return cases


def best_capture(lidar, world, steps, calls=3):
    """Fastest of ``calls`` captures, the world stepped ``steps`` ticks before each (not timed)."""
    fastest = float("inf")
    for _ in range(calls):
        if steps:
            world.step(steps)
        t0 = time.perf_counter()
        lidar.capture(0)
        fastest = min(fastest, time.perf_counter() - t0)
    return fastest


def bench_lidar(repeat, backends):
    """Per (scene, backend): rays, returns, raw rays/s and labeled rays/s (best of interleaved runs)."""
    runs = []
    cases = lidar_cases(backends)
    for label, _client, world, s, steps in cases:
        for b in backends:
            lidar = Lidar(dataclasses.replace(s, backend=b), world, np.random.default_rng(0))
            single = _raw_caster(world, lidar, b, single_ray=True) if b == "embree" else None
            raw = _raw_caster(world, lidar, b)
            runs.append(
                {
                    "scene": label,
                    "backend": b,
                    "lidar": lidar,
                    "raw": raw,
                    "single": single,
                    "world": world,
                    "steps": steps,
                }
            )
    for r in runs:
        r["raw_t"], r["lab_t"], r["single_t"] = [], [], []
    for _ in range(repeat):  # round robin so machine load hits every case alike
        for r in runs:  # three calls in a row each, the best kept: both measured with warm caches
            r["raw_t"].append(best(r["raw"], 3)[0])
            r["lab_t"].append(best_capture(r["lidar"], r["world"], r["steps"]))
            if r["single"] is not None:
                r["single_t"].append(best(r["single"], 3)[0])
    out = []
    for r in runs:
        n = len(r["lidar"].rays.dirs)
        hits = len(r["lidar"].capture(0).range)
        single = n / min(r["single_t"]) if r["single_t"] else None
        out.append((r["scene"], r["backend"], n, hits, n / min(r["raw_t"]), n / min(r["lab_t"]), single))
    for _, client, *_ in cases:
        client.close()
    return out


def bench_radar(repeat, backends):
    """Per backend: raw rays per scan, detections per scan, scans/s of sensor_suite's radar."""
    suite = sample(simgen.load(os.path.join(os.path.dirname(__file__), "..", "scenarios", "sensor_suite.yaml")), 0)
    out = []
    with BulletClient() as client:
        world = World(client, suite)
        world.step(suite.world.settle_steps)
        s = next(x for x in suite.sensors if x.type == "radar")
        radars = [Radar(dataclasses.replace(s, backend=b), world, np.random.default_rng(0)) for b in backends]
        for r in radars:
            r.prime()
        world.step(1)
        times: list[list[float]] = [[] for _ in radars]
        for _ in range(repeat):
            for r, t in zip(radars, times, strict=True):
                t.append(best(lambda r=r: r.capture(0), 1)[0])
        for b, r, t in zip(backends, radars, times, strict=True):
            n = len(r.dirs)
            dets = len(r.capture(0).range)
            out.append((b, n, dets, 1.0 / min(t)))
    return out


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
    backends = ["embree", "bullet"] if embree_available() else ["bullet"]
    lidar = bench_lidar(args.repeat, backends)
    radar = bench_radar(args.repeat, backends)
    with BulletClient() as client:
        attach(client, args.renderer)
        imu = bench_imu(client, 5000)
        cam = bench_camera(client, args.renderer, width, height, args.repeat)
    base = cam[0][1]
    print("## Sensors\n")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"`python scripts/bench_sensors.py` on {platform.machine()} ({platform.python_version()}), one thread, "
        f"{os.cpu_count()} cores, load average {load} at the end of the run; best of {args.repeat}, "
        "all cases round robin in one process.\n"
    )
    casting = f"{packet_width()}-ray packets" if packets_available() else "single-ray `run` (no packets here)"
    print(
        "LiDAR, rays per second on one core (raw: the bare cast of the same rays, as the backend casts them: "
        f"embree with {casting}; labeled: `Lidar.capture`; embreex run: the same rays through `embreex`'s "
        "own single-ray `run`):\n"
    )
    print(
        "| scene | backend | rays/sweep | returns | raw M rays/s | labeled M rays/s | labeled / raw "
        "| embreex run M rays/s | labeled / embreex run |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for scene, b, n, hits, raw, labeled, single in lidar:
        extra = f"{single / 1e6:.2f} | {labeled / single:.2f}" if single else "- | -"
        rates = f"{raw / 1e6:.2f} | {labeled / 1e6:.2f} | {labeled / raw:.2f}"
        print(f"| {scene} | {b} | {n:,} | {hits:,} | {rates} | {extra} |")
    by = {(sc, b): lab for sc, b, _, _, _, lab, _ in lidar}
    if "embree" in backends:
        print(
            "\nLabeled speed-up of embree over bullet: "
            + ", ".join(
                f"{sc.split(':')[0]} {by[(sc, 'embree')] / by[(sc, 'bullet')]:.1f}x"
                for sc in dict.fromkeys(sc for sc, *_ in lidar)
            )
            + "."
        )
    print("\nRadar (`sensor_suite`'s radar: raw ray grid, velocities, RCS, clustering, noise):\n")
    print("| backend | raw rays/scan | detections/scan | scans/s | detections/s | raw rays/s |")
    print("|---|---|---|---|---|---|")
    for b, n, dets, rate in radar:
        print(f"| {b} | {n:,} | {dets} | {rate:.0f} | {dets * rate:,.0f} | {n * rate / 1e6:.2f} M |")
    print("\n| measure | value |\n|---|---|")
    print(f"| IMU samples (pose + velocity query, noise, bias walk) | {imu:,.0f} samples/s |")
    print(f"\nCamera, {width}x{height}, renderer {args.renderer}, best of {args.repeat} ms per capture:\n")
    print("| outputs | ms/frame | extra vs plain |\n|---|---|---|")
    for label, ms in cam:
        print(f"| {label} | {ms:.1f} | {ms - base:+.1f} ms ({(ms / base - 1) * 100:+.0f} %) |")


if __name__ == "__main__":
    main()
