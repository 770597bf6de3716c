"""Resolved sensor records of one episode (every value fixed), read by ``simgen.sensors``.

Frames: a sensor frame is x forward, y left, z up (ROS REP 103); cameras use OpenCV axes
(x right, y down, z forward). ``mount_from_sensor`` is (4, 4) float64 in the frame of the mount
(the world when ``mount`` is None, else the base frame of the object instance named ``mount``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class SensorSpec:
    """Timing and mount shared by every non-camera sensor.

    ``rate`` Hz; ``phase`` seconds after the first frame; ``latency`` seconds from capture to
    delivery.
    """

    name: str
    type: str
    rate: float
    phase: float
    latency: float
    mount: str | None
    mount_from_sensor: np.ndarray = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe record (all fields) for manifests and stream indexes."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class LidarSpec(SensorSpec):
    """Ray pattern and corruption of a LiDAR.

    ``elevations_deg`` (rings, lowest first) and ``azimuths_deg`` (columns in firing order) define
    the rays; a spinning sweep fires column j at time j / columns / rate after capture.
    ``backend`` names the ray caster (``simgen.sensors.raycast``), resolved from ``auto``.
    """

    pattern: str = "spinning"
    elevations_deg: tuple[float, ...] = ()
    azimuths_deg: tuple[float, ...] = ()
    min_range: float = 0.1
    max_range: float = 100.0
    range_noise: float = 0.0
    dropout: float = 0.0
    motion_distortion: bool = True
    deskew: bool = False
    num_threads: int = 1
    backend: str = "bullet"  # the ray caster actually used: "embree" or "bullet" (auto resolved at sampling)
    beam_divergence: float = 0.0  # full angle, milliradians (0: one ray per beam)
    beam_samples: int = 7
    returns: str = "strongest"
    echo_separation: float = 0.5


@dataclass(frozen=True)
class ImuSpec(SensorSpec):
    """IMU noise in Kalibr's continuous-time units (see ``simgen.scenario.sensor_models.Imu``)."""

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


@dataclass(frozen=True)
class GnssSpec(SensorSpec):
    """GNSS noise (metres, m/s) and fix dropout probability."""

    horizontal_noise: float = 0.0
    vertical_noise: float = 0.0
    velocity_noise: float = 0.0
    dropout: float = 0.0


@dataclass(frozen=True)
class RadarSpec(SensorSpec):
    """Raw ray grid, detection cells and noise of a radar (see ``simgen.scenario.sensor_models.Radar``).

    ``azimuths_deg``/``elevations_deg`` are the raw ray angles (sensor frame, centred on +x);
    resolutions define the detection cells; noise stds are metres, degrees and m/s.
    """

    azimuths_deg: tuple[float, ...] = ()
    elevations_deg: tuple[float, ...] = ()
    ray_resolution: float = 0.5
    min_range: float = 0.5
    max_range: float = 100.0
    range_resolution: float = 0.5
    azimuth_resolution: float = 2.0
    elevation_resolution: float = 5.0
    velocity_resolution: float = 0.25
    range_noise: float = 0.0
    azimuth_noise: float = 0.0
    elevation_noise: float = 0.0
    velocity_noise: float = 0.0
    min_rcs: float = 0.0
    max_detections: int = 256
    dropout: float = 0.0
    backend: str = "bullet"


def camera_sensor_json(cam: Any) -> dict[str, Any]:
    """The sensor fields of a CameraSpec that differ from a plain fixed camera (for manifests)."""
    out: dict[str, Any] = {}
    if tuple(cam.outputs) != ("rgb", "depth", "instance", "semantic"):
        out["outputs"] = list(cam.outputs)
    if cam.distortion is not None:
        if cam.distortion_model == "fisheye":
            out["distortion"] = {"model": "fisheye", "k1_k2_k3_k4": list(cam.distortion)}
        else:
            out["distortion"] = {"model": "opencv", "k1_k2_p1_p2_k3": list(cam.distortion)}
    if cam.rate is not None:
        out["rate"] = cam.rate
    if cam.phase:
        out["phase"] = cam.phase
    if cam.latency:
        out["latency"] = cam.latency
    if cam.mount is not None:
        out["mount"] = cam.mount
        out["mount_from_camera"] = _jsonable(cam.mount_from_camera)
    return out


__all__ = ["GnssSpec", "ImuSpec", "LidarSpec", "RadarSpec", "SensorSpec", "camera_sensor_json"]
