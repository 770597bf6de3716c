"""Per-instance labels from ground truth: 2D (visible and amodal), 3D boxes, 6D pose, keypoints.

Vectorised over the whole image: one boolean stack (H, W, K) for the K candidate instances,
no per-pixel Python loops. Everything is computed from the instance map and the simulator's
poses/geometry carried by the :class:`Frame` (``frame.truth``), never from rendered colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from simgen.core.transforms import pose_matrix, project, transform_points
from simgen.frame import Frame, InstanceLabel, ObjectTruth
from simgen.labels.amodal import fill_amodal
from simgen.labels.ego import apply_ego_policy
from simgen.labels.geometry import box_corners, box_truncation, occlusion_level
from simgen.scenario.spec import ObjectInstance


@dataclass(frozen=True)
class LabelOptions:
    """Which objects get labels, from the scenario's ``labels:`` block.

    Objects of ``ignore_classes`` are never labeled. Objects with fewer than
    ``min_visible_pixels`` visible pixels or a visible share below ``min_visibility`` are
    dropped, or, with ``ignore_regions``, kept as crowd/ignore regions (COCO ``iscrowd=1``,
    KITTI ``DontCare``) so detectors are not punished for them. ``ego`` is what a camera's
    frames get for the body it is mounted on (see :mod:`simgen.labels.ego`). ``amodal``: draw each
    object's whole silhouette from its geometry (amodal box and mask, visibility, occlusion level).
    """

    min_visible_pixels: int = 16
    min_visibility: float = 0.0
    ignore_classes: tuple[str, ...] = ()
    ignore_regions: bool = False
    ego: str = "ignore"
    amodal: bool = True

    @classmethod
    def from_json(cls, d: dict[str, Any] | None, min_visible_pixels: int = 16) -> LabelOptions:
        """Options from an EpisodeSpec's ``labels`` record (missing keys take defaults)."""
        d = d or {}
        return cls(
            min_visible_pixels=int(d.get("min_visible_pixels", min_visible_pixels)),
            min_visibility=float(d.get("min_visibility", 0.0)),
            ignore_classes=tuple(d.get("ignore_classes", ())),
            ignore_regions=bool(d.get("ignore_regions", False)),
            ego=str(d.get("ego", "ignore")),
            amodal=bool(d.get("amodal", True)),
        )


def instance_map(body_uid: np.ndarray, instance_of_uid: np.ndarray) -> np.ndarray:
    """(H, W) int32 instance ids (0 = background/ground) from per-pixel body uids (-1 = nothing)."""
    valid = (body_uid >= 0) & (body_uid < len(instance_of_uid))
    out = np.zeros(body_uid.shape, dtype=np.int32)
    out[valid] = instance_of_uid[body_uid[valid]]
    return out


def semantic_map(instance: np.ndarray, objects: tuple[ObjectInstance, ...]) -> np.ndarray:
    """(H, W) uint16 category ids (0 = background) via a lookup over instance ids."""
    lut = np.zeros(max([o.instance_id for o in objects], default=0) + 1, dtype=np.uint16)
    for o in objects:
        lut[o.instance_id] = o.category_id
    return lut[instance]


def instance_masks(instance: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(H, W, K) bool Fortran-ordered stack, mask k = ``instance == ids[k]``, in one vectorised pass.

    Comparing against a contiguous transposed copy of the map lays each mask out column-major,
    which is what COCO RLE reads, so the encoder needs no further copy.
    """
    transposed = np.ascontiguousarray(instance.T)  # (W, H)
    stack = np.equal(transposed[None, :, :], ids[:, None, None])  # (K, W, H), C order
    return stack.transpose(2, 1, 0)


def encode_masks(masks: np.ndarray) -> list[dict[str, Any]]:
    """COCO compressed RLE for an (H, W, K) bool stack; ``counts`` decoded to str for JSON.

    A Fortran-ordered bool stack (see :func:`instance_masks`) is encoded without a copy.
    """
    if masks.dtype == bool and masks.flags.f_contiguous:
        fortran = masks.view(np.uint8)
    else:
        fortran = np.asfortranarray(masks, dtype=np.uint8)
    rles = mask_utils.encode(fortran)
    for r in rles:
        r["counts"] = r["counts"].decode("ascii")
    return rles


def encode_window(mask: np.ndarray, x0: int, y0: int, height: int, width: int) -> dict[str, Any]:
    """COCO compressed RLE of a (height, width) image that is ``mask`` at (x0, y0) and empty elsewhere.

    Same result as :func:`encode_masks` on the whole image, without building it: the runs are
    found in the window (column-major, as COCO reads) and placed in the image.
    """
    h, w = mask.shape
    padded = np.zeros((w, h + 2), dtype=np.int8)
    padded[:, 1 : h + 1] = mask.T
    step = np.diff(padded, axis=1)
    cs, rs = np.nonzero(step == 1)
    ce, re = np.nonzero(step == -1)
    starts = (x0 + cs).astype(np.int64) * height + y0 + rs
    ends = (x0 + ce).astype(np.int64) * height + y0 + re
    if len(starts) > 1:  # a window as tall as the image: a run may go on into the next column
        apart = ends[:-1] != starts[1:]
        starts = starts[np.concatenate([[True], apart])]
        ends = ends[np.concatenate([apart, [True]])]
    edges = np.empty(2 * len(starts) + 2, dtype=np.int64)
    edges[0], edges[1:-1:2], edges[2:-1:2], edges[-1] = 0, starts, ends, height * width
    counts = np.diff(edges)
    if len(counts) > 1 and counts[-1] == 0:
        counts = counts[:-1]
    rle = mask_utils.frPyObjects({"size": [height, width], "counts": counts.tolist()}, height, width)
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def decode_mask(rle: dict[str, Any]) -> np.ndarray:
    """(H, W) bool mask from a COCO compressed RLE with str or bytes ``counts``."""
    counts = rle["counts"]
    r = {"size": rle["size"], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    return mask_utils.decode(r).astype(bool)


def tight_boxes(masks: np.ndarray) -> np.ndarray:
    """(K, 4) float64 (x, y, w, h) tight boxes of an (H, W, K) bool stack (zeros for empty masks)."""
    h, w, _ = masks.shape
    rows = np.asarray(masks.any(axis=1))
    cols = np.asarray(masks.any(axis=0))
    y0 = rows.argmax(axis=0)
    y1 = h - rows[::-1].argmax(axis=0)
    x0 = cols.argmax(axis=0)
    x1 = w - cols[::-1].argmax(axis=0)
    boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1).astype(np.float64)
    boxes[~rows.any(axis=0)] = 0.0
    return boxes


@dataclass
class AmodalStats:
    """Amodal masks of the kept objects and what follows from them, per object (K rows)."""

    boxes: np.ndarray  # (K, 4) float64 x, y, w, h
    area: np.ndarray  # (K,) int64 amodal pixels
    hidden: np.ndarray  # (K,) int64 amodal pixels not visible
    rles: list[dict[str, Any]]


def amodal_stats(
    masks: np.ndarray, boxes: np.ndarray, keep: list[int], truth: dict[int, ObjectTruth]
) -> AmodalStats | None:
    """Amodal mask = visible mask united with the object's whole silhouette, clipped to the image.

    Works in each object's window (its visible box united with its amodal crop), never on whole
    frames. The visible mask is part of the amodal mask by construction, so visibility is plainly
    visible pixels / amodal pixels (``hidden`` = amodal - visible). None when any kept object
    has no amodal crop.
    """
    if not keep or any(truth.get(i) is None or truth[i].amodal is None for i in keep):
        return None
    h, w, n = masks.shape
    rles = []
    a_boxes = np.zeros((n, 4))
    area = np.zeros(n, dtype=np.int64)
    hidden = np.zeros(n, dtype=np.int64)
    for k, iid in enumerate(keep):
        t = truth[iid]
        assert t.amodal is not None  # checked above for every kept object
        bx, by, bw, bh = (int(v) for v in boxes[k])
        cx, cy = t.amodal_offset
        ch, cw = t.amodal.shape
        # crop clipped to the image, then the window covering it and the visible box
        xa, ya, xb, yb = max(cx, 0), max(cy, 0), min(cx + cw, w), min(cy + ch, h)
        inside = xb > xa and yb > ya  # some of the crop lies in the image
        if not inside:
            xa, ya, xb, yb = bx, by, bx + bw, by + bh
        x0, y0, x1, y1 = min(bx, xa), min(by, ya), max(bx + bw, xb), max(by + bh, yb)
        vis = masks[y0:y1, x0:x1, k]
        am = vis.copy()
        if inside:
            am[ya - y0 : yb - y0, xa - x0 : xb - x0] |= t.amodal[ya - cy : yb - cy, xa - cx : xb - cx]
        area[k] = np.count_nonzero(am)
        hidden[k] = area[k] - np.count_nonzero(vis)
        rows, cols = np.flatnonzero(am.any(axis=1)), np.flatnonzero(am.any(axis=0))
        a_boxes[k] = (x0 + cols[0], y0 + rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)
        rles.append(encode_window(am, x0, y0, h, w))
    return AmodalStats(a_boxes, area, hidden, rles)


def _rows(m: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(v) for v in row) for row in m)


def _vec(v: np.ndarray) -> tuple[float, float, float]:
    return (float(v[0]), float(v[1]), float(v[2]))


def _keypoints(frame: Frame, iid: int, links_world: np.ndarray, cam_from_world: np.ndarray) -> list[list[float]]:
    """[u, v, flag] per link origin: 0 outside the image, 1 hidden, 2 visible.

    Visible when the pixel shows this object itself (link origins lie inside its own geometry)
    or when no surface there is nearer than the origin (2 cm tolerance).
    """
    cam = frame.camera
    pts = transform_points(links_world, cam_from_world)
    out = []
    z = pts[:, 2]
    uv = np.zeros((len(pts), 2))
    front = z > cam.near
    if front.any():
        uv[front] = project(cam.K, pts[front], cam.distortion, cam.distortion_model)
    front &= np.isfinite(uv).all(axis=1)  # beyond a fisheye's valid angle: outside the image
    uv[~front] = 0.0
    h, w = frame.instance.shape
    for (u, v), zi, f in zip(uv, z, front, strict=True):
        ui, vi = int(round(u)), int(round(v))
        if not f or not (0 <= ui < w and 0 <= vi < h):
            out.append([0.0, 0.0, 0])
            continue
        d = float(frame.depth[vi, ui])
        seen = frame.instance[vi, ui] == iid or d == 0.0 or zi <= d + 0.02
        out.append([round(float(u), 3), round(float(v), 3), 2 if seen else 1])
    return out


def label_instances(
    instance: np.ndarray,
    objects: tuple[ObjectInstance, ...],
    min_pixels: int | LabelOptions,
    frame: Frame | None = None,
) -> list[InstanceLabel]:
    """Labels for the objects passing the filters (plus ignore regions), in instance-id order.

    With ``frame`` given, amodal masks, visibility, truncation, 3D boxes, poses, keypoints and
    LiDAR point counts are filled from ``frame.truth``/``frame.poses``/``frame.lidar``.
    """
    opts = min_pixels if isinstance(min_pixels, LabelOptions) else LabelOptions(min_visible_pixels=min_pixels)
    if not objects:
        return []
    by_id = {o.instance_id: o for o in objects}
    counts = np.bincount(instance.ravel(), minlength=max(by_id) + 1)
    candidates = [
        i
        for i in sorted(by_id)
        if counts[i] > 0
        and by_id[i].class_name not in opts.ignore_classes
        and (counts[i] >= opts.min_visible_pixels or opts.ignore_regions)
    ]
    if not candidates:
        return []
    keep_arr = np.array(candidates, dtype=np.int32)
    masks = instance_masks(instance, keep_arr)
    rles = encode_masks(masks)
    boxes = mask_utils.toBbox(rles)  # tight x, y, w, h read off the run lengths, no pass over the pixels
    truth = frame.truth if frame is not None else {}
    if frame is not None and opts.amodal:
        fill_amodal(truth, candidates, frame.camera, frame.poses)
    amodal = amodal_stats(masks, boxes, candidates, truth) if opts.amodal else None
    lidar_counts = None
    if frame is not None and frame.lidar is not None:
        lidar_counts = np.bincount(frame.lidar.instance.astype(np.int64), minlength=max(by_id) + 1)
    cam_from_world = np.linalg.inv(frame.camera.world_from_camera) if frame is not None else None
    labels = []
    for k, iid in enumerate(candidates):
        o = by_id[iid]
        area = int(counts[iid])
        lab = InstanceLabel(
            instance_id=iid,
            object_name=o.name,
            class_name=o.class_name,
            category_id=o.category_id,
            bbox=_xywh(boxes[k]),
            area=area,
            rle=rles[k],
            metadata=dict(o.metadata),
        )
        if amodal is not None:
            lab.amodal_bbox = _xywh(amodal.boxes[k])
            lab.amodal_area = int(amodal.area[k])
            lab.amodal_rle = amodal.rles[k]
            lab.visibility = round(area / max(int(amodal.area[k]), 1), 6)
        lab.occlusion = occlusion_level(lab.visibility)
        if frame is not None and cam_from_world is not None and iid in frame.poses and iid in truth:
            _fill_3d(lab, frame, truth[iid], cam_from_world)
        if lidar_counts is not None:
            lab.lidar_points = int(lidar_counts[iid]) if iid < len(lidar_counts) else 0
        too_small = area < opts.min_visible_pixels
        too_hidden = lab.visibility is not None and lab.visibility < opts.min_visibility
        if too_small or too_hidden:
            if not opts.ignore_regions:
                continue
            lab.ignore = True
        labels.append(lab)
    return labels


def _xywh(box: np.ndarray) -> tuple[float, float, float, float]:
    """A (4,) box as a tuple of floats (x, y, w, h)."""
    x, y, w, h = (float(v) for v in box)
    return x, y, w, h


def _fill_3d(lab: InstanceLabel, frame: Frame, t: ObjectTruth, cam_from_world: np.ndarray) -> None:
    """3D box (camera and world), 6D pose, truncation and keypoints of one instance."""
    cam = frame.camera
    pos, quat = frame.poses[lab.instance_id]
    world_from_body = pose_matrix(pos, quat, normalize=True)
    r_world = world_from_body[:3, :3]
    centre_world = r_world @ np.asarray(t.box_center) + world_from_body[:3, 3]
    cam_from_body = cam_from_world @ world_from_body
    centre_cam = cam_from_world[:3, :3] @ centre_world + cam_from_world[:3, 3]
    r_cam = cam_from_body[:3, :3]
    lab.box_size = _vec(t.box_size)
    lab.center_world = _vec(centre_world)
    lab.R_world = _rows(r_world)
    lab.center_cam = _vec(centre_cam)
    lab.R_cam = _rows(r_cam)
    lab.R_obj_cam = _rows(r_cam)
    lab.t_obj_cam = _vec(cam_from_body[:3, 3])
    corners = box_corners(centre_cam, t.box_size, r_cam)
    lab.truncation = round(
        box_truncation(corners, cam.K, cam.width, cam.height, cam.near, cam.distortion, cam.distortion_model), 6
    )
    if t.links is not None and len(t.links):
        lab.keypoints = _keypoints(frame, lab.instance_id, np.asarray(t.links), cam_from_world)
        lab.keypoint_names = tuple(t.link_names)


def label_frame(frame: Frame, options: int | LabelOptions) -> Frame:
    """Fill ``frame.labels`` from its instance map and ground truth, the camera's ego as ``options.ego`` says."""
    opts = options if isinstance(options, LabelOptions) else LabelOptions(min_visible_pixels=options)
    frame.labels = apply_ego_policy(label_instances(frame.instance, frame.objects, opts, frame), frame, opts.ego)
    return frame
