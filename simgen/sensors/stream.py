"""The per-episode stream of sensor records, and the ground-truth pose track.

Cameras produce :class:`~simgen.frame.Frame` objects for the image exporters; every
other record (each sensor type's ``record``: LiDAR and radar scans, IMU and GNSS samples) and
the ground-truth poses go into a :class:`SensorStream`, each with its own capture and delivery
timestamps (no resampling). :meth:`SensorStream.files` serializes it as NPZ + JSON, laying each
sensor's records out as its :class:`~simgen.sensors.registry.SensorType` says.

Times are simulated seconds since the episode's world was built (the same clock as
``Frame.time``).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simgen.sensors.registry import sensor_type


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
        """Append one record a sensor captured (its type's ``record``, e.g. a LidarScan or a CameraCapture)."""
        self.samples.setdefault(sample.sensor, []).append(sample)

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        """Columnar arrays of sensor ``name``, as its sensor type lays them out (shapes on the record types)."""
        return sensor_type(self.sensors[name]["type"]).arrays(self.samples.get(name, []))

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


__all__ = ["PoseTrack", "SensorStream", "npz_bytes"]
