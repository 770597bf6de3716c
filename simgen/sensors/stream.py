"""Typed records of non-camera sensor output and the per-episode stream that collects them.

Cameras produce :class:`~simgen.frame.Frame` objects for the image exporters; every
other sample (LiDAR and radar scans, IMU and GNSS samples, ground-truth poses) goes into a
:class:`SensorStream`, each with its own capture and delivery timestamps (no resampling).
Raw/MCAP exporters consume the stream; :meth:`SensorStream.files` serializes it as NPZ + JSON.

Times are simulated seconds since the episode's world was built (the same clock as
``Frame.time``).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np


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


@dataclass
class GnssSample:
    """One GNSS fix, world frame (local ENU, metres, m/s); NaN and ``valid=False`` on dropout."""

    sensor: str
    index: int
    capture_time: float
    delivery_time: float
    position: np.ndarray
    velocity: np.ndarray
    position_true: np.ndarray
    velocity_true: np.ndarray
    valid: bool


@dataclass
class CameraCapture:
    """When and from where a camera captured one frame (the frame itself goes to image exporters).

    ``world_from_camera`` (4, 4) float64, OpenCV axes, at ``capture_time``; ``K`` (3, 3) float64.
    """

    sensor: str
    index: int
    capture_time: float
    delivery_time: float
    world_from_camera: np.ndarray
    K: np.ndarray


@dataclass
class PoseTrack:
    """Ground-truth 6-DoF poses at every physics tick.

    ``times`` (T,) float64 seconds; ``names`` M object instance and sensor names;
    ``poses`` (T, M, 7) float64 ``[x, y, z, qx, qy, qz, qw]`` world_from_body / world_from_sensor
    (cameras in OpenCV axes).
    """

    names: list[str]
    times: list[float] = field(default_factory=list)
    poses: list[np.ndarray] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        """Columnar arrays for NPZ."""
        m = len(self.names)
        return {
            "times": np.asarray(self.times, dtype=np.float64),
            "names": np.asarray(self.names, dtype=str),
            "poses": np.asarray(self.poses, dtype=np.float64).reshape(len(self.times), m, 7),
        }


def _stack(samples: list[Any], keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    out = {
        "index": np.asarray([s.index for s in samples], dtype=np.int64),
        "capture_time": np.asarray([s.capture_time for s in samples], dtype=np.float64),
        "delivery_time": np.asarray([s.delivery_time for s in samples], dtype=np.float64),
    }
    for k in keys:
        out[k] = np.asarray([getattr(s, k) for s in samples])
    return out


def _lidar_arrays(scans: list[LidarScan]) -> dict[str, np.ndarray]:
    per_point = ("xyz", "range", "intensity", "ring", "column", "time", "instance", "semantic", "echo")
    out: dict[str, np.ndarray] = {
        "scan_index": np.asarray([s.index for s in scans], dtype=np.int64),
        "capture_time": np.asarray([s.capture_time for s in scans], dtype=np.float64),
        "delivery_time": np.asarray([s.delivery_time for s in scans], dtype=np.float64),
        "world_from_sensor": np.asarray([s.world_from_sensor for s in scans], dtype=np.float64).reshape(-1, 4, 4),
        "point_offsets": np.cumsum([0] + [len(s.range) for s in scans]).astype(np.int64),
    }
    for k in per_point:
        parts = [
            getattr(s, k) if k != "echo" or s.echo is not None else np.zeros(len(s.range), np.uint8) for s in scans
        ]
        out[k] = np.concatenate(parts) if parts else np.zeros(0)
    return out


RADAR_FIELDS = ("xyz", "range", "azimuth", "elevation", "velocity", "rcs", "returns", "instance", "semantic")


def _radar_arrays(scans: list[RadarScan]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {
        "scan_index": np.asarray([s.index for s in scans], dtype=np.int64),
        "capture_time": np.asarray([s.capture_time for s in scans], dtype=np.float64),
        "delivery_time": np.asarray([s.delivery_time for s in scans], dtype=np.float64),
        "world_from_sensor": np.asarray([s.world_from_sensor for s in scans], dtype=np.float64).reshape(-1, 4, 4),
        "detection_offsets": np.cumsum([0] + [len(s.range) for s in scans]).astype(np.int64),
    }
    for k in RADAR_FIELDS:
        parts = [getattr(s, k) for s in scans]
        out[k] = np.concatenate(parts) if parts else np.zeros(0)
    return out


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """Uncompressed NPZ of ``arrays`` in key order; same arrays give the same bytes."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds like allow_pickle
    return buf.getvalue()


@dataclass
class SensorStream:
    """Everything non-camera one episode produced, by sensor name, in capture order."""

    episode: int
    sensors: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: dict[str, list[Any]] = field(default_factory=dict)
    poses: PoseTrack | None = None

    def add(self, sample: Any) -> None:
        """Append one sample: a LidarScan, RadarScan, ImuSample, GnssSample or CameraCapture."""
        self.samples.setdefault(sample.sensor, []).append(sample)

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        """Columnar arrays of sensor ``name`` (shapes documented on the sample types)."""
        kind = self.sensors[name]["type"]
        samples = self.samples.get(name, [])
        if kind == "lidar":
            return _lidar_arrays(samples)
        if kind == "radar":
            return _radar_arrays(samples)
        if kind == "imu":
            return _stack(samples, ("accel", "gyro", "accel_true", "gyro_true"))
        if kind == "camera":
            return _stack(samples, ("world_from_camera", "K"))
        return _stack(samples, ("position", "velocity", "position_true", "velocity_true", "valid"))

    def files(self) -> dict[str, bytes]:
        """``{relative file name: bytes}``: one NPZ per sensor, ``poses.npz``, and ``stream.json``."""
        out: dict[str, bytes] = {}
        index: dict[str, Any] = {"episode": self.episode, "time_unit": "s", "sensors": []}
        for name, spec in self.sensors.items():
            fname = f"{spec['type']}_{name}.npz"
            out[fname] = npz_bytes(self.arrays(name))
            index["sensors"].append({"name": name, "file": fname, "count": len(self.samples.get(name, [])), **spec})
        if self.poses is not None:
            out["poses.npz"] = npz_bytes(self.poses.arrays())
            index["poses"] = {"file": "poses.npz", "names": self.poses.names, "ticks": len(self.poses.times)}
        out["stream.json"] = (json.dumps(index, sort_keys=True, allow_nan=False) + "\n").encode()
        return out


__all__ = [
    "RADAR_FIELDS",
    "CameraCapture",
    "GnssSample",
    "ImuSample",
    "LidarScan",
    "PoseTrack",
    "RadarScan",
    "SensorStream",
    "npz_bytes",
]
