"""Extra camera outputs from ground truth: point maps, normals, optical flow, object coordinates.

They come from depth, instance ids and known poses. Lens distortion of images and label maps
alike (``lens_map``, ``remap``) is lens math and lives in :mod:`simgen.core.lens`.

All functions are vectorised over the image (no per-pixel Python loops). Camera frame = OpenCV
axes (x right, y down, z forward), metres.
"""

from __future__ import annotations

import numpy as np

from simgen.core.lens import pixel_grid
from simgen.core.transforms import invert, pose_matrix, project, transform_points
from simgen.sensors.camera.model import CameraSpec


def point_map(depth: np.ndarray, k: np.ndarray) -> np.ndarray:
    """(H, W, 3) float64 camera-frame points of a pinhole depth map; NaN where depth is 0."""
    h, w = depth.shape
    u, v = pixel_grid(w, h)
    z = np.where(depth > 0, depth.astype(np.float64), np.nan)
    x = (u - k[0, 2] - k[0, 1] * (v - k[1, 2]) / k[1, 1]) / k[0, 0] * z
    y = (v - k[1, 2]) / k[1, 1] * z
    return np.stack([x, y, z], axis=-1)


def _neighbour_differences(a: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Forward (a[i+1] - a[i]) and backward (a[i] - a[i-1]) differences along ``axis``, NaN at the border."""
    d = np.diff(a, axis=axis)
    fwd = np.full_like(a, np.nan)
    bwd = np.full_like(a, np.nan)
    if axis == 0:
        fwd[:-1], bwd[1:] = d, d
    else:
        fwd[:, :-1], bwd[:, 1:] = d, d
    return fwd, bwd


def normals_from_points(points: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 unit surface normals (camera frame, facing the camera); NaN where unknown.

    The tangent along each image axis is the neighbour difference (forward or backward, whichever
    jumps less in depth, so object edges do not bleed); the normal is their cross product. On a
    plane both tangents lie in the plane, so the result is exact up to depth precision. Works on
    (H, W) channel planes to keep every step a plain vectorised op.
    """
    chans = [np.ascontiguousarray(points[..., i], dtype=np.float32) for i in range(3)]
    tangents = []
    for axis in (1, 0):
        fz, bz = _neighbour_differences(chans[2], axis)
        # NaN-safe choice: forward unless it is missing or jumps more in depth than backward.
        use_fwd = ~(np.abs(fz) > np.abs(bz)) & (~np.isnan(fz) | np.isnan(bz))
        t = []
        for i, ch in enumerate(chans):
            f, b = (fz, bz) if i == 2 else _neighbour_differences(ch, axis)
            t.append(np.where(use_fwd, f, b))
        tangents.append(t)
    (ax, ay, az), (bx, by, bz_) = tangents
    n = np.empty(points.shape, dtype=np.float32)
    n[..., 0] = ay * bz_ - az * by
    n[..., 1] = az * bx - ax * bz_
    n[..., 2] = ax * by - ay * bx
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = 1.0 / np.sqrt(n[..., 0] ** 2 + n[..., 1] ** 2 + n[..., 2] ** 2)
    facing = n[..., 0] * chans[0] + n[..., 1] * chans[1] + n[..., 2] * chans[2]
    scale[facing > 0] *= -1
    n *= scale[..., None]
    return n


def transform_by_instance(points: np.ndarray, instance: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """(N, 3) float64 points, each mapped by the (4, 4) transform ``lut[instance]`` of its pixel.

    Gathers the 12 matrix entries per pixel from the small lookup table (one gather each) instead
    of materialising an (N, 4, 4) stack.
    """
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    out = np.empty((len(points), 3), dtype=np.float64)
    for i in range(3):
        out[:, i] = lut[:, i, 0][instance] * x + lut[:, i, 1][instance] * y + lut[:, i, 2][instance] * z
        out[:, i] += lut[:, i, 3][instance]
    return out


def _lut(instance: np.ndarray, default: np.ndarray, transforms: dict[int, np.ndarray]) -> np.ndarray:
    """(K+1, 4, 4) transform by instance id: ``transforms[id]`` where given, else ``default``."""
    top = max([int(instance.max(initial=0)), *transforms.keys(), 0])
    lut = np.broadcast_to(default, (top + 1, 4, 4)).copy()
    for iid, t in transforms.items():
        lut[iid] = t
    return lut


def forward_flow(
    points_cam: np.ndarray,
    instance: np.ndarray,
    cam_t: CameraSpec,
    world_from_camera_t1: np.ndarray,
    poses_t: dict[int, np.ndarray],
    poses_t1: dict[int, np.ndarray],
) -> np.ndarray:
    """(H, W, 2) float32 forward optical flow in pixels from this capture to the next one.

    Each pixel's surface point moves with its instance (world_from_instance at t1 times its
    inverse at t; background and ground are static) and is projected through the camera at t1
    with the same intrinsics and distortion; flow = projection at t1 minus projection at t.
    NaN where no surface was seen or the point goes behind the camera.
    """
    h, w, _ = points_cam.shape
    pts = points_cam.reshape(-1, 3)
    inst = instance.reshape(-1)
    c1_from_w = invert(world_from_camera_t1)
    c1_from_c0 = c1_from_w @ cam_t.world_from_camera
    moving = {
        iid: c1_from_w @ poses_t1[iid] @ invert(poses_t[iid]) @ cam_t.world_from_camera
        for iid in poses_t
        if iid in poses_t1 and not np.array_equal(poses_t[iid], poses_t1[iid])
    }
    if moving:
        pc1 = transform_by_instance(pts, inst, _lut(instance, c1_from_c0, moving))
    else:
        pc1 = transform_points(pts, c1_from_c0)
    uv0 = project(cam_t.K, pts, cam_t.distortion, cam_t.distortion_model)
    uv1 = project(cam_t.K, pc1, cam_t.distortion, cam_t.distortion_model)
    return (uv1 - uv0).reshape(h, w, 2).astype(np.float32)


def object_coordinates(
    points_cam: np.ndarray, instance: np.ndarray, world_from_camera: np.ndarray, poses: dict[int, np.ndarray]
) -> np.ndarray:
    """(H, W, 3) float32 surface points in their instance's base frame (metres); NaN off objects."""
    h, w, _ = points_cam.shape
    inst = instance.reshape(-1)
    lut = _lut(instance, np.full((4, 4), np.nan), {iid: invert(t) @ world_from_camera for iid, t in poses.items()})
    out = transform_by_instance(points_cam.reshape(-1, 3), inst, lut)
    return out.reshape(h, w, 3).astype(np.float32)


def world_from_instance(poses: dict[int, tuple[tuple[float, ...], tuple[float, ...]]]) -> dict[int, np.ndarray]:
    """(4, 4) world_from_instance matrices from ``World.poses()`` records."""
    return {iid: pose_matrix(p, q) for iid, (p, q) in poses.items()}


__all__ = [
    "forward_flow",
    "normals_from_points",
    "object_coordinates",
    "point_map",
    "world_from_instance",
]
