"""Which object types walk or drive, and the sampling side of the ground-contact rule.

An actor that walks or drives (a humanoid; an asset whose moving parts are wheels or legs:
vehicles, bicycles, quadrupeds) rests on the support below it whatever its behaviour; its z in
a scenario (``position``, waypoints, a placement region) is the height of its feet or wheels
above that support, 0 by default. Every other object's ``position`` is its centre, and a
placement region's z is its bottom unless ``anchor: centre`` says otherwise.
"""

from __future__ import annotations

from typing import Any

from simgen.errors import ScenarioError

SINK_TOLERANCE = 0.01  # metres under the support a request may reach before it is refused


def is_grounded(obj_type: str) -> bool:
    """True for the object types that walk or drive: humanoids, wheeled and legged assets."""
    if obj_type == "humanoid":
        return True
    from simgen.assets.registry import ASSETS

    spec = ASSETS.get(obj_type)
    return spec is not None and spec.motion in ("wheels", "quadruped")


def check_clearance(
    name: str, z: float, grounded: bool, half_z: float, path: str, file: str | None, flat_ground: bool
) -> None:
    """Refuse a z that puts a body's bottom more than 1 cm under its support.

    For a grounded actor ``z`` is its feet height above the support; for any other body it is
    its centre, checked only over a flat ground (z = 0), where the support is known here.
    """
    bottom = z if grounded else z - half_z
    if not grounded and not flat_ground:
        return
    if bottom < -SINK_TOLERANCE:
        what = "feet or wheels" if grounded else "bottom"
        hint = (
            "the z of an actor that walks or drives is its height above the support under it: use 0"
            if grounded
            else f"raise z to at least {half_z:g} (the object's half height) to rest on the ground"
        )
        raise ScenarioError(
            f"'{name}' would start with its {what} {-bottom:.3g} m under the ground", file=file, path=path, hint=hint
        )


def waypoint_paths(behavior: dict[str, Any] | None) -> list[tuple[int, float]]:
    """(index, z) of each waypoint of a ``waypoints`` behaviour (empty for other behaviours)."""
    if behavior is None or behavior.get("type") != "waypoints":
        return []
    return [(k, float(pt[2])) for k, pt in enumerate(behavior["points"])]
