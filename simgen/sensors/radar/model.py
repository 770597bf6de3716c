"""Radar definition: its ``sensors:`` entry, resolved spec, scan record, stream arrays and MCAP topic.

Light (pydantic and numpy only): the scenario loader reads it. The detection pipeline is
:mod:`simgen.sensors.radar.runtime`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from simgen.scenario.sensor_models import MAX_RAYS, Problem, RayBackend, SensorBase, ray_backend
from simgen.scenario.sensor_spec import SensorSpec
from simgen.sensors.registry import scan_arrays


class Radar(SensorBase):
    """An automotive-style radar: clustered detections with range, angles, radial velocity and an RCS proxy.

    Raw rays are cast every ``ray_resolution`` degrees over the field of view (centred on the
    sensor's +x); returns are grouped into cells of ``range_resolution`` x
    ``azimuth_resolution`` x ``elevation_resolution`` x ``velocity_resolution``, one detection per cell.
    """

    type: Literal["radar"]
    rate: float | None = Field(20.0, gt=0, le=1000, description="scans per second")
    horizontal_fov: float = Field(60.0, gt=0, le=360, description="degrees, centred on the sensor's +x")
    vertical_fov: float = Field(10.0, gt=0, le=180, description="degrees, centred on the sensor's +x")
    ray_resolution: float = Field(0.5, gt=0, le=30, description="degrees between raw rays (both axes)")
    min_range: float = Field(0.5, ge=0, allow_inf_nan=False, description="metres")
    max_range: float = Field(100.0, gt=0, le=10000, allow_inf_nan=False, description="metres")
    range_resolution: float = Field(0.5, gt=0, le=100, description="metres per detection cell")
    azimuth_resolution: float = Field(2.0, gt=0, le=90, description="degrees per detection cell")
    elevation_resolution: float = Field(5.0, gt=0, le=90, description="degrees per detection cell")
    velocity_resolution: float = Field(0.25, gt=0, le=100, description="m/s per detection cell")
    range_noise: float = Field(0.0, ge=0, le=10, description="std, metres")
    azimuth_noise: float = Field(0.0, ge=0, le=10, description="std, degrees")
    elevation_noise: float = Field(0.0, ge=0, le=10, description="std, degrees")
    velocity_noise: float = Field(0.0, ge=0, le=10, description="std, m/s")
    min_rcs: float = Field(0.0, ge=0, description="detections with a smaller RCS proxy (m^2) are dropped")
    max_detections: int = Field(256, ge=1, le=100_000, description="keep the strongest (largest RCS) this many")
    dropout: float = Field(0.0, ge=0, lt=1, description="probability that a detection is lost")
    backend: RayBackend = Field("auto", description="ray caster: embree, bullet or auto (embree if installed)")

    def problems(self) -> list[Problem]:
        """Range order and the raw-rays-per-scan cap."""
        out: list[Problem] = []
        if self.min_range >= self.max_range:
            out.append(("min_range", f"min_range {self.min_range:g} must be below max_range {self.max_range:g}", None))
        rays = (int(self.horizontal_fov / self.ray_resolution) + 1) * (int(self.vertical_fov / self.ray_resolution) + 1)
        if rays > MAX_RAYS:
            out.append(
                ("ray_resolution", f"{rays} raw rays per scan is more than {MAX_RAYS}", "use a coarser ray_resolution")
            )
        return out


@dataclass(frozen=True)
class RadarSpec(SensorSpec):
    """Raw ray grid, detection cells and noise of a radar (see :class:`Radar`).

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


def _centred(fov: float, step: float) -> tuple[float, ...]:
    """Angles in degrees every ``step`` (or fewer, evenly) across ``[-fov/2, fov/2]``, both ends included."""
    n = int(np.floor(fov / step + 1e-9)) + 1
    return tuple(float(a) for a in np.linspace(-fov / 2, fov / 2, n)) if n > 1 else (0.0,)


def derive(s: Radar) -> dict[str, Any]:
    """Spec fields computed from the model: the raw ray grid and the resolved ray caster."""
    return {
        "azimuths_deg": _centred(s.horizontal_fov, s.ray_resolution),
        "elevations_deg": _centred(s.vertical_fov, s.ray_resolution),
        "backend": ray_backend(s.backend),
    }


@dataclass
class RadarScan:
    """One radar scan's detections (one per occupied resolution cell); per-detection arrays share length M.

    ``xyz`` (M, 3) float32 metres in the sensor frame (x forward, z up) from the noisy range and
    angles; ``range`` (M,) float32 metres; ``azimuth`` (M,) float32 radians (counter-clockwise
    about +z from +x); ``elevation`` (M,) float32 radians (up from the x-y plane); ``velocity``
    (M,) float32 radial velocity m/s, positive when the range grows (target and sensor moving
    apart); ``rcs`` (M,) float32 radar cross-section proxy m^2; ``returns`` (M,) uint32 raw rays
    merged into the detection; ``instance`` (M,) int32 and ``semantic`` (M,) uint16 of the
    dominant (largest RCS) surface, 0 = ground/background. ``world_from_sensor`` (4, 4) float64.
    """

    sensor: str
    index: int
    capture_time: float
    delivery_time: float
    world_from_sensor: np.ndarray
    xyz: np.ndarray
    range: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray
    velocity: np.ndarray
    rcs: np.ndarray
    returns: np.ndarray
    instance: np.ndarray
    semantic: np.ndarray


RADAR_FIELDS = ("xyz", "range", "azimuth", "elevation", "velocity", "rcs", "returns", "instance", "semantic")


def radar_arrays(scans: list[RadarScan]) -> dict[str, np.ndarray]:
    """Stream NPZ arrays: per-scan index, times and pose, ``detection_offsets``, then per-detection arrays."""
    return scan_arrays(scans, "detection_offsets", RADAR_FIELDS)


def radar_mcap(fm: Any, scan: RadarScan) -> list[tuple[str, Any]]:
    """``/<radar>/detections``: x, y, z, velocity, rcs, range (float32), instance and class (int32).

    Sensor frame posed in the world, stamped at the scan's capture time.
    """
    from simgen.core.foxglove import nanoseconds, point_cloud, stamp

    xyz = scan.xyz
    floats = [("x", xyz[:, 0]), ("y", xyz[:, 1]), ("z", xyz[:, 2])]
    floats += [("velocity", scan.velocity), ("rcs", scan.rcs), ("range", scan.range)]
    ints = [("instance", scan.instance), ("class", scan.semantic)]
    ts = stamp(fm, nanoseconds(scan.capture_time))
    return [(f"/{scan.sensor}/detections", point_cloud(fm, ts, scan.world_from_sensor, floats, ints))]


__all__ = ["RADAR_FIELDS", "Radar", "RadarScan", "RadarSpec", "derive", "radar_arrays", "radar_mcap"]
