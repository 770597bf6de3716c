"""Every reference by name resolves when the scenario is loaded, or is a located error with a suggestion.

Regression: a fault aimed at a sensor that does not exist (``sensor_faults.yaml`` fired
``lidar_dropout`` at ``lidar`` with no ``sensors:``) validated and rendered, and did nothing;
unknown follow targets, supports, trigger and action objects surfaced only when sampling.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario import loads

BASE = """\
name: names
objects:
  - {name: car, type: box, class: car, size: [4, 2, 1.5], count: {integer: [1, 3]},
     behavior: {type: waypoints, points: [[0, 0, 0.75], [20, 0, 0.75]]}}
  - {name: cone, type: box, class: cone, size: [0.3, 0.3, 0.5], position: [5, 2, 0.25]}
  - {name: spare, type: box, class: cone, size: [0.3, 0.3, 0.5], spawn: false}
cameras:
  - {name: front, position: [-5, 0, 2], look_at: [0, 0, 0]}
  - {name: rig, position: [-5, 1, 2], look_at: [0, 0, 0], stereo: {baseline: 0.3}}
sensors:
  - {name: lidar, type: lidar, channels: 2, horizontal_resolution: 10, mount: {body: car_0}}
  - {name: imu, type: imu, mount: {actor: car}}
"""


def _load(extra: str, tmp_path: Path) -> simgen.Scenario:
    return loads(BASE + extra, base_dir=tmp_path, file="names.yaml")


def _event(action: str, trigger: str = "{type: at, at: 0.1}") -> str:
    return f"events:\n  - name: e\n    trigger: {trigger}\n    actions:\n      - {action}\n"


CASES = {
    "lidar_dropout sensor unknown": (
        _event("{type: lidar_dropout, sensor: lidr}"),
        "events[0].actions[0].sensor",
        "no lidar sensor named 'lidr'",
        "did you mean 'lidar'?",
    ),
    "lidar_dropout sensor of another type": (
        _event("{type: lidar_dropout, sensor: imu}"),
        "events[0].actions[0].sensor",
        "sensor 'imu' is an imu, not a lidar",
        "lidar sensors: lidar",
    ),
    "imu_bias_jump sensor unknown": (
        _event("{type: imu_bias_jump, sensor: imu2, accel: [1, 0, 0]}"),
        "events[0].actions[0].sensor",
        "no imu sensor named 'imu2'",
        "did you mean 'imu'?",
    ),
    "camera fault camera unknown": (
        _event("{type: camera_freeze, camera: frnt}"),
        "events[0].actions[0].camera",
        "no camera named 'frnt'",
        "did you mean 'front'?",
    ),
    "camera fault names a stereo rig, not one of its cameras": (
        _event("{type: lens_occlusion, camera: rig}"),
        "events[0].actions[0].camera",
        "no camera named 'rig'",
        "'rig' is a rig; its cameras are rig_left, rig_right",
    ),
    "spawn template unknown": (
        _event("{type: spawn, object: spar}"),
        "events[0].actions[0].object",
        "no object named 'spar' to spawn",
        "did you mean 'spare'?",
    ),
    "spawn of an object that is not a template": (
        _event("{type: spawn, object: cone}"),
        "events[0].actions[0].object",
        "'cone' is not an object declared with 'spawn: false'",
        "add 'spawn: false' to the object 'cone'",
    ),
    "remove object unknown": (
        _event("{type: remove, object: con}"),
        "events[0].actions[0].object",
        "no object or instance named 'con'",
        "did you mean 'cone'?",
    ),
    "impulse on an instance beyond the count": (
        _event("{type: impulse, object: car_3, impulse: [1, 0, 0]}"),
        "events[0].actions[0].object",
        "no object or instance named 'car_3'",
        "'car' has at most 3 instances, car_0 .. car_2",
    ),
    "set_speed actor unknown": (
        _event("{type: set_speed, actor: cr, speed: 1}"),
        "events[0].actions[0].actor",
        "no object or instance named 'cr'",
        "did you mean 'car'?",
    ),
    "set_speed on an object without a speed": (
        _event("{type: set_speed, actor: cone, speed: 1}"),
        "events[0].actions[0].actor",
        "'cone' has no speed to set (its behavior is physics)",
        "waypoints or follow",
    ),
    "proximity trigger object unknown": (
        _event("{type: set_light, intensity: 0.5}", "{type: proximity, a: car_1, b: cne, distance: 2}"),
        "events[0].trigger.b",
        "no object or instance named 'cne'",
        "did you mean 'cone'?",
    ),
    "proximity trigger on the ground": (
        _event("{type: set_light, intensity: 0.5}", "{type: proximity, a: car, b: ground, distance: 2}"),
        "events[0].trigger.b",
        "'ground' is not an object here",
        "name an object or instance",
    ),
    "contact trigger object unknown": (
        _event("{type: set_light, intensity: 0.5}", "{type: contact, a: cars, b: ground}"),
        "events[0].trigger.a",
        "no object or instance named 'cars'",
        "did you mean 'car'?",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_reference_to_nothing_is_a_located_error_at_load_time(name: str, tmp_path: Path) -> None:
    extra, path, message, hint = CASES[name]
    with pytest.raises(ScenarioError) as err:
        _load(extra, tmp_path)
    (issue,) = err.value.issues
    assert (issue.file, issue.path, issue.message) == ("names.yaml", path, message)
    assert hint in (issue.hint or "")
    line = (BASE + extra).splitlines()[issue.line - 1]
    assert path.split(".")[-1] + ":" in line  # the line that says the wrong name


OBJECT_CASES = {
    "follow target unknown": (
        "  - {name: dog, type: box, class: cone, size: [1, 1, 1], behavior: {type: follow, target: cat}}\n",
        "objects[3].behavior.target",
        "no object or instance named 'cat'",
        "did you mean 'car'?",
    ),
    "follow target is itself": (
        "  - {name: dog, type: box, class: cone, size: [1, 1, 1], behavior: {type: follow, target: dog_0}}\n",
        "objects[3].behavior.target",
        "'dog' cannot follow itself",
        "",
    ),
    "surface support unknown": (
        "  - {name: cup, type: box, class: cone, size: [0.1, 0.1, 0.1], placement: {region: surface, support: cne}}\n",
        "objects[3].placement.support",
        "no object or instance named 'cne'",
        "did you mean 'cone'?",
    ),
}


@pytest.mark.parametrize("name", sorted(OBJECT_CASES))
def test_object_reference_to_nothing_is_a_located_error_at_load_time(name: str, tmp_path: Path) -> None:
    extra, path, message, hint = OBJECT_CASES[name]
    text = BASE.replace("cameras:\n", extra + "cameras:\n")
    with pytest.raises(ScenarioError) as err:
        loads(text, base_dir=tmp_path, file="names.yaml")
    (issue,) = err.value.issues
    assert (issue.path, issue.message) == (path, message)
    assert hint in (issue.hint or "")
    assert issue.line == text.splitlines().index(extra.rstrip("\n")) + 1


@pytest.mark.parametrize(
    "mount, path, message",
    [
        ("{body: car_3}", "sensors[2].mount.body", "no object instance named 'car_3': 'car' has at most 3 instances"),
        ("{body: cone_1}", "sensors[2].mount.body", "no object instance named 'cone_1': 'cone' has at most 1"),
        ("{actor: cars}", "sensors[2].mount.actor", "no object named 'cars'"),
    ],
)
def test_mount_must_name_an_instance_the_scenario_can_have(mount: str, path: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(f"  - {{name: gnss, type: gnss, mount: {mount}}}\n", tmp_path)
    (issue,) = err.value.issues
    assert issue.path == path and issue.message.startswith(message)


def test_a_sensor_fault_needs_a_sensor_of_its_type(tmp_path: Path) -> None:
    text = BASE.split("sensors:")[0] + _event("{type: imu_bias_jump, accel: [1, 0, 0]}")
    with pytest.raises(ScenarioError) as err:
        loads(text, base_dir=tmp_path, file="names.yaml")
    (issue,) = err.value.issues
    assert issue.path == "events[0].actions[0]"
    assert issue.message == "imu_bias_jump needs an imu sensor, but 'sensors:' has none"


def test_every_kind_of_reference_that_resolves_loads(tmp_path: Path) -> None:
    extra = (
        "events:\n"
        "  - name: e\n"
        "    trigger: {type: proximity, a: car_2, b: cone, distance: 2}\n"
        "    actions:\n"
        "      - {type: lidar_dropout, sensor: lidar}\n"
        "      - {type: lidar_dropout}\n"
        "      - {type: imu_bias_jump, sensor: imu}\n"
        "      - {type: camera_freeze, camera: rig_right}\n"
        "      - {type: frame_drop}\n"
        "      - {type: spawn, object: spare}\n"
        "      - {type: remove, object: cone_0}\n"
        "      - {type: impulse, object: car, impulse: [1, 0, 0]}\n"
        "      - {type: set_speed, actor: car_1, speed: 0}\n"
        "  - name: f\n"
        "    trigger: {type: contact, a: spare, b: ground}\n"
        "    actions: [{type: set_light, intensity: 0.5}]\n"
    )
    sc = _load(extra, tmp_path)
    assert len(sc.events) == 2
