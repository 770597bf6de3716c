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
from collections import OrderedDict

import cv2
import numpy as np

from simgen.core.lens import LensMap, lens_map, remap
from simgen.core.transforms import pose_matrix
from simgen.frame import ObjectTruth, VisualPart
from simgen.sensors.camera.model import CameraSpec

Window = tuple[int, int, int, int]  # x0, y0, x1, y1 pixels (x1, y1 exclusive)
EMPTY = np.zeros((0, 0), dtype=bool)
# Silhouettes of objects that did not move relative to their camera since an earlier frame
# (resting objects seen by a fixed camera: most of a settled scene), keyed by everything they
# depend on. A pure function's memo: the result is the same array whether drawn or recalled.
# Least recently used first out: each entry holds its object's geometry, so the table is kept
# to about one busy scene's objects (512 entries held ~15 street episodes of geometry alive).
_SEEN: OrderedDict[tuple[object, ...], tuple[tuple[VisualPart, ...], np.ndarray, tuple[int, int]]] = OrderedDict()
SEEN_LIMIT = 128


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
    y_a, y_b, y_c = ys[:, 0], ys[:, 1], ys[:, 2]  # elementwise min/max: numpy's axis=1 reductions over 3 are slow
    top = np.maximum(np.ceil(np.minimum(np.minimum(y_a, y_b), y_c)), y0)
    bottom = np.minimum(np.floor(np.maximum(np.maximum(y_a, y_b), y_c)), y1 - 1)
    n = (bottom - top + 1).astype(np.int64)
    keep = np.flatnonzero(n > 0)  # most triangles of a fine mesh hold no pixel centre: drop them first
    if not len(keep):
        return np.zeros((h, w), dtype=bool)
    uv, ys, top, n = uv[keep], ys[keep], top[keep].astype(np.int64), n[keep]
    # vertices ordered by y: a on top, c at the bottom; rows between them cross the long edge a-c
    # and one short edge (a-b above b, b-c below)
    i_a = np.argmin(ys, axis=1)
    i_c = np.argmax(ys, axis=1)
    i_c = np.where(i_c == i_a, (i_a + 2) % 3, i_c)  # a flat triangle: any order
    i_b = 3 - i_a - i_c
    k = np.arange(len(uv))
    v = np.stack([uv[k, i_a], uv[k, i_b], uv[k, i_c]], axis=1)
    ax, ay, bx, by, cx, cy = v[:, 0, 0], v[:, 0, 1], v[:, 1, 0], v[:, 1, 1], v[:, 2, 0], v[:, 2, 1]

    def slope(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        return np.divide(dx, dy, out=np.zeros_like(dx), where=dy != 0)

    s_ac, s_ab, s_bc = slope(cx - ax, cy - ay), slope(bx - ax, by - ay), slope(cx - bx, cy - by)
    total = int(n.sum())
    tri = np.repeat(np.arange(len(n)), n)
    row = np.repeat(top, n) + (np.arange(total) - np.repeat(np.cumsum(n) - n, n))
    y = row.astype(np.float64)
    dya = y - ay[tri]
    x_long = ax[tri] + dya * s_ac[tri]
    upper = y < by[tri]
    x_short = np.where(upper, ax[tri] + dya * s_ab[tri], bx[tri] + (y - by[tri]) * s_bc[tri])
    left = np.maximum(np.ceil(np.minimum(x_long, x_short)), x0)
    right = np.minimum(np.floor(np.maximum(x_long, x_short)), x1 - 1)
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
        faces = part.faces
        if part.closed:  # camera-facing triangles cover a closed surface's silhouette
            a, b, c = pts[faces[:, 0]], pts[faces[:, 1]], pts[faces[:, 2]]
            faces = faces[np.einsum("ij,ij->i", np.cross(b - a, c - a), a) < 0]
        return _project(view.K, pts)[faces]
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
    u, v = np.ascontiguousarray(uv[..., 0]), np.ascontiguousarray(uv[..., 1])
    x0 = max(0, math.ceil(u.min()))
    y0 = max(0, math.ceil(v.min()))
    x1 = min(view.width, math.floor(u.max()) + 1)
    y1 = min(view.height, math.floor(v.max()) + 1)
    if x1 <= x0 or y1 <= y0:
        return EMPTY, (0, 0)
    return fill_triangles(uv, (x0, y0, x1, y1)), (x0, y0)


def through_lens(mask: np.ndarray, offset: tuple[int, int], lens: LensMap) -> tuple[np.ndarray, tuple[int, int]]:
    """A mask drawn in a window of the ideal camera, seen through the lens: (crop, (x0, y0)).

    Samples like :func:`simgen.sensors.camera.outputs.remap` does for the instance map (nearest,
    the same tables shifted by the window's offset); the result is cropped to its pixels.
    """
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
        # The image's own lens tables (cached per process).
        lens = lens_map(camera)
    view = camera if lens is None else dataclasses.replace(lens.ideal, world_from_camera=camera.world_from_camera)
    cam_from_world = np.linalg.inv(camera.world_from_camera)
    lens_key = (camera.distortion_model, tuple(camera.distortion or ()))
    view_key = (view.width, view.height, view.near, view.K.tobytes(), camera.world_from_camera.tobytes(), lens_key)
    for iid in todo:
        t = truth[iid]
        links = None if t.link_poses is None else t.link_poses.tobytes()
        key = (id(t.parts), poses[iid], links, view_key)
        hit = _SEEN.get(key)
        if hit is not None and hit[0] is t.parts:
            _SEEN.move_to_end(key)
            t.amodal, t.amodal_offset = hit[1], hit[2]
            continue
        mask, offset = silhouette(t, pose_matrix(*poses[iid], normalize=True), cam_from_world, view)
        if lens is not None:
            mask, offset = through_lens(mask, offset, lens)
        mask.setflags(write=False)
        _SEEN[key] = (t.parts, mask, offset)
        _SEEN.move_to_end(key)
        while len(_SEEN) > SEEN_LIMIT:
            _SEEN.popitem(last=False)
        t.amodal, t.amodal_offset = mask, offset
