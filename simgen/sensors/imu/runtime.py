"""IMU plugin: specific force and angular rate of a point on a body, with Kalibr-style noise.

Specific force is the average acceleration of the IMU point over the last sample interval
(finite difference of its world velocity at the IMU's own rate, like the delta-velocity a real
IMU integrates) minus gravity, rotated into the IMU frame: at rest it reads +g on the up axis,
in free fall ~0. Angular rate is the body's angular velocity (pybullet base velocity) in the
IMU frame. Noise: ``(1 + scale) * true + bias + white``, bias doing a random walk, then
saturation at ``accel_range`` / ``gyro_range``. During an ``imu_bias_jump`` fault window
(scenario events) the readings carry the jump's ``accel`` / ``gyro`` offsets (IMU frame) on
top of the bias, before saturation; the ``*_true`` values stay clean.
"""

from __future__ import annotations

import numpy as np

from simgen.core.transforms import pose_matrix
from simgen.sensors.geometry import body_uid
from simgen.sensors.imu.model import ImuSample, ImuSpec
from simgen.sensors.registry import Sensor, WorldView


def point_state(
    world: WorldView, mount: str | None, mount_from_sensor: np.ndarray, uid: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World frame: world_from_sensor (4, 4), sensor point velocity (3,) m/s, angular velocity (3,) rad/s.

    The point moves with its rigid body: ``v_point = v_base + w x r``; ``uid`` skips the name lookup.
    """
    if mount is None:
        return mount_from_sensor, np.zeros(3), np.zeros(3)
    uid = body_uid(world, mount) if uid is None else uid
    pos, orn = world.body_pose(uid)
    lin, ang = world.body_velocity(uid)
    wm = pose_matrix(pos, orn)
    ws = wm @ mount_from_sensor
    r = ws[:3, 3] - wm[:3, 3]
    w = np.array(ang)
    cross = np.array([w[1] * r[2] - w[2] * r[1], w[2] * r[0] - w[0] * r[2], w[0] * r[1] - w[1] * r[0]])
    return ws, np.array(lin) + cross, w


NOISE_BLOCK = 1024  # samples of noise drawn per generator call (white + walk, accel + gyro)


class Imu(Sensor[ImuSpec, ImuSample]):
    """Accelerometer + gyroscope at the IMU's own rate."""

    def __init__(self, spec: ImuSpec, world: WorldView, rng: np.random.Generator) -> None:
        super().__init__(spec, world, rng)
        self.gravity = np.asarray(world.spec.world.gravity, dtype=float)
        self.prev: tuple[float, np.ndarray] | None = None
        self.accel_bias = np.asarray(spec.accel_bias, dtype=float)
        self.gyro_bias = np.asarray(spec.gyro_bias, dtype=float)
        self.uid = body_uid(world, spec.mount) if spec.mount is not None else None
        self.accel_scale = np.asarray(spec.accel_scale, dtype=float)
        self.gyro_scale = np.asarray(spec.gyro_scale, dtype=float)
        self._block = np.zeros((0, 12))
        self._row = 0

    def prime(self) -> None:
        """Remember the IMU point's velocity one tick before the first sample."""
        _, v, _ = point_state(self.world, self.spec.mount, self.spec.mount_from_sensor, self.uid)
        self.prev = (self.world.time, v)

    def capture(self, tick: int) -> ImuSample:
        """One reading at the current tick."""
        s = self.spec
        t = self.world.time
        ws, v, w = point_state(self.world, s.mount, s.mount_from_sensor, self.uid)
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
        z = self._normals()
        accel = self._corrupt(
            accel_true, dt, self.accel_scale, self.accel_bias, s.accel_noise_density, s.accel_random_walk, z[:6]
        )
        gyro = self._corrupt(
            gyro_true, dt, self.gyro_scale, self.gyro_bias, s.gyro_noise_density, s.gyro_random_walk, z[6:]
        )
        for fault in self.world.active_faults(s.name, "imu_bias_jump"):
            accel = accel + np.asarray(fault.params.get("accel", (0.0, 0.0, 0.0)), dtype=float)
            gyro = gyro + np.asarray(fault.params.get("gyro", (0.0, 0.0, 0.0)), dtype=float)
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

    def _normals(self) -> np.ndarray:
        """12 standard normal draws for one sample, taken from blocks drawn ahead (one rng call per block)."""
        if self._row >= len(self._block):
            self._block = self.rng.standard_normal((NOISE_BLOCK, 12))
            self._row = 0
        self._row += 1
        return self._block[self._row - 1]

    @staticmethod
    def _corrupt(
        true: np.ndarray, dt: float, scale: np.ndarray, bias: np.ndarray, density: float, walk: float, z: np.ndarray
    ) -> np.ndarray:
        """Scale factor, current bias and white noise (std = density / sqrt(dt)); then the bias walks in place."""
        out = (1.0 + scale) * true + bias
        if density > 0:
            out += z[:3] * (density / np.sqrt(dt))
        if walk > 0:
            bias += z[3:] * (walk * np.sqrt(dt))
        return out


__all__ = ["Imu", "point_state"]
