"""No body ends under its support: every shipped scenario, every object type, every behaviour.

Fast by design: no rendering, a few captured frames, poses and closest points from pybullet
(:func:`simgen.sim.ground.sinking`).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

import simgen
from simgen.assets.registry import load_builtin
from simgen.scenario.sample_world import local_half_extents
from simgen.scenario.world_models import BEHAVIOR_TYPES
from simgen.sim.client import BulletClient
from simgen.sim.ground import sinking
from simgen.sim.world import World

SCENARIOS = sorted((Path(__file__).parents[2] / "scenarios").glob("*.yaml"))
TOLERANCE = 0.01  # metres a body may reach under its support (contact solver slop included)
FRAMES = 3
SPACING = 40.0  # metres between objects: the largest asset footprint fits


def _worst_over_frames(spec: simgen.EpisodeSpec, frames: int = FRAMES) -> dict[str, float]:
    """Deepest sinking per body over the first ``frames`` captured frames of an episode."""
    worst: dict[str, float] = {}
    w = spec.world
    with BulletClient() as client:
        world = World(client, spec)
        for f in range(frames):
            world.step(w.settle_steps + f * w.steps_per_frame - world.steps)
            for name, depth in sinking(world).items():
                worst[name] = max(worst.get(name, 0.0), depth)
    return {k: v for k, v in worst.items() if v > TOLERANCE}


def test_every_shipped_scenario_is_covered():
    assert len(SCENARIOS) >= 10


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_no_body_of_a_shipped_scenario_sinks_into_its_support(path: Path) -> None:
    spec = simgen.sample(simgen.load(path), 0)
    assert _worst_over_frames(spec) == {}


def _types() -> list[str]:
    return ["box", "sphere", "humanoid", *sorted(load_builtin())]


def _behavior(kind: str, x: float, z: float) -> str:
    """YAML of one behaviour for an object standing at x; ``z`` is the z its waypoints/follow need."""
    return {
        "static": "{type: static}",
        "physics": "{type: physics, velocity: [0, 0.5, 0]}",
        "waypoints": f"{{type: waypoints, points: [[{x}, 0, {z}], [{x}, 6, {z}]], speed: 3}}",
        "drop": "{type: drop, height: 0.3, at: 0.1}",
        "force": "{type: force, force: [0, 60, 0], start: 0, duration: 0.3}",
        "trajectory": f"{{type: trajectory, points: [[{x}, 0, {z}], [{x}, 6, {z}]], times: [0, 2]}}",
        "follow": f"{{type: follow, target: leader, offset: [{x}, -2, {z - 0.5}], speed: 2}}",
    }[kind]


def _scene(kind: str, z_of: dict[str, float]) -> str:
    lines = [
        "name: contact",
        "world: {settle_time: 0.1, frame_rate: 5}",
        "objects:",
        "  - {name: leader, class: thing, type: box, size: [1, 1, 1],"
        " behavior: {type: waypoints, points: [[0, -30, 0.5], [0, 30, 0.5]], speed: 4}}",
    ]
    for i, t in enumerate(_types()):
        x = (i + 1) * SPACING
        shape = {"box": "size: [0.5, 0.5, 0.5], ", "sphere": "radius: 0.3, ", "humanoid": "height: 1.7, "}.get(t, "")
        place = f"placement: {{region: path, points: [[{x}, 0, 0.002], [{x + 1e-6}, 0, 0.002]], avoid_overlap: false}}"
        lines.append(
            f"  - {{name: o{i}, class: thing, type: {t}, {shape}mass: 20, {place},"
            f" behavior: {_behavior(kind, x, z_of.get(t, 0.0))}}}"
        )
    lines.append("cameras: [{width: 8, height: 8, position: [0, -10, 3], look_at: [0, 0, 0]}]")
    return "\n".join(lines) + "\n"


@functools.cache
def _centre_heights() -> dict[str, float]:
    """Centre height over the ground of each non-grounded type (what its waypoints' z must be)."""
    from simgen.scenario.grounding import is_grounded

    spec = simgen.sample(simgen.loads(_scene("static", {})), 0)
    return {
        o.type: float(local_half_extents(o, Path(".")).tolist()[2]) + 0.002
        for o in spec.objects
        if not is_grounded(o.type)
    }


@pytest.mark.parametrize("kind", BEHAVIOR_TYPES)
def test_no_object_type_sinks_whatever_its_behaviour(kind: str) -> None:
    spec = simgen.sample(simgen.loads(_scene(kind, _centre_heights())), 0)
    assert {o.type for o in spec.objects} >= set(_types())
    assert _worst_over_frames(spec) == {}
