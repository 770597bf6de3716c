"""Rotations, quaternions, rigid poses and camera projection: one definition each (numpy only).

Conventions, shared by every stage: poses are (4, 4) float64 ``a_from_b`` matrices;
quaternions are (x, y, z, w) as pybullet gives them; roll/pitch/yaw are extrinsic X-Y-Z in
degrees; cameras use OpenCV axes (x right, y down, z forward) and one of the lens models of
:mod:`simgen.core.lens`, where :func:`project` matches ``cv2.projectPoints`` (``opencv``) or
``cv2.fisheye.projectPoints`` (``fisheye``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from simgen.core.lens import distort_points

# Optical (OpenCV) camera axes expressed in a camera body frame (x forward, y left, z up).
BODY_FROM_OPTICAL = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def matrix_from_quaternion(q: Any, *, normalize: bool = False) -> np.ndarray:
    """(3, 3) rotation of a quaternion (x, y, z, w).

    ``normalize`` divides by the norm first: for quaternions of any origin (frames read back,
    user data). Simulator quaternions are unit already and skip it.
    """
    if normalize:
        q = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    x, y, z, w = (float(v) for v in q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def quaternion_from_matrix(m: Any) -> tuple[float, float, float, float]:
    """Unit quaternion (x, y, z, w) with w >= 0 of a (3, 3) rotation matrix (Shepperd's method)."""
    m = np.asarray(m, dtype=np.float64)
    t = np.trace(m)
    if t > 0:
        s = math.sqrt(t + 1.0) * 2
        q = ((m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s)
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = (0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s, (m[2, 1] - m[1, 2]) / s)
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = ((m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s, (m[0, 2] - m[2, 0]) / s)
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = ((m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s, (m[1, 0] - m[0, 1]) / s)
    qa = np.asarray(q, dtype=np.float64)
    qa /= np.linalg.norm(qa)
    if qa[3] < 0:
        qa = -qa
    return (float(qa[0]), float(qa[1]), float(qa[2]), float(qa[3]))


def rotation_from_rpy(rpy_deg: tuple[float, float, float]) -> np.ndarray:
    """(3, 3) rotation of extrinsic X-Y-Z roll/pitch/yaw in degrees (R = Rz @ Ry @ Rx)."""
    r, p, y = (math.radians(a) for a in rpy_deg)
    cr, sr, cp, sp, cy, sy = math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y), math.sin(y)
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx


def look_at_rotation(position: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray | None:
    """world_from_camera rotation (OpenCV axes) looking from position at target; None if degenerate."""
    z = target - position
    n = np.linalg.norm(z)
    if n < 1e-9:
        return None
    z = z / n
    x = np.cross(z, up)
    nx = np.linalg.norm(x)
    if nx < 1e-9:
        return None
    x = x / nx
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


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


def pose_matrix(position: Any, quaternion: Any, *, normalize: bool = False) -> np.ndarray:
    """(4, 4) ``world_from_body`` from a position (metres) and a quaternion (x, y, z, w).

    ``normalize`` as in :func:`matrix_from_quaternion`.
    """
    t = np.eye(4)
    t[:3, :3] = matrix_from_quaternion(quaternion, normalize=normalize)
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
    points = np.asarray(points)
    r = t[:3, :3]
    out = np.empty((len(points), 3), dtype=np.float64)
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    for i in range(3):
        out[:, i] = x * r[i, 0] + y * r[i, 1] + z * r[i, 2]
        if t.shape[0] == 4:
            out[:, i] += t[i, 3]
    return out


def project(
    K: np.ndarray, points_cam: np.ndarray, dist: tuple[float, ...] | None = None, model: str = "opencv"
) -> np.ndarray:
    """(N, 2) pixel coordinates (pixel centres at integers) of (N, 3) camera-frame points.

    ``dist`` and ``model`` name the camera's lens (:mod:`simgen.core.lens`); None is an ideal
    pinhole. Points at or behind the camera (z <= 0), or beyond a fisheye's valid angle, give NaN.
    """
    K, points_cam = np.asarray(K), np.asarray(points_cam)
    z = points_cam[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / z
    inv[~(z > 0)] = np.nan
    xy = distort_points(points_cam[:, :2] * inv[:, None], model, dist)
    out = np.empty_like(xy)
    out[:, 0] = K[0, 0] * xy[:, 0] + K[0, 1] * xy[:, 1] + K[0, 2]
    out[:, 1] = K[1, 1] * xy[:, 1] + K[1, 2]
    return out


__all__ = [
    "BODY_FROM_OPTICAL",
    "invert",
    "look_at_rotation",
    "matrix_from_quaternion",
    "pose_matrix",
    "pose_to_vector",
    "project",
    "quaternion_from_matrix",
    "rotation_exp",
    "rotation_from_rpy",
    "transform_points",
]
