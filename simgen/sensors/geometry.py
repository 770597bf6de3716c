"""Rigid transforms, lens distortion and mount poses shared by every sensor (numpy only).

Conventions: poses are (4, 4) float64 ``a_from_b`` matrices; quaternions are (x, y, z, w) as
pybullet gives them; cameras use OpenCV axes and one of OpenCV's lens models: ``opencv``
(k1, k2, p1, p2, k3), where :func:`project` matches ``cv2.projectPoints``, or ``fisheye``
(Kannala-Brandt k1..k4), where it matches ``cv2.fisheye.projectPoints``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.scenario.lens import distort_points
from simgen.scenario.sampling import quaternion_from_matrix


def quat_to_matrix(q: Any) -> np.ndarray:
    """(3, 3) rotation of a unit quaternion (x, y, z, w)."""
    x, y, z, w = (float(v) for v in q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def pose_matrix(position: Any, quaternion: Any) -> np.ndarray:
    """(4, 4) world_from_body from a position (metres) and a quaternion (x, y, z, w)."""
    t = np.eye(4)
    t[:3, :3] = quat_to_matrix(quaternion)
    t[:3, 3] = position
    return t


def pose_to_vector(t: np.ndarray) -> np.ndarray:
    """(7,) float64 ``[x, y, z, qx, qy, qz, qw]`` of a (4, 4) pose."""
    return np.array([*t[:3, 3], *quaternion_from_matrix(t[:3, :3])])


def invert(t: np.ndarray) -> np.ndarray:
    """Inverse of a rigid (4, 4) transform (or a stack (..., 4, 4))."""
    out = np.zeros_like(t)
    r = np.swapaxes(t[..., :3, :3], -1, -2)
    out[..., :3, :3] = r
    out[..., :3, 3] = -np.einsum("...ij,...j->...i", r, t[..., :3, 3])
    out[..., 3, 3] = 1.0
    return out


def transform_points(points: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(N, 3) float64 points mapped by a (4, 4) rigid transform (or rotated by a (3, 3) matrix).

    Written as three fused multiply-adds per axis instead of ``points @ R.T``: an (N, 3) x (3, 3)
    product gains nothing from BLAS, whose worker threads only contend for the cores.
    """
    r = t[:3, :3]
    out = np.empty((len(points), 3), dtype=np.float64)
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    for i in range(3):
        out[:, i] = x * r[i, 0] + y * r[i, 1] + z * r[i, 2]
        if t.shape[0] == 4:
            out[:, i] += t[i, 3]
    return out


def rotation_exp(rotvec: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations exp([w]x) of (N, 3) rotation vectors (Rodrigues), radians."""
    rotvec = np.atleast_2d(rotvec)
    theta = np.linalg.norm(rotvec, axis=1)
    safe = np.where(theta > 1e-12, theta, 1.0)
    k = rotvec / safe[:, None]
    kx = np.zeros((len(k), 3, 3))
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kx[:, 1, 0], kx[:, 2, 0], kx[:, 2, 1] = k[:, 2], -k[:, 1], k[:, 0]
    s, c = np.sin(theta)[:, None, None], np.cos(theta)[:, None, None]
    out = np.eye(3)[None] + s * kx + (1 - c) * (kx @ kx)
    out[theta <= 1e-12] = np.eye(3)
    return out


def distort(xy: np.ndarray, dist: tuple[float, ...] | None, model: str = "opencv") -> np.ndarray:
    """Apply a lens to (N, 2) normalized image coordinates (see :mod:`simgen.scenario.lens`).

    ``model`` ``opencv``: ``dist`` = (k1, k2, p1, p2, k3); ``fisheye``: (k1, k2, k3, k4), and
    points beyond the lens's valid angle give NaN.
    """
    return distort_points(xy, model, dist)


def project(k: np.ndarray, dist: tuple[float, ...] | None, points_cam: np.ndarray, model: str = "opencv") -> np.ndarray:
    """(N, 2) pixel coordinates of (N, 3) camera-frame points (OpenCV axes), lens ``model`` applied.

    Points at or behind the camera (z <= 0) give NaN, and so do points outside a fisheye's valid range.
    """
    z = points_cam[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / z
    inv[~(z > 0)] = np.nan
    xy = points_cam[:, :2] * inv[:, None]
    xy = distort(xy, dist, model)
    out = np.empty_like(xy)
    out[:, 0] = k[0, 0] * xy[:, 0] + k[0, 1] * xy[:, 1] + k[0, 2]
    out[:, 1] = k[1, 1] * xy[:, 1] + k[1, 2]
    return out


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
    lin, ang = world.client.p.getBaseVelocity(body_uid(world, mount), physicsClientId=world.client.id)
    return np.asarray(lin, dtype=float), np.asarray(ang, dtype=float)


__all__ = [
    "body_uid",
    "distort",
    "invert",
    "mount_velocity",
    "pose_matrix",
    "pose_to_vector",
    "project",
    "quat_to_matrix",
    "rotation_exp",
    "transform_points",
    "world_from_mount",
]
