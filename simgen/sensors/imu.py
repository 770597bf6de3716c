"""IMU plugin: specific force and angular rate of a point on a body, with Kalibr-style noise.

Specific force is the average acceleration of the IMU point over the last sample interval
(finite difference of its world velocity at the IMU's own rate, like the delta-velocity a real
IMU integrates) minus gravity, rotated into the IMU frame: at rest it reads +g on the up axis,
in free fall ~0. Angular rate is the body's angular velocity (pybullet base velocity) in the
IMU frame. Noise: ``(1 + scale) * true + bias + white``, bias doing a random walk, then
saturation at ``accel_range`` / ``gyro_range``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.sensors.geometry import mount_velocity, world_from_mount
from simgen.sensors.registry import Sensor, register_sensor
from simgen.sensors.stream import ImuSample


def point_state(
    world: Any, mount: str | None, mount_from_sensor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(world_from_sensor (4, 4), sensor point velocity (3,) m/s, body angular velocity (3,) rad/s), world frame."""
    wm = world_from_mount(world, mount)
    ws = wm @ mount_from_sensor
    v, w = mount_velocity(world, mount)
    r = ws[:3, 3] - wm[:3, 3]
    return ws, v + np.cross(w, r), w


@register_sensor
class Imu(Sensor):
    """Accelerometer + gyroscope at the IMU's own rate."""

    kind = "imu"
    summary = "specific force (m/s^2) and angular rate (rad/s), Kalibr noise, bias, scale, saturation"

    def __init__(self, spec: Any, world: Any, rng: np.random.Generator) -> None:
        super().__init__(spec, world, rng)
        self.gravity = np.asarray(world.spec.world.gravity, dtype=float)
        self.prev: tuple[float, np.ndarray] | None = None
        self.accel_bias = np.asarray(spec.accel_bias, dtype=float)
        self.gyro_bias = np.asarray(spec.gyro_bias, dtype=float)

    def prime(self) -> None:
        """Remember the IMU point's velocity one tick before the first sample."""
        _, v, _ = point_state(self.world, self.spec.mount, self.spec.mount_from_sensor)
        self.prev = (self.world.time, v)

    def capture(self, tick: int) -> ImuSample:
        """One reading at the current tick."""
        s = self.spec
        t = self.world.time
        ws, v, w = point_state(self.world, s.mount, s.mount_from_sensor)
        if self.prev is not None and t > self.prev[0]:
            accel_world = (v - self.prev[1]) / (t - self.prev[0])
            dt = t - self.prev[0]
        else:
            accel_world = np.zeros(3)
            dt = 1.0 / s.rate
        self.prev = (t, v)
        rot_t = ws[:3, :3].T
        accel_true = rot_t @ (accel_world - self.gravity)
        gyro_true = rot_t @ w
        accel = self._corrupt(accel_true, dt, s.accel_scale, "accel", s.accel_noise_density, s.accel_random_walk)
        gyro = self._corrupt(gyro_true, dt, s.gyro_scale, "gyro", s.gyro_noise_density, s.gyro_random_walk)
        if s.accel_range is not None:
            accel = np.clip(accel, -s.accel_range, s.accel_range)
        if s.gyro_range is not None:
            gyro = np.clip(gyro, -s.gyro_range, s.gyro_range)
        sample = ImuSample(
            sensor=s.name,
            index=self.count,
            capture_time=t,
            delivery_time=t + s.latency,
            accel=accel,
            gyro=gyro,
            accel_true=accel_true,
            gyro_true=gyro_true,
        )
        self.count += 1
        return sample

    def _corrupt(
        self, true: np.ndarray, dt: float, scale: tuple[float, ...], which: str, density: float, walk: float
    ) -> np.ndarray:
        """Scale factor, current bias and white noise (std = density / sqrt(dt)); then the bias walks."""
        bias = self.accel_bias if which == "accel" else self.gyro_bias
        out = (1.0 + np.asarray(scale)) * true + bias
        if density > 0:
            out = out + self.rng.normal(0.0, density / np.sqrt(dt), 3)
        if walk > 0:
            bias += self.rng.normal(0.0, walk * np.sqrt(dt), 3)
        return out


__all__ = ["Imu", "point_state"]
