"""A labeled :class:`Frame` as a torchvision detection target (numpy arrays; the dataset makes tensors).

Boxes are the COCO exporter's boxes converted to XYXY pixels, labels its category ids (the
scenario's class positions from 1; 0 stays free for a detector's background), ``image_id`` the
file stem it writes. Crowd and ego ignore regions (``iscrowd: 1`` in COCO) are no targets: they
appear only under ``crowd_boxes`` (and ``crowd_masks``) when ``iscrowd`` is asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.frame import Frame, InstanceLabel

# Optional target fields, each costing time or memory per frame only when asked for.
TARGET_EXTRAS = ("masks", "visibility", "iscrowd", "area", "boxes3d")


def xyxy(labels: list[InstanceLabel]) -> np.ndarray:
    """(N, 4) float32 XYXY pixel boxes of ``labels`` (COCO's x, y, w, h -> x1, y1, x2, y2)."""
    boxes = np.array([lab.bbox for lab in labels], dtype=np.float64).reshape(-1, 4)
    boxes[:, 2:] += boxes[:, :2]
    return boxes.astype(np.float32)


def _masks(frame: Frame, labels: list[InstanceLabel]) -> np.ndarray:
    """(N, H, W) uint8 visible masks, 1 on each label's pixels (the COCO RLE decoded)."""
    ids = np.array([lab.instance_id for lab in labels], dtype=frame.instance.dtype)
    return (frame.instance[None, :, :] == ids[:, None, None]).astype(np.uint8)


def _boxes3d(labels: list[InstanceLabel]) -> dict[str, np.ndarray]:
    """3D boxes in the camera frame (OpenCV axes, metres): centre, size (l, w, h), camera_from_box; NaN if unknown."""
    n = len(labels)
    center, size, rot = np.full((n, 3), np.nan), np.full((n, 3), np.nan), np.full((n, 3, 3), np.nan)
    for k, lab in enumerate(labels):
        if lab.center_cam is not None and lab.box_size is not None and lab.R_cam is not None:
            center[k], size[k], rot[k] = lab.center_cam, lab.box_size, lab.R_cam
    f32 = np.float32
    return {"boxes3d_center": center.astype(f32), "boxes3d_size": size.astype(f32), "boxes3d_rotation": rot.astype(f32)}


def detection_target(frame: Frame, extras: tuple[str, ...] = ()) -> dict[str, Any]:
    """The torchvision detection target of ``frame``: boxes, labels, image_id, plus ``extras``.

    Every array is aligned with ``boxes`` except ``crowd_*``. ``iscrowd`` is all zeros (targets
    are never crowds) and brings ``crowd_boxes``; ``visibility`` is NaN where unknown.
    """
    objects = [lab for lab in frame.labels if not lab.ignore]
    target: dict[str, Any] = {
        "boxes": xyxy(objects),
        "labels": np.array([lab.category_id for lab in objects], dtype=np.int64),
        "image_id": frame.stem,
    }
    if "masks" in extras:
        target["masks"] = _masks(frame, objects)
    if "visibility" in extras:
        vis = [np.nan if lab.visibility is None else lab.visibility for lab in objects]
        target["visibility"] = np.array(vis, dtype=np.float32)
    if "area" in extras:
        target["area"] = np.array([lab.area for lab in objects], dtype=np.float32)
    if "iscrowd" in extras:
        crowds = [lab for lab in frame.labels if lab.ignore]
        target["iscrowd"] = np.zeros(len(objects), dtype=np.int64)
        target["crowd_boxes"] = xyxy(crowds)
        if "masks" in extras:
            target["crowd_masks"] = _masks(frame, crowds)
    if "boxes3d" in extras:
        target.update(_boxes3d(objects))
    return target
