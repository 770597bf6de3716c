"""Per-instance 2D labels from the instance map: tight visible bbox, area, COCO RLE mask.

Vectorised over the whole image: one boolean stack (H, W, K) for the K labeled instances,
no per-pixel Python loops.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from simgen.scenario.spec import ObjectInstance
from simgen.sensors.frame import Frame, InstanceLabel


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


def encode_masks(masks: np.ndarray) -> list[dict[str, str | list[int]]]:
    """COCO compressed RLE for an (H, W, K) bool stack; ``counts`` decoded to str for JSON."""
    rles = mask_utils.encode(np.asfortranarray(masks.astype(np.uint8)))
    for r in rles:
        r["counts"] = r["counts"].decode("ascii")
    return rles


def label_instances(instance: np.ndarray, objects: tuple[ObjectInstance, ...], min_pixels: int) -> list[InstanceLabel]:
    """Labels for every object with at least ``min_pixels`` visible pixels, in instance-id order."""
    if not objects:
        return []
    by_id = {o.instance_id: o for o in objects}
    counts = np.bincount(instance.ravel(), minlength=max(by_id) + 1)
    keep = np.array([i for i in sorted(by_id) if counts[i] >= min_pixels], dtype=np.int32)
    if keep.size == 0:
        return []
    masks = instance[:, :, None] == keep[None, None, :]
    rows = masks.any(axis=1)
    cols = masks.any(axis=0)
    h, w = instance.shape
    y0 = rows.argmax(axis=0)
    y1 = h - rows[::-1].argmax(axis=0)
    x0 = cols.argmax(axis=0)
    x1 = w - cols[::-1].argmax(axis=0)
    rles = encode_masks(masks)
    labels = []
    for k, iid in enumerate(keep.tolist()):
        o = by_id[iid]
        labels.append(
            InstanceLabel(
                instance_id=iid,
                object_name=o.name,
                class_name=o.class_name,
                category_id=o.category_id,
                bbox=(float(x0[k]), float(y0[k]), float(x1[k] - x0[k]), float(y1[k] - y0[k])),
                area=int(counts[iid]),
                rle=rles[k],
            )
        )
    return labels


def label_frame(frame: Frame, min_pixels: int) -> Frame:
    """Fill ``frame.labels`` from its instance map; returns the same frame for chaining."""
    frame.labels = label_instances(frame.instance, frame.objects, min_pixels)
    return frame
