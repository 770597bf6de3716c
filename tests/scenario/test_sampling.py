"""Sampling: every draw fixed per (seed, episode, key path); cameras and rotations are proper."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario.sampling import assign_split, episode_seed

BASE = """\
version: 1
name: s
seed: 11
episodes: 4
objects:
  - name: crate
    type: box
    class: crate
    count: {integer: [1, 4]}
    size: [{uniform: [0.1, 0.3]}, 0.2, 0.2]
    position: [{uniform: [-1, 1]}, {uniform: [-1, 1]}, {uniform: [0.1, 1]}]
    mass: {choice: [1, 2, 3]}
EXTRA
cameras:
  - position: [2, 0, 1]
    look_at: [0, 0, 0]
    fov_y: {uniform: [40, 60]}
"""
EXTRA_OBJECT = """\
  - name: ball
    type: sphere
    class: ball
    radius: {normal: {mean: 0.1, std: 0.02, min: 0.05, max: 0.15}}
    position: [{uniform: [-1, 1]}, 0, 1]
"""


def _scenario(extra: str = ""):
    return simgen.loads(BASE.replace("EXTRA\n", extra))


def test_same_seed_same_episode_same_spec() -> None:
    sc = _scenario(EXTRA_OBJECT)
    a, b = simgen.sample(sc, 2), simgen.sample(sc, 2)
    assert a.to_json() == b.to_json()
    assert a.seed == episode_seed(11, 2)


def test_episodes_and_seeds_differ() -> None:
    sc = _scenario()
    specs = [simgen.sample(sc, i) for i in range(4)]
    assert len({s.seed for s in specs}) == 4
    assert len({tuple(sorted(s.sampled.items())) for s in specs}) == 4
    assert simgen.sample(sc, 0, seed=12).sampled != specs[0].sampled


def test_adding_an_object_does_not_change_other_draws() -> None:
    without, with_ball = _scenario(), _scenario(EXTRA_OBJECT)
    for i in range(4):
        a, b = simgen.sample(without, i), simgen.sample(with_ball, i)
        assert b.objects[: len(a.objects)] == a.objects
        crate_keys = {k: v for k, v in b.sampled.items() if k.startswith(("objects[0]", "cameras"))}
        assert crate_keys == a.sampled
        assert any(k.startswith("objects[1]") for k in b.sampled)


def test_sampled_values_are_recorded_and_in_support() -> None:
    sc = _scenario(EXTRA_OBJECT)
    for i in range(20):
        spec = simgen.sample(sc, i, episodes=20)
        crates = [o for o in spec.objects if o.source == "crate"]
        assert 1 <= len(crates) <= 4 and spec.sampled["objects[0].count"] == len(crates)
        for k, o in enumerate(crates):
            assert 0.1 <= o.shape["size"][0] < 0.3 and o.shape["size"][1:] == [0.2, 0.2]
            assert spec.sampled[f"objects[0][{k}].size[0]"] == o.shape["size"][0]
            assert o.mass in (1.0, 2.0, 3.0) and -1 <= o.position[0] < 1
        ball = next(o for o in spec.objects if o.source == "ball")
        assert 0.05 <= ball.shape["radius"] <= 0.15
        assert [o.instance_id for o in spec.objects] == list(range(1, len(spec.objects) + 1))
        fy = spec.cameras[0].K[1, 1]
        fov = math.degrees(2 * math.atan(240 / fy))
        assert 40 <= fov < 60 and spec.sampled["cameras[0].fov_y"] == pytest.approx(fov)


def test_splits_are_contiguous_blocks() -> None:
    splits = {"train": 0.75, "val": 0.25}
    assert [assign_split(splits, i, 8) for i in range(8)] == ["train"] * 6 + ["val"] * 2
    assert [assign_split({"a": 1.0}, i, 3) for i in range(3)] == ["a"] * 3


def test_rpy_camera_looks_along_x_with_z_up() -> None:
    sc = simgen.loads(
        "version: 1\nname: c\ncameras:\n  - {position: [0, 0, 1], rpy: [0, 0, 0], width: 200, height: 100, fov_y: 90}\n"
    )
    cam = simgen.sample(sc, 0).cameras[0]
    r = cam.world_from_camera[:3, :3]
    assert np.allclose(r[:, 2], [1, 0, 0]) and np.allclose(r[:, 1], [0, 0, -1]) and np.allclose(r[:, 0], [0, -1, 0])
    # K from fov: fy = (H/2) / tan(fov/2); square pixels; OpenCV centre at (W-1)/2, (H-1)/2.
    assert np.allclose(cam.K, [[50, 0, 99.5], [0, 50, 49.5], [0, 0, 1]])


def test_camera_looking_along_up_is_a_located_error(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\nname: c\ncameras:\n  - position: [0, 0, 2]\n    look_at: [0, 0, 0]\n")
    with pytest.raises(ScenarioError) as err:
        simgen.load(path)
    assert str(err.value) == (
        f"{path}:5:5: cameras[0].look_at: camera cannot look at its own position or straight along 'up' "
        "(move look_at or set a different 'up')"
    )
    # With 'up' changed the same pose is fine.
    path.write_text(path.read_text() + "    up: [0, 1, 0]\n")
    assert simgen.sample(simgen.load(path), 0).cameras[0].world_from_camera[2, 2] == pytest.approx(-1)
