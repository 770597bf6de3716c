"""World, actor and event mistakes are reported at their line with their key path and a hint."""

from __future__ import annotations

import pytest

import simgen
from simgen.cli import main
from simgen.errors import AssetError, ScenarioError
from tests.scenario.test_malformed import CORPUS

BAD = """\
name: bad
objects:
  - {name: van, class: van, type: box, size: [1, 1, 1], behavior: {type: teleport}}
  - {name: vn, class: van, type: box, size: [1, 1, 1], placement: {regin: box}}
  - {name: v2, class: van, type: box, size: [1,1,1], behavior: {type: waypoints, points: [[0,0,0],[1,1,1]], sped: 1}}
events:
  - {name: e, trigger: {type: att, at: 1}, actions: [{type: remove, object: van}]}
  - {name: f, trigger: {type: at, at: -1}, actions: [{type: camera_freez}]}
world: {time_of_day: 25, haze: {density: -1}}
cameras: [{width: 8, height: 8, position: [5, 5, 5], look_at: [0, 0, 0], mount: {actr: van}}]
"""


def test_every_world_mistake_is_reported_at_once(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    expected = [
        ":3:",
        "objects[0].behavior.type: unknown type 'teleport'; expected one of static, physics, waypoints",
        ":4:",
        "objects[1].placement: missing required key 'region' (one of box, disc, surface, path)",
        ":5:",
        "objects[2].behavior.sped: unknown key 'sped' (did you mean 'speed'?)",
        ":7:",
        "events[0].trigger.type: unknown type 'att'; expected one of at, window, proximity, contact",
        ":8:",
        "events[1].trigger.at: must be >= 0, got -1",
        ":8:",
        "events[1].actions[0].type: unknown type 'camera_freez'",
        ":9:",
        "world.time_of_day: must be <= 24, got 25",
        ":9:",
        "world.haze.density: must be >= 0, got -1",
        ":10:",
        "cameras[0].mount.actr: unknown key 'actr'",
    ]
    lines = err.strip().splitlines()
    for where, text in zip(expected[::2], expected[1::2], strict=True):
        assert any(where in line and text in line for line in lines), text


def test_reference_to_a_missing_actor_is_a_user_error(tmp_path, capsys):
    path = tmp_path / "ref.yaml"
    path.write_text(
        """\
name: ref
objects:
  - {name: car, class: car, type: box, size: [1, 1, 1], behavior: {type: follow, target: lead}}
cameras: [{width: 8, height: 8, position: [5, 5, 5], look_at: [0, 0, 0]}]
"""
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "objects[0].behavior.target: no object or instance named 'lead'" in err
    assert "Traceback" not in err


def test_unknown_ragdoll_joint_is_caught_at_validation(tmp_path, capsys):
    path = tmp_path / "joint.yaml"
    path.write_text(
        """\
name: j
objects:
  - {name: p, class: person, type: humanoid, joints: {left_kne: 0.5}}
cameras: [{width: 8, height: 8, position: [5, 5, 5], look_at: [0, 0, 0]}]
"""
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "objects[0].joints.left_kne: the humanoid has no joint 'left_kne' (did you mean 'left_knee'?)" in err


def test_mounted_camera_needs_no_orientation_of_its_own(tmp_path, capsys):
    path = tmp_path / "mount.yaml"
    path.write_text(
        """\
name: m
objects: [{name: car, class: car, type: box, size: [1, 1, 1]}]
cameras: [{width: 8, height: 8, position: [0, 0, 0], mount: {actor: car, offset: [1, 0, 0]}}]
"""
    )
    assert main(["validate", str(path)]) == 0


IMPOSSIBLE = """\
name: ranges
objects:
  - {name: a, class: a, type: box, size: [1, 1, 1], placement: {region: box, min: [0, 0, 0], max: [1, -1, 1]}}
  - {name: b, class: a, type: box, size: [1, 1, 1], placement: {region: disc, center: [0, 0, 0], radius: 1,
     inner_radius: 2}}
  - {name: c, class: a, type: box, size: [1, 1, 1],
     behavior: {type: waypoints, points: [[0, 0, 0], [1, 0, 0], [1, 1, 0]], speeds: [1]}}
  - {name: d, class: a, type: box, size: [.nan, 1, 1]}
events:
  - {name: e, trigger: {type: window, start: 3, end: 1}, actions: [{type: frame_drop, duration: -1}]}
cameras: [{width: 8, height: 8, position: [5, 5, 5], look_at: [0, 0, 0]}]
"""


def test_impossible_ranges_are_rejected_with_their_key_path(tmp_path, capsys):
    path = tmp_path / "ranges.yaml"
    path.write_text(IMPOSSIBLE)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    expected = [
        (":3:", "objects[0].placement: min is greater than max along y"),
        (":4:", "objects[1].placement: inner_radius (2) is greater than radius (1)"),
        (":7:", "objects[2].behavior: speeds needs one value per segment (2), got 1"),
        (":8:", "objects[3].size[0]: value must be finite"),
        (":10:", "events[0].trigger: window start (3) is after its end (1)"),
        (":10:", "events[0].actions[0].duration: must be > 0, got -1"),
    ]
    for where, text in expected:
        assert any(where in line and text in line for line in lines), text
    assert "Traceback" not in err


def test_sampling_errors_from_the_python_api_carry_the_line_and_key_path():
    """``simgen.sample`` (not only the CLI) locates what only shows when an episode is drawn."""
    with pytest.raises(ScenarioError) as placed:
        simgen.sample(simgen.load(CORPUS / "place_region_too_small.yaml"), 0)
    (issue,) = placed.value.issues
    assert (issue.line, issue.path) == (10, "objects[0][1].placement") and "could not place 'crate_1'" in issue.message
    with pytest.raises(AssetError) as heightmap:
        simgen.sample(simgen.load(CORPUS / "heightmap_not_an_image.yaml"), 0)
    (issue,) = heightmap.value.issues
    assert (issue.line, issue.col, issue.path) == (6, 34, "world.ground.heightfield.path")
    assert issue.file.endswith("heightmap_not_an_image.yaml")
