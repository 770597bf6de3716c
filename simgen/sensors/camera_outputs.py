"""Extra camera outputs from ground truth, and lens distortion for images and labels alike.

Point maps, normals, optical flow and object coordinates come from depth, instance ids and
known poses; distortion is applied consistently to every image and label map.

All functions are vectorised over the image (no per-pixel Python loops). Camera frame = OpenCV
axes (x right, y down, z forward), metres.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from simgen.scenario.spec import CameraSpec
from simgen.sensors.geometry import invert, project, transform_points


def pixel_grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) float64 pixel-centre coordinates u (column) and v (row), OpenCV convention."""
    return np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))


def point_map(depth: np.ndarray, k: np.ndarray) -> np.ndarray:
    """(H, W, 3) float64 camera-frame points of a pinhole depth map; NaN where depth is 0."""
    h, w = depth.shape
    u, v = pixel_grid(w, h)
    z = np.where(depth > 0, depth.astype(np.float64), np.nan)
    x = (u - k[0, 2] - k[0, 1] * (v - k[1, 2]) / k[1, 1]) / k[0, 0] * z
    y = (v - k[1, 2]) / k[1, 1] * z
    return np.stack([x, y, z], axis=-1)


def normals_from_points(points: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 unit surface normals (camera frame, facing the camera); NaN where unknown.

    The tangent along each image axis is the neighbour difference (forward or backward, whichever
    jumps less in depth, so object edges do not bleed); the normal is their cross product. On a
    plane both tangents lie in the plane, so the result is exact up to depth precision.
    """
    c = points.astype(np.float32)
    nan = np.float32(np.nan)

    def tangent(axis: int) -> np.ndarray:
        d = np.diff(c, axis=axis)  # d[i] = c[i + 1] - c[i]
        pad_shape = list(c.shape)
        pad_shape[axis] = 1
        pad = np.full(pad_shape, nan, dtype=np.float32)
        fwd = np.concatenate([d, pad], axis=axis)
        bwd = np.concatenate([pad, d], axis=axis)
        use_fwd = ~(np.abs(fwd[..., 2]) > np.abs(bwd[..., 2]))  # NaN-safe: prefer forward unless it jumps more
        use_fwd &= ~np.isnan(fwd[..., 2]) | np.isnan(bwd[..., 2])
        return np.where(use_fwd[..., None], fwd, bwd)

    tx, ty = tangent(1), tangent(0)
    n = np.empty_like(c)
    n[..., 0] = tx[..., 1] * ty[..., 2] - tx[..., 2] * ty[..., 1]
    n[..., 1] = tx[..., 2] * ty[..., 0] - tx[..., 0] * ty[..., 2]
    n[..., 2] = tx[..., 0] * ty[..., 1] - tx[..., 1] * ty[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        n /= np.sqrt(np.einsum("hwc,hwc->hw", n, n))[..., None]
    flip = np.einsum("hwc,hwc->hw", n, c) > 0
    n[flip] *= -1
    return n


def _present(instance: np.ndarray, ids: object) -> list[int]:
    """Instance ids in ``ids`` that appear in ``instance`` (cheap bincount, no sort)."""
    counts = np.bincount(instance.ravel().clip(0), minlength=1)
    return [int(i) for i in ids if 0 < int(i) < len(counts) and counts[int(i)] > 0]


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
    c1_from_c0 = invert(world_from_camera_t1) @ cam_t.world_from_camera
    pc1 = transform_points(pts, c1_from_c0)  # static scene
    for iid in _present(instance, poses_t):
        if iid not in poses_t1 or np.array_equal(poses_t[iid], poses_t1[iid]):
            continue
        sel = inst == iid
        m = invert(world_from_camera_t1) @ poses_t1[iid] @ invert(poses_t[iid]) @ cam_t.world_from_camera
        pc1[sel] = transform_points(pts[sel], m)
    uv0 = project(cam_t.K, cam_t.distortion, pts)
    uv1 = project(cam_t.K, cam_t.distortion, pc1)
    return (uv1 - uv0).reshape(h, w, 2).astype(np.float32)


def object_coordinates(
    points_cam: np.ndarray, instance: np.ndarray, world_from_camera: np.ndarray, poses: dict[int, np.ndarray]
) -> np.ndarray:
    """(H, W, 3) float32 surface points in their instance's base frame (metres); NaN off objects."""
    h, w, _ = points_cam.shape
    pts = points_cam.reshape(-1, 3)
    inst = instance.reshape(-1)
    out = np.full(pts.shape, np.nan, dtype=np.float32)
    for iid in _present(instance, poses):
        sel = inst == iid
        m = invert(poses[iid]) @ world_from_camera
        out[sel] = transform_points(pts[sel], m)
    return out.reshape(h, w, 3)


@dataclasses.dataclass(frozen=True)
class LensMap:
    """How to make a distorted image from an undistorted render of ``ideal`` (larger FOV/size).

    ``map_x``/``map_y`` (H, W) float32: for each distorted output pixel, where to sample the ideal
    render (``cv2.remap`` convention).
    """

    ideal: CameraSpec
    map_x: np.ndarray
    map_y: np.ndarray


_LENS_CACHE: dict[tuple[object, ...], LensMap] = {}


def lens_map(cam: CameraSpec, margin: int = 2, max_scale: float = 3.0) -> LensMap:
    """The ideal pinhole camera covering ``cam``'s distorted view, and the remap tables.

    Inverting the distortion for every pixel costs about as much as a render, so the tables are
    cached per process by (size, K, distortion); only the pose of the returned ideal camera
    changes between captures.
    """
    key = (cam.width, cam.height, cam.K.tobytes(), tuple(cam.distortion or ()), cam.near, cam.far, margin, max_scale)
    if key not in _LENS_CACHE:
        if len(_LENS_CACHE) >= 64:
            _LENS_CACHE.clear()
        _LENS_CACHE[key] = _lens_map(cam, margin, max_scale)
    return _LENS_CACHE[key]


def _lens_map(cam: CameraSpec, margin: int, max_scale: float) -> LensMap:
    import cv2

    u, v = pixel_grid(cam.width, cam.height)
    pts = np.stack([u.ravel(), v.ravel()], axis=1).reshape(-1, 1, 2)
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
    und = cv2.undistortPointsIter(pts, cam.K, np.asarray(cam.distortion, dtype=np.float64), None, None, criteria)
    xy = und.reshape(-1, 2)
    fx, fy = cam.K[0, 0], cam.K[1, 1]
    px, py = fx * xy[:, 0], fy * xy[:, 1]
    lim_x, lim_y = max_scale * cam.width, max_scale * cam.height
    px = np.clip(px, -lim_x, lim_x)
    py = np.clip(py, -lim_y, lim_y)
    x0, x1, y0, y1 = px.min(), px.max(), py.min(), py.max()
    width = int(math.ceil(x1 - x0)) + 2 * margin + 1
    height = int(math.ceil(y1 - y0)) + 2 * margin + 1
    cx, cy = margin - x0, margin - y0
    k = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    ideal = dataclasses.replace(cam, width=width, height=height, K=k, distortion=None)
    shape = (cam.height, cam.width)
    return LensMap(
        ideal=ideal,
        map_x=(px + cx).reshape(shape).astype(np.float32),
        map_y=(py + cy).reshape(shape).astype(np.float32),
    )


def remap(image: np.ndarray, lens: LensMap, nearest: bool, fill: float = 0.0) -> np.ndarray:
    """Resample an ideal-camera image into the distorted camera; nearest for labels and geometry.

    Label maps (instance, semantic, uid) must use ``nearest=True`` so every output pixel takes
    one source pixel's id; masks, boxes and areas then come from the distorted map. ``fill`` is
    written where the map leaves the ideal image.
    """
    import cv2

    src = image
    dtype = image.dtype
    if dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        src = image.astype(np.float32)  # ids < 2**24 are exact in float32
    out = cv2.remap(
        src,
        lens.map_x,
        lens.map_y,
        cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )
    return out.astype(dtype) if out.dtype != dtype else out


def world_from_instance(poses: dict[int, tuple[tuple[float, ...], tuple[float, ...]]]) -> dict[int, np.ndarray]:
    """(4, 4) world_from_instance matrices from ``World.poses()`` records."""
    from simgen.sensors.geometry import pose_matrix

    return {iid: pose_matrix(p, q) for iid, (p, q) in poses.items()}


__all__ = [
    "LensMap",
    "forward_flow",
    "lens_map",
    "normals_from_points",
    "object_coordinates",
    "pixel_grid",
    "point_map",
    "remap",
    "world_from_instance",
]
