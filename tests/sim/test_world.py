"""World building and stepping: every object type spawns, ids map back, physics is repeatable."""

from __future__ import annotations

import pytest

import simgen
from simgen.errors import AssetError
from simgen.kinds.registry import load_kinds
from simgen.scenario.models import OBJECT_TYPES
from simgen.sim.client import BulletClient
from simgen.sim.world import World

ALL_TYPES = """\
version: 1
name: all
world: {settle_time: 0.25}
objects:
  - {name: b, type: box, class: thing, size: [0.2, 0.2, 0.2], position: [0, 0, 0.5]}
  - {name: s, type: sphere, class: thing, radius: 0.1, position: [0.5, 0, 0.5]}
  - {name: c, type: cylinder, class: thing, radius: 0.1, length: 0.2, position: [-0.5, 0, 0.5]}
  - {name: k, type: capsule, class: thing, radius: 0.05, length: 0.2, position: [0, 0.5, 0.5]}
  - {name: u, type: urdf, class: thing, path: "pybullet_data:duck_vhacd.urdf", position: [0, -0.5, 0.5]}
  - {name: m, type: mesh, class: thing, path: "assets:meshes/torus.obj", scale: 0.5, position: [0.5, 0.5, 0.5]}
cameras:
  - {width: 32, height: 24, position: [2, 0, 1], look_at: [0, 0, 0]}
"""


def test_every_object_type_has_a_builder() -> None:
    assert set(load_kinds()) == set(OBJECT_TYPES)


def test_world_builds_every_type_and_objects_land_on_the_floor() -> None:
    spec = simgen.sample(simgen.loads(ALL_TYPES), 0)
    with BulletClient() as client:
        world = World(client, spec)
        assert sorted(world.uid_of) == [1, 2, 3, 4, 5, 6]
        assert len(set(world.uid_of.values())) == 6 and world.ground_uid not in world.uid_of.values()
        for iid, uid in world.uid_of.items():
            assert world.instance_of_uid[uid] == iid
        assert world.instance_of_uid[world.ground_uid] == 0
        world.step(spec.world.settle_steps)
        assert world.time == pytest.approx(0.25, abs=spec.world.time_step)
        poses = world.poses()
        for iid, ((_, _, z), q) in poses.items():
            assert 0 < z < 0.5, (iid, z)  # fell, and was stopped by the ground
            assert sum(c * c for c in q) == pytest.approx(1.0)


def test_same_spec_steps_to_identical_poses() -> None:
    spec = simgen.sample(simgen.loads(ALL_TYPES), 0)
    runs = []
    with BulletClient() as client:
        for _ in range(2):
            world = World(client, spec)  # resets the same client
            world.step(90)
            runs.append(world.poses())
    assert runs[0] == runs[1]


def test_client_close_is_idempotent() -> None:
    client = BulletClient()
    assert client.id >= 0
    client.close()
    client.close()
    assert client.id == -1


def test_unreadable_mesh_is_an_asset_error(tmp_path) -> None:
    (tmp_path / "bad.obj").write_text("this is not a mesh\n")
    text = ALL_TYPES.replace('"assets:meshes/torus.obj"', "bad.obj")
    # Placement reads mesh extents while sampling, so the error comes before any world is built.
    with BulletClient() as client, pytest.raises(AssetError, match="bad.obj"):
        World(client, simgen.sample(simgen.loads(text, base_dir=tmp_path), 0))
