"""A sensor added as one module (tests/sensors/altimeter.py) reaches every stage through its registration.

The schema, ``simgen list``, the loader (a located error included), sampling, the episode loop,
the raw sensor stream and the MCAP exporter (a notice: it has no MCAP encoding) all see it, as
do the ``events:`` actions, name checks and fault windows for its own fault ``altimeter_stuck``;
removing the registration removes it from all of them again.
"""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

import simgen
from simgen.sensors.registry import load_sensor_types, register_sensor_type, unregister_sensor_type

SCENE = """
version: 1
name: altitude
seed: 5
frames: 2
classes: [crate]
world: {settle_time: 0.2, frame_rate: 5}
objects:
  - {name: crate, type: box, class: crate, size: [0.5, 0.5, 0.5], position: [2, 0, 0.25], mass: 0}
cameras: [{name: cam, width: 32, height: 24, position: [0, 0, 1], look_at: [2, 0, 0]}]
sensors:
  - {name: alt, type: altimeter, rate: 10, noise: 0.0, mount: {body: crate_0}, position: [0, 0, 0.5]}
  - {name: alt2, type: altimeter, noise: 0.1, position: [0, 0, 3]}
"""

# alt (10 Hz from the first frame at 0.2 s) captures at 0.2, 0.3, 0.4 s; the fault covers 0.3 s only.
STUCK = """
events:
  - name: stick
    trigger: {type: at, at: 0.25}
    actions: [{type: altimeter_stuck, sensor: alt, duration: 0.1, value: 7.5}]
"""


@pytest.fixture
def altimeter():
    module = importlib.import_module("tests.sensors.altimeter")
    register_sensor_type(module.ALTIMETER)  # importing registered it once; again after an earlier test's removal
    yield module
    unregister_sensor_type("altimeter")
    assert "altimeter" not in load_sensor_types()


def test_schema_list_and_loader_see_it(altimeter, capsys):
    from simgen.cli import main
    from simgen.scenario.schema import scenario_json_schema

    schema = json.dumps(scenario_json_schema())
    assert '"altimeter"' in schema and "readings above this saturate" in schema
    assert main(["list"]) == 0
    assert "altimeter" in capsys.readouterr().out
    scenario = simgen.loads(SCENE)
    assert [s.type for s in scenario.sensors] == ["altimeter", "altimeter"]
    with pytest.raises(simgen.SimgenError) as err:
        simgen.loads(SCENE.replace("noise: 0.1", "noise: 0.1, colour: red"), file="alt.yaml")
    assert "alt.yaml:" in str(err.value) and "sensors[1].colour" in str(err.value)
    with pytest.raises(simgen.SimgenError, match=r"sensors\[1\]\.noise: noise must be below the ceiling"):
        simgen.loads(SCENE.replace("noise: 0.1", "noise: 0.1, ceiling: 0.05"))


def test_sampled_into_its_spec(altimeter):
    spec = simgen.sample(simgen.loads(SCENE), 0)
    alt, alt2 = spec.sensors
    assert isinstance(alt, altimeter.AltimeterSpec) and alt.mount == "crate_0" and alt.rate == 10.0
    assert alt2.variance == pytest.approx(0.01) and alt2.rate == 5.0 and alt2.mount is None
    assert np.allclose(alt.mount_from_sensor[:3, 3], [0, 0, 0.5])


def test_captured_in_an_episode_and_exported(altimeter, tmp_path, capfd):
    out = tmp_path / "ds"
    simgen.render(simgen.loads(SCENE), out, renderer="tiny", formats=["mcap", "raw"], progress=False)
    index = json.loads((out / "raw/sensors/e000000/stream.json").read_text())
    entry = {s["name"]: s for s in index["sensors"]}["alt"]
    assert entry["type"] == "altimeter" and entry["variance"] == 0.0 and entry["count"] >= 2
    arrays = np.load(out / "raw/sensors/e000000/altimeter_alt.npz")
    assert set(arrays.files) == {"index", "capture_time", "delivery_time", "altitude", "altitude_true"}
    assert np.allclose(arrays["altitude_true"], 0.75, atol=1e-4)  # box centre 0.25 + 0.5 above it
    assert np.allclose(np.diff(arrays["capture_time"]), 0.1)
    noisy = np.load(out / "raw/sensors/e000000/altimeter_alt2.npz")
    assert np.allclose(noisy["altitude_true"], 3.0) and not np.allclose(noisy["altitude"], 3.0)
    assert list((out / "mcap").rglob("*.mcap"))
    assert "mcap: sensor type 'altimeter' has no MCAP encoding" in capfd.readouterr().err  # from the worker


def test_removed_registration_is_an_unknown_type(altimeter):
    unregister_sensor_type("altimeter")
    with pytest.raises(simgen.SimgenError, match="unknown type 'altimeter'"):
        simgen.loads(SCENE)


def test_its_fault_event_is_in_the_schema_list_and_loader(altimeter, capsys):
    from simgen.cli import main
    from simgen.scenario.schema import scenario_json_schema

    schema = json.dumps(scenario_json_schema())
    assert '"altimeter_stuck"' in schema and "reading while stuck" in schema
    assert main(["list"]) == 0
    assert "imu_bias_jump, altimeter_stuck" in capsys.readouterr().out
    (action,) = simgen.loads(SCENE + STUCK).events[0].actions
    assert isinstance(action, altimeter.AltimeterStuck) and action.value == 7.5
    bad = SCENE + STUCK.replace("value: 7.5", "value: high")
    with pytest.raises(simgen.SimgenError) as err:
        simgen.loads(bad, file="alt.yaml")
    at = bad.index("value: high")  # the key of the bad field
    line, col = bad.count("\n", 0, at) + 1, at - bad.rindex("\n", 0, at)
    assert str(err.value).startswith(f"alt.yaml:{line}:{col}: events[0].actions[0].value: input should be a valid")
    with pytest.raises(simgen.SimgenError, match=r"actions\[0\]\.sensor: no altimeter sensor named 'alt9'"):
        simgen.loads(SCENE + STUCK.replace("sensor: alt,", "sensor: alt9,"))


def test_its_fault_event_holds_the_reading(altimeter, tmp_path):
    out = tmp_path / "ds"
    simgen.render(simgen.loads(SCENE + STUCK), out, renderer="tiny", formats=["raw"], progress=False, workers=1)
    arrays = np.load(out / "raw/sensors/e000000/altimeter_alt.npz")
    stuck = np.isclose(arrays["capture_time"], 0.3)
    assert stuck.sum() == 1 and len(stuck) >= 3
    assert np.allclose(arrays["altitude"][stuck], 7.5)
    assert np.allclose(arrays["altitude"][~stuck], arrays["altitude_true"][~stuck])  # noise 0: true elsewhere
    assert np.allclose(arrays["altitude_true"], 0.75, atol=1e-4)
    noisy = np.load(out / "raw/sensors/e000000/altimeter_alt2.npz")  # the fault names alt only
    assert not np.isclose(noisy["altitude"], 7.5).any()


def test_removed_registration_removes_its_fault_event(altimeter):
    unregister_sensor_type("altimeter")
    without_sensors = SCENE.split("sensors:")[0]
    with pytest.raises(simgen.SimgenError, match="altimeter_stuck"):
        simgen.loads(without_sensors + STUCK)
