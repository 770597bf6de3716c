"""Amodal silhouettes without a renderer: each object's own visual geometry drawn through the camera.

The sensors stage hands over every object's visual parts (the polytopes and triangles pybullet's
renderers draw, see :class:`simgen.frame.VisualPart`) and its link poses at the frame. Here they
are posed, clipped at the near plane, projected with the camera's K and filled into the object's
window with the convention the renderers use for the visible mask: pixel (i, j) belongs to a
triangle when the point (i, j), the pixel's centre in OpenCV coordinates, lies inside it
(edges included). A distorted camera draws in its ideal pinhole camera and remaps the window
through the same lens tables as the image (nearest), so both masks share one lens.

Vectorised with numpy: triangles become (triangle, row) spans, and spans become pixels through
one difference array per window, so overlapping triangles simply unite.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import cv2
import numpy as np

from simgen.frame import ObjectTruth, VisualPart
from simgen.labels.geometry import pose_matrix
from simgen.scenario.spec import CameraSpec

if TYPE_CHECKING:
    from simgen.sensors.camera_outputs import LensMap

Window = tuple[int, int, int, int]  # x0, y0, x1, y1 pixels (x1, y1 exclusive)
EMPTY = np.zeros((0, 0), dtype=bool)


def clip_near(tris: np.ndarray, near: float) -> np.ndarray:
    """(T', 3, 3) camera-frame triangles cut to the part in front of the plane z = near.

    A triangle with one vertex in front keeps one smaller triangle, one with two keeps a quad
    (two triangles); vertex order (and so orientation) is kept.
    """
    inside = tris[:, :, 2] > near
    count = inside.sum(axis=1)
    out = [tris[count == 3]]
    for n_in in (1, 2):
        sel = tris[count == n_in]
        if not len(sel):
            continue
        odd = np.argmax(inside[count == n_in], axis=1) if n_in == 1 else np.argmin(inside[count == n_in], axis=1)
        rows = np.arange(len(sel))
        v0, v1, v2 = sel[rows, odd], sel[rows, (odd + 1) % 3], sel[rows, (odd + 2) % 3]

        def cut(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            t = (near - a[:, 2]) / (b[:, 2] - a[:, 2])
            return a + t[:, None] * (b - a)

        if n_in == 1:  # v0 in front
            out.append(np.stack([v0, cut(v0, v1), cut(v0, v2)], axis=1))
        else:  # v0 behind: quad v1, v2, (v2 v0), (v0 v1)
            i20, i01 = cut(v2, v0), cut(v0, v1)
            out.append(np.stack([v1, v2, i20], axis=1))
            out.append(np.stack([v1, i20, i01], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 3, 3))


def fill_triangles(uv: np.ndarray, window: Window) -> np.ndarray:
    """(h, w) bool mask of ``window``: pixels whose centre lies in any of the (T, 3, 2) triangles.

    Pixel (x, y) of the image has its centre at (x, y); the mask's [0, 0] is pixel (x0, y0).
    Each triangle covers, on each pixel row y it spans, the columns ceil(x_left) .. floor(x_right)
    of its crossing with the line y; the spans of all triangles are summed in a difference array.
    """
    x0, y0, x1, y1 = window
    h, w = y1 - y0, x1 - x0
    if not len(uv) or h <= 0 or w <= 0:
        return np.zeros((max(h, 0), max(w, 0)), dtype=bool)
    ys = uv[:, :, 1]
    top = np.maximum(np.ceil(ys.min(axis=1)), y0).astype(np.int64)
    bottom = np.minimum(np.floor(ys.max(axis=1)), y1 - 1).astype(np.int64)
    n = np.maximum(bottom - top + 1, 0)
    total = int(n.sum())
    if total == 0:
        return np.zeros((h, w), dtype=bool)
    tri = np.repeat(np.arange(len(uv)), n)
    row = top[tri] + (np.arange(total) - np.repeat(np.cumsum(n) - n, n))
    p = uv[tri]  # (R, 3, 2)
    q = np.roll(p, -1, axis=1)  # edge ends: a->b, b->c, c->a
    py, qy = p[:, :, 1], q[:, :, 1]
    y = row[:, None].astype(np.float64)
    dy = qy - py
    crosses = (np.minimum(py, qy) <= y) & (y <= np.maximum(py, qy)) & (dy != 0)
    x = p[:, :, 0] + (y - py) / np.where(dy != 0, dy, 1.0) * (q[:, :, 0] - p[:, :, 0])
    left = np.ceil(np.where(crosses, x, np.inf).min(axis=1))
    right = np.floor(np.where(crosses, x, -np.inf).max(axis=1))
    left = np.maximum(left, x0)
    right = np.minimum(right, x1 - 1)
    ok = left <= right
    r = row[ok] - y0
    start = r * (w + 1) + (left[ok].astype(np.int64) - x0)
    end = r * (w + 1) + (right[ok].astype(np.int64) - x0 + 1)
    size = h * (w + 1)
    diff = np.bincount(start, minlength=size) - np.bincount(end, minlength=size)
    return np.cumsum(diff.reshape(h, w + 1), axis=1)[:, :w] > 0


def _hull_fan(uv: np.ndarray) -> np.ndarray:
    """(n - 2, 3, 2) triangles fanning out the convex hull of (N, 2) image points."""
    idx = cv2.convexHull(uv.astype(np.float32), returnPoints=False).ravel()
    poly = uv[idx]
    if len(poly) < 3:
        return np.zeros((0, 3, 2))
    k = np.arange(1, len(poly) - 1)
    return np.stack([np.broadcast_to(poly[0], (len(k), 2)), poly[k], poly[k + 1]], axis=1)


def _project(k: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """(..., 2) pixel coordinates of (..., 3) camera points in front of the camera (pinhole K)."""
    z = pts[..., 2]
    u = (k[0, 0] * pts[..., 0] + k[0, 1] * pts[..., 1]) / z + k[0, 2]
    v = k[1, 1] * pts[..., 1] / z + k[1, 2]
    return np.stack([u, v], axis=-1)


def part_triangles(part: VisualPart, cam_from_part: np.ndarray, view: CameraSpec) -> np.ndarray:
    """(T, 3, 2) image triangles whose union is the part's silhouette in the pinhole camera ``view``."""
    r, t = cam_from_part[:3, :3], cam_from_part[:3, 3]
    pts = part.vertices @ r.T + t
    z = pts[:, 2]
    if (z <= view.near).all():
        return np.zeros((0, 3, 2))
    if (z > view.near).all():
        if part.convex:
            return _hull_fan(_project(view.K, pts))
        tris = pts[part.faces]
        if part.closed:  # camera-facing triangles cover a closed surface's silhouette
            a, b, c = tris[:, 0], tris[:, 1], tris[:, 2]
            facing = np.einsum("ij,ij->i", np.cross(b - a, c - a), a) < 0
            tris = tris[facing]
        return _project(view.K, tris)
    return _project(view.K, clip_near(pts[part.faces], view.near))


def silhouette(
    truth: ObjectTruth, world_from_body: np.ndarray, cam_from_world: np.ndarray, view: CameraSpec
) -> tuple[np.ndarray, tuple[int, int]]:
    """The object's whole silhouette in the pinhole camera ``view``: (mask, (x0, y0)) of its window."""
    tris = []
    for part in truth.parts:
        world_from_part = world_from_body if part.link < 0 else truth.link_poses[part.link]  # type: ignore[index]
        tris.append(part_triangles(part, cam_from_world @ world_from_part, view))
    uv = np.concatenate(tris) if tris else np.zeros((0, 3, 2))
    if not len(uv):
        return EMPTY, (0, 0)
    flat = uv.reshape(-1, 2)
    x0 = max(0, int(math.ceil(flat[:, 0].min())))
    y0 = max(0, int(math.ceil(flat[:, 1].min())))
    x1 = min(view.width, int(math.floor(flat[:, 0].max())) + 1)
    y1 = min(view.height, int(math.floor(flat[:, 1].max())) + 1)
    if x1 <= x0 or y1 <= y0:
        return EMPTY, (0, 0)
    return fill_triangles(uv, (x0, y0, x1, y1)), (x0, y0)


def through_lens(mask: np.ndarray, offset: tuple[int, int], lens: LensMap) -> tuple[np.ndarray, tuple[int, int]]:
    """A mask drawn in a window of the ideal camera, seen through the lens: (crop, (x0, y0)).

    Samples like :func:`simgen.sensors.camera_outputs.remap` does for the instance map (nearest,
    the same tables shifted by the window's offset); the result is cropped to its pixels.
    """
    from simgen.sensors.camera_outputs import LensMap, remap

    if not mask.size:
        return EMPTY, (0, 0)
    shifted = LensMap(lens.ideal, lens.map_x - np.float32(offset[0]), lens.map_y - np.float32(offset[1]))
    out = remap(mask.astype(np.uint8), shifted, nearest=True).astype(bool)
    rows, cols = np.nonzero(out.any(axis=1))[0], np.nonzero(out.any(axis=0))[0]
    if not len(rows):
        return EMPTY, (0, 0)
    return out[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], (int(cols[0]), int(rows[0]))


def fill_amodal(
    truth: dict[int, ObjectTruth],
    ids: list[int],
    camera: CameraSpec,
    poses: dict[int, tuple[tuple[float, ...], tuple[float, ...]]],
) -> None:
    """Set ``amodal``/``amodal_offset`` of the objects ``ids`` that have geometry and none yet."""
    todo = [i for i in ids if i in truth and truth[i].amodal is None and truth[i].parts and i in poses]
    if not todo:
        return
    lens = None
    if camera.distortion is not None:
        # The image's own lens tables (cached per process); imported here so that the exporters,
        # which import this stage for its mask helpers, never load the sensors package.
        from simgen.sensors.camera_outputs import lens_map

        lens = lens_map(camera)
    view = camera if lens is None else dataclasses.replace(lens.ideal, world_from_camera=camera.world_from_camera)
    cam_from_world = np.linalg.inv(camera.world_from_camera)
    for iid in todo:
        t = truth[iid]
        mask, offset = silhouette(t, pose_matrix(*poses[iid]), cam_from_world, view)
        if lens is not None:
            mask, offset = through_lens(mask, offset, lens)
        t.amodal, t.amodal_offset = mask, offset
