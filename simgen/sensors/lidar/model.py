"""LiDAR definition: its ``sensors:`` entry, resolved spec, scan record, stream arrays.

Light (pydantic and numpy only): the scenario loader reads it. The ray casting runtime is
:mod:`simgen.sensors.lidar.runtime`; the newest sweep also rides on camera frames as a
:class:`~simgen.frame.PointCloud` (KITTI velodyne, raw points, MCAP ``/<lidar>/points``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from simgen.scenario.distributions import Num
from simgen.scenario.sensor_models import MAX_RAYS, Finite, Problem, RayBackend, SensorBase, ray_backend
from simgen.scenario.sensor_spec import SensorSpec
from simgen.scenario.world_models import Duration, Model
from simgen.sensors.registry import scan_arrays


class Lidar(SensorBase):
    """A ray-casting LiDAR: spinning (360 degrees per sweep) or solid-state (fixed raster)."""

    type: Literal["lidar"]
    rate: float | None = Field(10.0, gt=0, le=1000, description="sweeps per second (rotation rate when spinning)")
    pattern: Literal["spinning", "solid_state"] = "spinning"
    channels: int = Field(16, ge=1, le=512, description="rings (rows)")
    vertical_fov: tuple[Finite, Finite] = Field(
        (-15.0, 15.0), description="lowest and highest elevation in degrees, channels spread evenly"
    )
    elevations: list[Finite] | None = Field(
        None, max_length=512, description="explicit elevation per ring in degrees (overrides channels/vertical_fov)"
    )
    horizontal_resolution: float = Field(0.4, gt=0, le=90, description="degrees between columns")
    horizontal_fov: float = Field(360.0, gt=0, le=360, description="degrees (solid_state: the raster width)")
    min_range: float = Field(0.1, ge=0, allow_inf_nan=False, description="metres; rays start this far out")
    max_range: float = Field(100.0, gt=0, le=10000, allow_inf_nan=False, description="no return beyond this")
    range_noise: float = Field(0.0, ge=0, le=10, description="std of Gaussian range noise, metres")
    dropout: float = Field(0.0, ge=0, lt=1, description="probability that a return is lost")
    motion_distortion: bool = Field(True, description="each ray leaves from the sensor pose at its own time")
    deskew: bool = Field(False, description="express all points in the sensor frame at sweep start")
    num_threads: int = Field(1, ge=0, le=64, description="rayTestBatch threads (0: let Bullet decide)")
    backend: RayBackend = Field(
        "auto", description="ray caster: embree (visual meshes, fast), bullet (rayTestBatch), auto: embree if installed"
    )
    beam_divergence: float = Field(
        0.0, ge=0, le=100, description="full beam angle, milliradians; 0: one ray per beam, else beam_samples rays"
    )
    beam_samples: int = Field(7, ge=2, le=64, description="rays per beam when beam_divergence > 0 (axis + a ring)")
    returns: Literal["strongest", "first", "last", "dual"] = Field(
        "strongest", description="echo(es) reported per beam: strongest, first, last, or dual (strongest and last)"
    )
    echo_separation: float = Field(
        0.5, gt=0, le=100, description="metres: surfaces closer than this along a beam merge into one echo"
    )

    def problems(self) -> list[Problem]:
        """Elevation order, range order and the rays-per-sweep cap."""
        out: list[Problem] = []
        lo, hi = self.vertical_fov
        if lo > hi:
            out.append(("vertical_fov", f"lowest elevation {lo:g} is above highest {hi:g}", None))
        if self.min_range >= self.max_range:
            out.append(("min_range", f"min_range {self.min_range:g} must be below max_range {self.max_range:g}", None))
        rows = len(self.elevations) if self.elevations is not None else self.channels
        cols = int(round(self.horizontal_fov / self.horizontal_resolution))
        if rows * cols > MAX_RAYS:
            out.append((
                "horizontal_resolution",
                f"{rows} x {cols} = {rows * cols} rays per sweep is more than {MAX_RAYS}",
                "use fewer channels or a coarser horizontal_resolution",
            ))  # fmt: skip
        return out


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


def lidar_angles(s: Lidar) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(elevations, azimuths) in degrees: rings lowest first, columns in firing order.

    Spinning columns start at azimuth 0 (the sensor's +x) and turn counter-clockwise about +z,
    ``horizontal_fov / horizontal_resolution`` of them; a solid-state raster spans
    ``[-fov/2, +fov/2]`` from right to left (the same sense of rotation).
    """
    if s.elevations is not None:
        elev = sorted(float(e) for e in s.elevations)
    elif s.channels == 1:
        elev = [0.5 * (s.vertical_fov[0] + s.vertical_fov[1])]
    else:
        elev = np.linspace(s.vertical_fov[0], s.vertical_fov[1], s.channels).tolist()
    cols = max(1, int(round(s.horizontal_fov / s.horizontal_resolution)))
    if s.pattern == "spinning":
        az = (np.arange(cols) * (s.horizontal_fov / cols)).tolist()
    else:
        az = np.linspace(-s.horizontal_fov / 2, s.horizontal_fov / 2, cols).tolist() if cols > 1 else [0.0]
    return tuple(elev), tuple(float(a) for a in az)


def derive(s: Lidar) -> dict[str, object]:
    """Spec fields computed from the model: the ray angles and the resolved ray caster."""
    elev, az = lidar_angles(s)
    return {"elevations_deg": elev, "azimuths_deg": az, "backend": ray_backend(s.backend)}


@dataclass
class LidarScan:
    """One LiDAR sweep; per-point arrays share length N and are ordered by firing time.

    ``xyz`` (N, 3) float32 metres in the sensor frame (x forward, z up) at the point's own
    firing time, or at sweep start when de-skewed; ``range`` (N,) float32 metres; ``intensity``
    (N,) float32 in [0, 1]; ``ring`` (N,) uint16 (0 = lowest elevation); ``column`` (N,) uint32
    firing column; ``time`` (N,) float32 seconds after ``capture_time``; ``instance`` (N,) int32
    (0 = ground/background); ``semantic`` (N,) uint16 category id (0 = background); ``echo`` (N,)
    uint8: 0 for the echo a beam reports, 1 for the second of a dual-return beam (its last echo).
    ``world_from_sensor`` (4, 4) float64 is the pose at ``capture_time`` (sweep start).
    """

    sensor: str
    index: int
    capture_time: float
    delivery_time: float
    world_from_sensor: np.ndarray
    xyz: np.ndarray
    range: np.ndarray
    intensity: np.ndarray
    ring: np.ndarray
    column: np.ndarray
    time: np.ndarray
    instance: np.ndarray
    semantic: np.ndarray
    echo: np.ndarray | None = None  # (N,) uint8: 0 the echo a beam reports, 1 dual's second (last) one
    deskewed: bool = False


def lidar_arrays(scans: list[LidarScan]) -> dict[str, np.ndarray]:
    """Stream NPZ arrays: per-scan index, times and pose, ``point_offsets``, then per-point arrays concatenated."""
    per_point = ("xyz", "range", "intensity", "ring", "column", "time", "instance", "semantic", "echo")
    return scan_arrays(scans, "point_offsets", per_point)


def point_cloud(scan: LidarScan) -> Any:
    """The frame's view of a sweep (:class:`~simgen.frame.PointCloud`: x, y, z, reflectance; instance ids)."""
    from simgen.frame import PointCloud

    points = np.concatenate([scan.xyz, scan.intensity[:, None]], axis=1).astype(np.float32)
    return PointCloud(points, scan.instance.astype(np.int32), scan.world_from_sensor, name=scan.sensor)


class LidarDropout(Model):
    """A LiDAR loses ``fraction`` of its returns during the window (recorded for the sensor to query)."""

    type: Literal["lidar_dropout"]
    sensor: str | None = Field(None, max_length=64)
    duration: Duration = 1.0
    fraction: Num(gt=0, le=1) = 1.0


__all__ = ["LidarDropout", "Lidar", "LidarScan", "LidarSpec", "derive", "lidar_angles", "lidar_arrays", "point_cloud"]
