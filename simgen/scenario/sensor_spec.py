"""The resolved record every ``sensors:`` entry's spec extends (every value fixed), read by ``simgen.sensors``.

Each sensor type's own spec (a :class:`SensorSpec` subclass) lives in its package under
``simgen/sensors/``.

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


__all__ = ["SensorSpec", "camera_sensor_json"]
