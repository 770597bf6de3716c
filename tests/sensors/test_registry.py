"""Conformance over every registered sensor plugin, and the stage import rule."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from simgen.errors import SimgenError
from simgen.sensors.registry import get_sensor, load_sensor_types, sensor_type

from .conftest import make_world

SCENE = """
version: 1
name: all
world: {settle_time: 0}
classes: [crate]
objects:
  - {name: crate, type: box, class: crate, size: [0.5, 0.5, 0.5], position: [2, 0, 0.25]}
cameras: [{name: cam, position: [0, 0, 1], look_at: [2, 0, 0], width: 16, height: 12, latency: 0.01}]
sensors:
  - {name: velo, type: lidar, channels: 4, horizontal_resolution: 10, latency: 0.02, mount: {body: crate_0},
     position: [0, 0, 0.5]}
  - {name: imu, type: imu, latency: 0.003}
  - {name: gps, type: gnss, latency: 0.1}
  - {name: radar, type: radar, latency: 0.05, ray_resolution: 2}
"""


@pytest.mark.parametrize("kind", sorted(load_sensor_types()))
def test_every_sensor_plugin_captures_timestamped_records(client, kind):
    world, spec = make_world(client, SCENE)
    sensor_specs = {"camera": spec.cameras[0], **{s.type: s for s in spec.sensors}}
    s = sensor_specs[kind]
    sensor = get_sensor(kind)(s, world, np.random.default_rng(0))
    assert sensor.name == s.name and sensor_type(kind).summary
    world.step(3)
    sensor.prime()
    world.step(1)
    out = sensor.capture(world.steps)
    t = world.time
    time = getattr(out, "capture_time", getattr(out, "time", None))
    assert time == pytest.approx(t)
    assert out.delivery_time == pytest.approx(t + s.latency)


def test_unknown_sensor_type_suggests():
    with pytest.raises(SimgenError, match="did you mean 'lidar'"):
        get_sensor("lidr")


def test_scenario_stage_imports_neither_pybullet_nor_opencv():
    code = textwrap.dedent(
        """
        import sys, simgen
        from simgen.scenario import sensor_models, sensor_sampling, sensor_spec
        from simgen.sensors.registry import load_sensor_types
        load_sensor_types()
        from simgen.scenario.sampling import sample
        sc = simgen.load(simgen.resources.scenario_path("quickstart"))
        sample(sc, 0)
        print(sorted(m for m in ("pybullet", "cv2") if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
