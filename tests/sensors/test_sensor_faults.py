"""LiDAR dropout and IMU bias jumps from scenario events change what those sensors deliver."""

from __future__ import annotations

import numpy as np

from simgen.batch.episode import run_episode
from simgen.sensors.stream import SensorStream

from .conftest import make_world

FAULTY = """
version: 1
name: faulty
world: {time_step: 0.005, settle_time: 0, frame_rate: 10}
frames: 10
classes: [crate]
objects:
  - {name: crate, type: box, class: crate, size: [1, 1, 1], position: [3, 0, 0.5], mass: 0}
cameras: [{name: cam, position: [-2, 0, 1], look_at: [0, 0, 0], width: 16, height: 12}]
sensors:
  - {name: lidar, type: lidar, rate: 10, channels: 4, vertical_fov: [-20, 0], horizontal_resolution: 4,
     position: [0, 0, 1], dropout: 0.1}
  - {name: lidar2, type: lidar, rate: 10, channels: 4, vertical_fov: [-20, 0], horizontal_resolution: 4,
     position: [0, 0, 1]}
  - {name: imu, type: imu, rate: 20, mount: {body: crate_0}}
events:
  - name: out
    trigger: {type: at, at: 0.3}
    actions:
      - {type: lidar_dropout, sensor: lidar, duration: 0.3, fraction: FRACTION}
      - {type: imu_bias_jump, sensor: imu, duration: 0.3, accel: [0.5, 0, -0.25], gyro: [0, 0.01, 0]}
"""


def _run(client, fraction: float) -> SensorStream:
    world, spec = make_world(client, FAULTY.replace("FRACTION", str(fraction)))
    stream = SensorStream(0)
    list(run_episode(client, spec, "tiny", stream))
    return stream


def _points_per_scan(stream: SensorStream, name: str) -> tuple[np.ndarray, np.ndarray]:
    scans = [s for s in stream.samples[name]]
    return np.array([s.capture_time for s in scans]), np.array([len(s.range) for s in scans])


def test_lidar_dropout_empties_the_named_lidar_inside_its_window_only(client):
    stream = _run(client, 1.0)
    t, n = _points_per_scan(stream, "lidar")
    inside = (t >= 0.3 - 1e-9) & (t < 0.6 - 1e-9)
    assert inside.sum() == 3 and (~inside).sum() >= 5
    assert np.all(n[inside] == 0) and np.all(n[~inside] > 100)
    _, other = _points_per_scan(stream, "lidar2")  # the fault names one sensor
    assert np.all(other > 200)


def test_partial_lidar_dropout_loses_about_that_fraction(client):
    stream = _run(client, 0.5)
    t, n = _points_per_scan(stream, "lidar")
    inside = (t >= 0.3 - 1e-9) & (t < 0.6 - 1e-9)
    full = n[~inside].mean()
    assert np.all(np.abs(n[inside] / full - 0.5) < 0.12)


def test_imu_bias_jump_offsets_readings_inside_its_window_only(client):
    stream = _run(client, 1.0)
    imu = stream.arrays("imu")
    t = imu["capture_time"]
    inside = (t >= 0.3 - 1e-9) & (t < 0.6 - 1e-9)
    assert inside.sum() >= 5 and (~inside).sum() >= 5
    accel_err = imu["accel"] - imu["accel_true"]
    gyro_err = imu["gyro"] - imu["gyro_true"]
    assert np.allclose(accel_err[inside], [0.5, 0, -0.25]) and np.allclose(gyro_err[inside], [0, 0.01, 0])
    assert np.allclose(accel_err[~inside], 0) and np.allclose(gyro_err[~inside], 0)


def test_faults_do_not_shift_the_lidar_noise_stream(client):
    """Fault draws come from the sensor's own fault generator: its random dropout after the window is unchanged."""
    a = _run(client, 1.0).samples["lidar"]
    b = _run(client, 0.5).samples["lidar"]
    last_a, last_b = a[-1], b[-1]
    assert last_a.capture_time >= 0.6 and np.array_equal(last_a.range, last_b.range)
