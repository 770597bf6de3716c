"""IMU against analytic motion: at rest, spinning at a known rate, free fall; noise model."""

from __future__ import annotations

import numpy as np

from simgen.batch.episode import run_episode
from simgen.sensors.gnss.runtime import Gnss
from simgen.sensors.imu.runtime import Imu
from simgen.sensors.stream import SensorStream

from .conftest import make_world, rng, set_velocity

G = 9.81

REST = """
version: 1
name: rest
world: {time_step: 0.001, settle_time: 0.5, frame_rate: 10}
frames: 2
classes: [crate]
objects:
  - {name: crate, type: box, class: crate, size: [0.4, 0.4, 0.2], position: [0, 0, 0.1], mass: 2}
cameras: [{position: [2, 0, 1], look_at: [0, 0, 0], width: 16, height: 12}]
sensors:
  - {name: imu, type: imu, rate: 200, mount: {body: crate_0}, position: [0.1, 0.05, 0.1]}
  - {name: fixed, type: imu, rate: 100, rpy: [90, 0, 0]}
"""


def test_imu_at_rest_reads_plus_g_up_and_zero_rate(client):
    world, spec = make_world(client, REST)
    stream = SensorStream(0)
    list(run_episode(client, spec, "tiny", stream))
    imu = stream.arrays("imu")
    assert len(imu["accel"]) == 40  # 200 Hz over the 0.2 s window (2 frames at 10 Hz)
    assert np.allclose(imu["accel"], [0, 0, G], atol=0.02)
    assert np.allclose(imu["gyro"], 0, atol=1e-3)
    fixed = stream.arrays("fixed")
    assert len(fixed["accel"]) == 20
    # Rolled 90 degrees about x, the sensor y axis points up: it reads +g on y.
    assert np.allclose(fixed["accel"], [0, G, 0], atol=1e-9)


SPACE = """
version: 1
name: space
world: {gravity: [0, 0, GRAVITY], time_step: 0.001, settle_time: 0, ground: {type: none}}
classes: [probe]
objects:
  - {name: probe, type: box, class: probe, size: [0.3, 0.3, 0.3], position: [0, 0, 10], mass: 1,
     angular_damping: 0, linear_damping: 0}
cameras: [{position: [2, 0, 1], look_at: [0, 0, 0], width: 16, height: 12}]
sensors:
  - {name: imu, type: imu, rate: 200, mount: {body: probe_0}, position: [OFFSET, 0, 0]}
"""


def _samples(world, spec, n, steps_per_sample=5):
    imu = Imu(spec.sensors[0], world, rng())
    world.step(steps_per_sample - 1)
    imu.prime()
    world.step(1)
    out = []
    for _ in range(n):
        world.step(steps_per_sample)
        out.append(imu.capture(world.steps))
    return out


def test_imu_on_spinning_body_reads_omega(client):
    omega = 2.0
    world, spec = make_world(client, SPACE.replace("GRAVITY", "0").replace("OFFSET", "0"))
    set_velocity(world, "probe_0", angular=(0, 0, omega))
    samples = _samples(world, spec, 20)
    gyro = np.array([s.gyro for s in samples])
    accel = np.array([s.accel for s in samples])
    assert np.allclose(gyro, [0, 0, omega], atol=1e-6)
    assert np.allclose(accel, 0, atol=1e-6)


def test_imu_off_axis_reads_centripetal_acceleration(client):
    omega, r = 2.0, 0.5
    world, spec = make_world(client, SPACE.replace("GRAVITY", "0").replace("OFFSET", str(r)))
    set_velocity(world, "probe_0", angular=(0, 0, omega))
    accel = np.array([s.accel for s in _samples(world, spec, 20)])
    # Specific force of a point on a turning body: -omega^2 r towards the axis (IMU x points out).
    assert np.allclose(accel[:, 0], -(omega**2) * r, rtol=0.01)
    assert np.all(np.abs(accel[:, 1]) < 0.01 * omega**2 * r)


def test_imu_in_free_fall_reads_zero(client):
    world, spec = make_world(client, SPACE.replace("GRAVITY", "-9.81").replace("OFFSET", "0"))
    samples = _samples(world, spec, 20)
    accel = np.array([s.accel for s in samples])
    truth = np.array([s.accel_true for s in samples])
    assert np.max(np.abs(accel)) < 1e-6
    assert np.array_equal(accel, truth)


NOISY = """
version: 1
name: noisy
world: {time_step: 0.005, settle_time: 0, frame_rate: 0.5}
classes: [x]
cameras: [{position: [2, 0, 1], look_at: [0, 0, 0], width: 16, height: 12}]
sensors:
  - {name: imu, type: imu, rate: 200, accel_noise_density: 0.002, gyro_noise_density: 0.0002,
     accel_bias: [0.1, 0, 0], gyro_scale: [0, 0, 0], accel_scale: [0, 0, 0.01], EXTRA}
"""


def test_imu_noise_density_bias_and_scale(client):
    world, spec = make_world(client, NOISY.replace(", EXTRA", ""))
    imu = Imu(spec.sensors[0], world, np.random.default_rng(3))
    imu.prime()
    samples = []
    for _ in range(2000):
        world.step(1)
        samples.append(imu.capture(world.steps))
    accel = np.array([s.accel for s in samples])
    gyro = np.array([s.gyro for s in samples])
    # Discrete white noise std = density * sqrt(rate) (Kalibr).
    assert np.allclose(accel.std(axis=0), 0.002 * np.sqrt(200), rtol=0.1)
    assert np.allclose(gyro.std(axis=0), 0.0002 * np.sqrt(200), rtol=0.1)
    assert np.allclose(accel.mean(axis=0), [0.1, 0, G * 1.01], atol=0.005)


def test_imu_saturation(client):
    world, spec = make_world(client, NOISY.replace("EXTRA", "accel_range: 5.0"))
    imu = Imu(spec.sensors[0], world, rng())
    imu.prime()
    world.step(1)
    assert imu.capture(world.steps).accel[2] == 5.0


def test_gnss_position_noise_and_dropout(client):
    text = NOISY.replace(
        "  - {name: imu",
        "  - {name: gps, type: gnss, horizontal_noise: 0.5, dropout: 0.25, position: [1, 2, 3]}\n  - {name: imu",
    ).replace(", EXTRA", "")
    world, spec = make_world(client, text)
    gps = Gnss(spec.sensors[0], world, np.random.default_rng(1))
    fixes = [gps.capture(i) for i in range(800)]
    valid = np.array([f.valid for f in fixes])
    assert 0.2 < 1 - valid.mean() < 0.3
    pos = np.array([f.position for f in fixes if f.valid])
    assert np.all(np.isnan(np.array([f.position for f in fixes if not f.valid])))
    assert np.allclose(pos.mean(axis=0), [1, 2, 3], atol=0.1)
    assert np.allclose(pos[:, :2].std(axis=0), 0.5, rtol=0.1)
    assert np.all(pos[:, 2] == 3)
