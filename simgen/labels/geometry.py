"""Pure geometry for labels: box formats, 3D boxes, truncation, KITTI conventions.

No simulator here: every function maps numbers to numbers, so the conventions (box corner
order, KITTI angles) are tested in isolation with round trips. Rotations, poses and the camera
projection are the shared ones of :mod:`simgen.core.transforms`.
"""

from __future__ import annotations

import math

import numpy as np

from simgen.core.transforms import project

# Corner order of a box (signs of half extents along local x, y, z); the first four have z = -1.
CORNER_SIGNS = np.array(
    [[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1], [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]],
    dtype=np.float64,
)


def xywh_to_xyxy(b: np.ndarray) -> np.ndarray:
    """(..., 4) COCO (x, y, w, h) -> (x0, y0, x1, y1)."""
    b = np.asarray(b, dtype=np.float64)
    return np.concatenate([b[..., :2], b[..., :2] + b[..., 2:]], axis=-1)


def xyxy_to_xywh(b: np.ndarray) -> np.ndarray:
    """(..., 4) (x0, y0, x1, y1) -> COCO (x, y, w, h)."""
    b = np.asarray(b, dtype=np.float64)
    return np.concatenate([b[..., :2], b[..., 2:] - b[..., :2]], axis=-1)


def xywh_to_cxcywh(b: np.ndarray) -> np.ndarray:
    """(..., 4) COCO (x, y, w, h) -> YOLO-style centre (cx, cy, w, h), same units."""
    b = np.asarray(b, dtype=np.float64)
    return np.concatenate([b[..., :2] + b[..., 2:] / 2, b[..., 2:]], axis=-1)


def cxcywh_to_xywh(b: np.ndarray) -> np.ndarray:
    """(..., 4) centre (cx, cy, w, h) -> COCO (x, y, w, h)."""
    b = np.asarray(b, dtype=np.float64)
    return np.concatenate([b[..., :2] - b[..., 2:] / 2, b[..., 2:]], axis=-1)


def box_corners(center: np.ndarray, size: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """(8, 3) corners of a box with full extents ``size`` rotated by ``rotation`` about ``center``."""
    local = CORNER_SIGNS * (np.asarray(size, dtype=np.float64) / 2)
    return local @ np.asarray(rotation).T + np.asarray(center)


def box_truncation(
    corners_cam: np.ndarray,
    K: np.ndarray,
    width: int,
    height: int,
    near: float,
    dist: tuple[float, ...] | None = None,
    model: str = "opencv",
) -> float:
    """Share of the projected 3D box's 2D extent that lies outside the image, in [0, 1].

    The extent is the axis-aligned box around the corners projected through the lens (pixel
    edges: [-0.5, W-0.5]); corners behind the near plane, or beyond a fisheye's valid angle,
    count as fully outside (truncation 1 if all are).
    """
    front = corners_cam[:, 2] > near
    if front.any():
        seen = np.zeros_like(front)
        seen[front] = np.isfinite(project(K, corners_cam[front], dist, model)).all(axis=1)
        front = seen
    if not front.any():
        return 1.0
    uv = project(K, corners_cam[front], dist, model)
    x0, y0 = uv.min(axis=0)
    x1, y1 = uv.max(axis=0)
    area = max(x1 - x0, 1e-9) * max(y1 - y0, 1e-9)
    ix = max(0.0, min(x1, width - 0.5) - max(x0, -0.5))
    iy = max(0.0, min(y1, height - 0.5) - max(y0, -0.5))
    inside = min(1.0, ix * iy / area)
    behind = 1.0 - front.mean()
    return float(min(1.0, max(0.0, 1.0 - inside * (1.0 - behind))))


def occlusion_level(visibility: float | None) -> int:
    """KITTI occlusion bucket from the visible share of the object's pixels.

    0 fully visible (>= 0.95), 1 partly occluded (>= 0.5), 2 largely occluded (< 0.5),
    3 unknown (no amodal measurement).
    """
    if visibility is None:
        return 3
    if visibility >= 0.95:
        return 0
    if visibility >= 0.5:
        return 1
    return 2


def wrap_angle(a: float) -> float:
    """Angle in radians wrapped to [-pi, pi)."""
    return float((a + math.pi) % (2 * math.pi) - math.pi)


def kitti_alpha(rotation_y: float, x: float, z: float) -> float:
    """KITTI observation angle: ``alpha = rotation_y - atan2(x, z)`` wrapped to [-pi, pi)."""
    return wrap_angle(rotation_y - math.atan2(x, z))


def level_from_camera(world_from_camera: np.ndarray) -> np.ndarray:
    """(3, 3) rotation from the OpenCV camera frame to a gravity-levelled camera frame.

    The levelled frame keeps the camera's heading but has y pointing down along world -z, as
    KITTI's rectified frame assumes (a car camera looking at the horizon). Used as ``R0_rect``
    so KITTI's yaw-only 3D boxes stay upright for pitched cameras. A camera looking straight
    down or up has no heading; the camera frame itself is used then.
    """
    r = np.asarray(world_from_camera)[:3, :3]
    down_cam = r.T @ np.array([0.0, 0.0, -1.0])
    fwd = np.array([0.0, 0.0, 1.0]) - down_cam * down_cam[2]
    if np.linalg.norm(fwd) < 1e-6:
        return np.eye(3)
    fwd /= np.linalg.norm(fwd)
    right = np.cross(down_cam, fwd)
    return np.stack([right, down_cam, fwd])


def kitti_box(corners_level: np.ndarray, heading_level: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Upright KITTI box around (8, 3) corners in a levelled frame (y down).

    ``heading_level`` is the object's heading axis in that frame; rotation_y is the angle about
    +y taking +x onto the heading's horizontal part. Returns (location = bottom centre (3,),
    dimensions (h, w, l), rotation_y); tight when the object is upright, enclosing otherwise.
    """
    ry = wrap_angle(-math.atan2(heading_level[2], heading_level[0]))
    c, s = math.cos(ry), math.sin(ry)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    local = corners_level @ rot  # into the box frame (rot.T applied to row vectors)
    lo, hi = local.min(axis=0), local.max(axis=0)
    centre_local = (lo + hi) / 2
    bottom_local = np.array([centre_local[0], hi[1], centre_local[2]])
    location = rot @ bottom_local
    size = hi - lo
    return location, np.array([size[1], size[2], size[0]]), ry


def kitti_corners(location: np.ndarray, dims_hwl: np.ndarray, rotation_y: float) -> np.ndarray:
    """(8, 3) corners of a KITTI box (bottom-centre location, (h, w, l), rotation_y) in its frame."""
    h, w, length = dims_hwl
    c, s = math.cos(rotation_y), math.sin(rotation_y)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    local = CORNER_SIGNS * np.array([length / 2, h / 2, w / 2]) + np.array([0.0, -h / 2, 0.0])
    return local @ rot.T + np.asarray(location)
