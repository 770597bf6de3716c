"""Render cost of the procedural asset library, measured side by side as ratios.

    PYTHONPATH=$PWD python scripts/bench_assets.py [--renderer auto] [--repeats 7] [--markdown]

1. Each shipped edge-case scenario before the library (its file at git revision ``--before``,
   primitives and meshes) and now (the library), episode 0, every camera at 640x480: the raw
   render (one getCameraImage: RGB, depth, segmentation), best of ``--repeats``, interleaved.
2. A 50-object street (urban_street layout plus sedans, people and cones, 50 bodies) against
   a 20-primitive scene (boxes, spheres, cylinders), same camera: the triangle budget's goal is
   street / primitives < 3.
Reports ratios (after / before); absolute milliseconds depend on the machine's load.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import simgen
from simgen.resources import scenario_path
from simgen.sensors import render as render_mod
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout
from simgen.sim.world import World

EDGE_CASES = [
    "urban_dusk_child_runout",
    "rural_night_animal_crossing",
    "indoor_fall_detection",
    "warehouse_bin_picking",
    "conveyor_inspection",
    "drone_yard_haze",
    "tabletop_6d_pose",
    "sensor_faults",
]
CAMERA = (
    "{name: cam, width: 640, height: 480, fov_y: 60, near: 0.1, far: 150, position: [-6, -7, 4], look_at: [22, 0, 1]}"
)
STREET = f"""version: 1
name: street50
classes: [car, person, cone]
world: {{settle_time: 0, time_of_day: 14}}
scene: {{type: urban_street, start: -10, length: 60, parked_cars: 4, trees: 4}}
objects:
  - {{name: car, class: car, type: sedan, count: 6, behavior: {{type: static}}, placement: {{region: lane 2}}}}
  - {{name: person, class: person, type: humanoid, count: 8, behavior: {{type: static}},
     placement: {{region: sidewalk}}}}
  - {{name: cone, class: cone, type: traffic_cone, count: COUNT, behavior: {{type: static}},
     placement: {{region: lane 1}}}}
cameras: [{CAMERA}]
"""
PRIMITIVES = f"""version: 1
name: prims20
world: {{settle_time: 0, time_of_day: 14}}
objects:
  - {{name: b, class: a, type: box, count: 7, size: [4, 1.8, 1.4], mass: 0,
     placement: {{region: box, min: [0, -6, 0.7], max: [40, 6, 0.7]}}}}
  - {{name: s, class: a, type: sphere, count: 7, radius: 0.5, mass: 0,
     placement: {{region: box, min: [0, -6, 0.5], max: [40, 6, 0.5]}}}}
  - {{name: c, class: a, type: cylinder, count: 6, radius: 0.3, length: 1.7, mass: 0,
     placement: {{region: box, min: [0, -6, 0.85], max: [40, 6, 0.85]}}}}
cameras: [{CAMERA}]
"""


def _world(scenario: simgen.Scenario) -> tuple[BulletClient, World, list]:
    cams = [c.model_copy(update={"width": 640, "height": 480}) for c in scenario.cameras]
    spec = simgen.sample(scenario.model_copy(update={"cameras": cams}), 0)
    client = BulletClient()
    return client, World(client, spec), list(spec.cameras)


def _best(worlds: dict[str, tuple[BulletClient, World, list]], renderer: str, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` ms of one raw render of every camera, per world, interleaved."""
    best = dict.fromkeys(worlds, float("inf"))
    for _ in range(repeats):
        for key, (client, world, cams) in worlds.items():
            t = time.perf_counter()
            for cam in cams:
                render_mod.render(client, world.camera(cam), renderer, world.render_light())
            best[key] = min(best[key], (time.perf_counter() - t) * 1000)
    return best


def _before(name: str, rev: str) -> simgen.Scenario:
    text = subprocess.run(
        ["git", "show", f"{rev}:scenarios/{name}.yaml"], capture_output=True, text=True, check=True
    ).stdout
    return simgen.loads(text, base_dir=scenario_path(name).parent)


def main() -> int:
    """Run both benchmarks and print tables (markdown with --markdown)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--renderer", default="auto")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--before", default="cc14a32", help="git revision of the scenarios before the library")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    renderer = render_mod.resolve_renderer(args.renderer)
    rows = []
    with quiet_stdout():
        for name in EDGE_CASES:
            worlds = {"before": _world(_before(name, args.before)), "after": _world(simgen.load(scenario_path(name)))}
            if renderer == "egl":
                for client, _, _ in worlds.values():
                    render_mod.attach(client, "egl")
            best = _best(worlds, renderer, args.repeats)
            n = len(worlds["after"][2])
            rows.append((name, n, best["before"] / n, best["after"] / n, best["after"] / best["before"]))
            for client, _, _ in worlds.values():
                client.close()
        street = simgen.loads(STREET.replace("COUNT", "0"), base_dir=Path.cwd())
        bodies = len(simgen.sample(street, 0).objects)
        street = simgen.loads(STREET.replace("COUNT", str(max(0, 50 - bodies))), base_dir=Path.cwd())
        worlds = {"street": _world(street), "primitives": _world(simgen.loads(PRIMITIVES, base_dir=Path.cwd()))}
        if renderer == "egl":
            for client, _, _ in worlds.values():
                render_mod.attach(client, "egl")
        n_street = len(worlds["street"][1].spec.objects)
        best = _best(worlds, renderer, args.repeats)
        for client, _, _ in worlds.values():
            client.close()
    head = f"renderer {renderer}, 640x480, best of {args.repeats}, raw render per camera"
    print(head if not args.markdown else f"{head}:\n")
    print("| scenario | cameras | before ms | after ms | after / before |")
    print("|---|---|---|---|---|")
    for name, n, b, a, r in rows:
        print(f"| {name} | {n} | {b:.1f} | {a:.1f} | {r:.2f} |")
    print()
    ratio = best["street"] / best["primitives"]
    print("| scene | bodies | ms | ratio |")
    print("|---|---|---|---|")
    print(f"| 20 primitives | 20 | {best['primitives']:.1f} | 1.00 |")
    print(f"| urban street with assets | {n_street} | {best['street']:.1f} | {ratio:.2f} (goal < 3) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
