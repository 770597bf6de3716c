"""Mount poses and body ids of a sensor in the live world.

The pure rigid-transform and projection math lives in :mod:`simgen.core.transforms`; what is
here reads the world (a mount's pose and velocity, a body's simulator id).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def world_from_mount(world: Any, mount: str | None) -> np.ndarray:
    """(4, 4) pose of a mount now: identity for the world, else the named instance's base pose."""
    if mount is None:
        return np.eye(4)
    return world.mount_pose(mount)


def body_uid(world: Any, instance_name: str) -> int:
    """Pybullet uid of the object instance called ``instance_name`` in ``world``."""
    for o in world.spec.objects:
        if o.name == instance_name:
            return int(world.uid_of[o.instance_id])
    raise KeyError(instance_name)


def mount_velocity(world: Any, mount: str | None) -> tuple[np.ndarray, np.ndarray]:
    """World-frame linear velocity of the mount's base (m/s) and angular velocity (rad/s)."""
    if mount is None:
        return np.zeros(3), np.zeros(3)
    lin, ang = world.body_velocity(body_uid(world, mount))
    return np.asarray(lin, dtype=float), np.asarray(ang, dtype=float)


__all__ = ["body_uid", "mount_velocity", "world_from_mount"]
