"""Foxglove message helpers shared by the MCAP exporter and the sensors' MCAP encodings.

Every function takes ``fm``, the ``foxglove.messages`` module, so importing this one loads no
Foxglove library: only a caller that writes MCAP has it installed (``simgen[mcap]``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.core.transforms import quaternion_from_matrix


def stamp(fm: Any, t_ns: int) -> Any:
    """A Foxglove Timestamp of ``t_ns`` nanoseconds."""
    return fm.Timestamp(sec=t_ns // 1_000_000_000, nsec=t_ns % 1_000_000_000)


def nanoseconds(seconds: float) -> int:
    """Simulated seconds as the integer nanoseconds MCAP log times use."""
    return int(round(seconds * 1e9))


def vector(fm: Any, t: Any) -> Any:
    """A Vector3 of the first three values of ``t``."""
    return fm.Vector3(x=float(t[0]), y=float(t[1]), z=float(t[2]))


def quaternion(fm: Any, r: Any) -> Any:
    """The Quaternion of a (3, 3) rotation matrix."""
    x, y, z, w = quaternion_from_matrix(np.asarray(r))
    return fm.Quaternion(x=float(x), y=float(y), z=float(z), w=float(w))


def pose(fm: Any, t: Any, r: Any) -> Any:
    """A Pose at translation ``t`` with rotation matrix ``r``."""
    return fm.Pose(position=vector(fm, t), orientation=quaternion(fm, r))


def point_cloud(fm: Any, ts: Any, world_from_sensor: Any, floats: list[Any], ints: list[Any]) -> Any:
    """A PointCloud in the world frame: named float32 columns, then int32 columns, packed per point."""
    columns = [(name, values, "<f4") for name, values in floats] + [(name, values, "<i4") for name, values in ints]
    packed = np.zeros(len(columns[0][1]), dtype=[(name, kind) for name, _, kind in columns])
    for name, values, _ in columns:
        packed[name] = values
    F = fm.PackedElementFieldNumericType
    fields = [
        fm.PackedElementField(name=name, offset=4 * j, type=F.Float32 if kind == "<f4" else F.Int32)
        for j, (name, _, kind) in enumerate(columns)
    ]
    return fm.PointCloud(
        timestamp=ts,
        frame_id="world",
        pose=pose(fm, world_from_sensor[:3, 3], world_from_sensor[:3, :3]),
        point_stride=4 * len(columns),
        fields=fields,
        data=packed.tobytes(),
    )


__all__ = ["nanoseconds", "point_cloud", "pose", "quaternion", "stamp", "vector"]
