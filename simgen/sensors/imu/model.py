"""IMU definition: its ``sensors:`` entry, resolved spec and sample record (light: the loader reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from simgen.scenario.sensor_models import SensorBase, Vec3
from simgen.scenario.sensor_spec import SensorSpec
from simgen.scenario.world_models import Any3, Duration, Model


class Imu(SensorBase):
    """An IMU: specific force (m/s^2, gravity included) and angular rate (rad/s) in its own frame.

    Noise follows Kalibr's continuous-time parameters: white noise densities and bias random
    walks; discrete std per sample = density * sqrt(rate), bias step std = walk / sqrt(rate).
    """

    type: Literal["imu"]
    rate: float | None = Field(200.0, gt=0, le=10000)
    accel_noise_density: float = Field(0.0, ge=0, description="m/s^2/sqrt(Hz)")
    gyro_noise_density: float = Field(0.0, ge=0, description="rad/s/sqrt(Hz)")
    accel_random_walk: float = Field(0.0, ge=0, description="m/s^3/sqrt(Hz)")
    gyro_random_walk: float = Field(0.0, ge=0, description="rad/s^2/sqrt(Hz)")
    accel_bias: Vec3 = Field((0.0, 0.0, 0.0), description="initial bias, m/s^2")
    gyro_bias: Vec3 = Field((0.0, 0.0, 0.0), description="initial bias, rad/s")
    accel_scale: Vec3 = Field((0.0, 0.0, 0.0), description="scale factor error per axis (0.01 = +1 %)")
    gyro_scale: Vec3 = Field((0.0, 0.0, 0.0), description="scale factor error per axis")
    accel_range: float | None = Field(None, gt=0, description="saturation, m/s^2 per axis")
    gyro_range: float | None = Field(None, gt=0, description="saturation, rad/s per axis")


@dataclass(frozen=True)
class ImuSpec(SensorSpec):
    """IMU noise in Kalibr's continuous-time units (see :class:`Imu`)."""

    accel_noise_density: float = 0.0
    gyro_noise_density: float = 0.0
    accel_random_walk: float = 0.0
    gyro_random_walk: float = 0.0
    accel_bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gyro_bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    accel_scale: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gyro_scale: tuple[float, float, float] = (0.0, 0.0, 0.0)
    accel_range: float | None = None
    gyro_range: float | None = None


@dataclass
class ImuSample:
    """One IMU reading in the IMU frame.

    ``accel`` specific force m/s^2 (gravity included), ``gyro`` angular rate rad/s, both (3,)
    float64 with noise; ``*_true`` without noise.
    """

    sensor: str
    index: int
    capture_time: float
    delivery_time: float
    accel: np.ndarray
    gyro: np.ndarray
    accel_true: np.ndarray
    gyro_true: np.ndarray


class ImuBiasJump(Model):
    """An IMU's biases jump by ``accel`` (m/s^2) and ``gyro`` (rad/s) during the window."""

    type: Literal["imu_bias_jump"]
    sensor: str | None = Field(None, max_length=64)
    duration: Duration = 1.0
    accel: Any3 = (0.0, 0.0, 0.0)
    gyro: Any3 = (0.0, 0.0, 0.0)


__all__ = ["ImuBiasJump", "Imu", "ImuSample", "ImuSpec"]
