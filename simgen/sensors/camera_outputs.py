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

from simgen.core.lens import MAX_IDEAL_SCALE, fisheye_undistort_points
from simgen.core.transforms import invert, pose_matrix, project, transform_points
from simgen.scenario.spec import CameraSpec


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


def lens_map(cam: CameraSpec, margin: int = 2, max_scale: float = MAX_IDEAL_SCALE) -> LensMap:
    """The ideal pinhole camera covering ``cam``'s distorted view, and the remap tables.

    Inverting the distortion for every pixel costs about as much as a render, so the tables are
    cached per process by (size, K, lens model, distortion); only the pose of the returned ideal
    camera changes between captures. The ideal image reaches at most ``max_scale`` image sizes
    either side of the principal point (a fisheye wider than that is refused when sampled).
    """
    key = (
        cam.width,
        cam.height,
        cam.K.tobytes(),
        cam.distortion_model,
        tuple(cam.distortion or ()),
        cam.near,
        cam.far,
        margin,
        max_scale,
    )
    if key not in _LENS_CACHE:
        if len(_LENS_CACHE) >= 64:
            _LENS_CACHE.clear()
        _LENS_CACHE[key] = _lens_map(cam, margin, max_scale)
    return _LENS_CACHE[key]


def _lens_map(cam: CameraSpec, margin: int, max_scale: float) -> LensMap:
    import cv2

    u, v = pixel_grid(cam.width, cam.height)
    if cam.distortion_model == "fisheye":
        k = cam.K
        yd = (v.ravel() - k[1, 2]) / k[1, 1]
        xd = (u.ravel() - k[0, 2] - k[0, 1] * yd) / k[0, 0]
        xy = fisheye_undistort_points(np.column_stack([xd, yd]), tuple(cam.distortion or (0.0,) * 4))
    else:
        pts = np.stack([u.ravel(), v.ravel()], axis=1).reshape(-1, 1, 2)
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
        und = cv2.undistortPointsIter(pts, cam.K, np.asarray(cam.distortion, dtype=np.float64), None, None, criteria)
        xy = und.reshape(-1, 2)
    fx, fy = cam.K[0, 0], cam.K[1, 1]
    px, py = fx * xy[:, 0], fy * xy[:, 1]
    lim_x, lim_y = max_scale * cam.width, max_scale * cam.height
    px = np.clip(px, -lim_x, lim_x)
    py = np.clip(py, -lim_y, lim_y)
    # Pixels past a fisheye's valid range (NaN) sample outside the ideal image and get the fill value.
    seen = np.isfinite(px) & np.isfinite(py)
    if not seen.all():
        px, py = np.where(seen, px, np.nan), np.where(seen, py, np.nan)
    x0, x1 = np.nanmin(px, initial=np.inf), np.nanmax(px, initial=-np.inf)
    y0, y1 = np.nanmin(py, initial=np.inf), np.nanmax(py, initial=-np.inf)
    if not seen.any():
        x0 = x1 = y0 = y1 = 0.0
    width = int(math.ceil(x1 - x0)) + 2 * margin + 1
    height = int(math.ceil(y1 - y0)) + 2 * margin + 1
    cx, cy = margin - x0, margin - y0
    k = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    ideal = dataclasses.replace(cam, width=width, height=height, K=k, distortion=None, distortion_model="opencv")
    shape = (cam.height, cam.width)
    return LensMap(
        ideal=ideal,
        map_x=np.where(seen, px + cx, -1.0 - margin).reshape(shape).astype(np.float32),
        map_y=np.where(seen, py + cy, -1.0 - margin).reshape(shape).astype(np.float32),
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
