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


def jsonable(value: Any) -> Any:
    """``value`` with arrays and tuples as lists (JSON-safe)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
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
        return {f.name: jsonable(getattr(self, f.name)) for f in fields(self)}


__all__ = ["SensorSpec", "jsonable"]
