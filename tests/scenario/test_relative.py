"""Relative placement in a reference object's frame, and the hidden_from / visible_from sugar."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario.sampling import sample

BASE = """\
version: 1
name: rel
seed: 3
episodes: 10
objects:
  - {name: van, class: van, type: box, size: [4, 2, 1.5], mass: 0, position: [10, 3, 0.75], rpy: [0, 0, 30]}
  - name: crate
    class: crate
    type: box
    size: [1, 1, 1]
    mass: 0
    rpy: [0, 0, 30]
    placement: PLACEMENT
cameras:
  - {name: cam, width: 96, height: 72, position: [0, 0, 1.5], look_at: [10, 3, 0.75]}
"""


def _scenario(tmp_path: Path, placement: str, extra: str = "") -> simgen.Scenario:
    path = tmp_path / "rel.yaml"
    path.write_text(BASE.replace("PLACEMENT", placement) + extra)
    return simgen.load(path)


def _in_frame(spec) -> np.ndarray:
    van, crate = spec.objects
    yaw = math.radians(30)
    rot = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
    return rot.T @ (np.asarray(crate.position) - np.asarray(van.position))


@pytest.mark.parametrize(
    ("side", "expected"),
    [
        ("front", (2 + 1.5 + 0.5, 0.4)),
        ("behind", (-(2 + 1.5 + 0.5), 0.4)),
        ("left", (0.4, 1 + 1.5 + 0.5)),
        ("right", (0.4, -(1 + 1.5 + 0.5))),
    ],
)
def test_side_gap_and_lateral_are_in_the_reference_frame(tmp_path: Path, side: str, expected) -> None:
    sc = _scenario(tmp_path, f"{{relative_to: van, side: {side}, gap: 1.5, lateral: 0.4}}")
    rel = _in_frame(sample(sc, 0))
    assert rel[:2] == pytest.approx(expected, abs=1e-9)
    assert rel[2] == pytest.approx(0.5 - 0.75)  # standing on the van's ground


def test_drawn_gap_is_recorded_and_within_its_range(tmp_path: Path) -> None:
    sc = _scenario(tmp_path, "{relative_to: van, side: behind, gap: {uniform: [1, 3]}, lateral: {uniform: [-1, 1]}}")
    gaps = []
    for i in range(10):
        spec = sample(sc, i)
        rel = _in_frame(spec)
        gaps.append(-rel[0] - 2.5)
        assert 1 <= gaps[-1] <= 3 and -1 <= rel[1] <= 1
        assert spec.sampled["objects[1][0].placement"] == pytest.approx(list(spec.objects[1].position))
    assert np.ptp(gaps) > 0.5


def test_waypoint_path_moves_with_the_placed_actor(tmp_path: Path) -> None:
    text = BASE.replace(
        "    placement: PLACEMENT",
        "    placement: {relative_to: van, side: front}\n"
        "    behavior: {type: waypoints, points: [[0, 0, 0], [0, 5, 0]]}",
    )
    path = tmp_path / "walk.yaml"
    path.write_text(text)
    crate = sample(simgen.load(path), 0).objects[1]
    start, end = (np.asarray(p) for p in crate.behavior["points"])
    assert start == pytest.approx(crate.position) and end - start == pytest.approx([0, 5, 0])


def test_hidden_from_places_behind_the_occluder_along_the_line_of_sight(tmp_path: Path) -> None:
    sc = _scenario(tmp_path, "{hidden_from: cam, behind: van, gap: 0.5, max_visible: 0.2}")
    for i in range(3):
        spec = sample(sc, i)
        van, crate = spec.objects
        # straight behind the van on the camera's line of sight
        sight = np.asarray(van.position[:2]) / np.linalg.norm(van.position[:2])
        beyond = np.asarray(crate.position[:2]) - np.asarray(van.position[:2])
        assert float(beyond @ sight) > 1.5 and abs(sight[0] * beyond[1] - sight[1] * beyond[0]) < 1e-9
        (cond,) = spec.requirements["conditions"]
        assert cond["at"] == "objects[1].placement"
        assert cond["condition"] == "in_view(crate, cam) and visible_fraction(crate, cam) <= 0.2"
        from simgen.batch.probe import FirstFrameProbe

        cov = FirstFrameProbe(spec).coverage(crate.instance_id, spec.cameras[0])
        assert cov.amodal > 0 and cov.visible <= 0.2 * cov.amodal


def test_visible_from_places_in_view_and_requires_it_seen(tmp_path: Path) -> None:
    sc = _scenario(tmp_path, "{visible_from: cam, range: [4, 9], min_visible: 0.8}")
    from simgen.batch.probe import FirstFrameProbe

    for i in range(4):
        spec = sample(sc, i)
        crate = spec.objects[1]
        assert 4 <= math.hypot(*crate.position[:2]) <= 9 + 0.75  # ground point in range, box centre above it
        cov = FirstFrameProbe(spec).coverage(crate.instance_id, spec.cameras[0])
        assert cov.fraction >= 0.8


@pytest.mark.parametrize(
    ("placement", "path", "message"),
    [
        ("{relative_to: vna, side: front}", "objects[1].placement.relative_to", "no object or instance named 'vna'"),
        ("{relative_to: crate}", "objects[1].placement.relative_to", "cannot be placed relative to itself"),
        ("{hidden_from: camera, behind: van}", "objects[1].placement.hidden_from", "no camera named 'camera'"),
        ("{side: front}", "objects[1].placement", "missing required key 'region' (one of box, disc, surface, path)"),
        ("{relative_to: van, side: above}", "objects[1].placement.side", "input should be 'behind', 'front'"),
    ],
)
def test_placement_mistakes_are_located(tmp_path: Path, placement: str, path: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _scenario(tmp_path, placement)
    issue = err.value.issues[0]
    assert issue.line == 13 and issue.path == path and message in issue.message
