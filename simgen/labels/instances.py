"""Per-instance 2D labels from the instance map: tight visible bbox, area, COCO RLE mask.

Vectorised over the whole image: one uint8 mask stack (H, W, K) for the K labeled instances,
laid out the way COCO RLE reads it; no per-pixel Python loops.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from simgen.scenario.spec import ObjectInstance
from simgen.sensors.frame import Frame, InstanceLabel


def instance_map(body_uid: np.ndarray, instance_of_uid: np.ndarray) -> np.ndarray:
    """(H, W) int32 instance ids (0 = background/ground) from per-pixel body uids (-1 = nothing)."""
    # Shift by one so uid -1 reads the leading 0; uids past the table clip onto the trailing 0.
    lut = np.concatenate([[0], instance_of_uid, [0]]).astype(np.int32, copy=False)
    return np.take(lut, body_uid + 1, mode="clip")


def semantic_map(instance: np.ndarray, objects: tuple[ObjectInstance, ...]) -> np.ndarray:
    """(H, W) uint16 category ids (0 = background) via a lookup over instance ids."""
    lut = np.zeros(max([o.instance_id for o in objects], default=0) + 1, dtype=np.uint16)
    for o in objects:
        lut[o.instance_id] = o.category_id
    return np.take(lut, instance)


def encode_masks(masks: np.ndarray) -> list[dict[str, str | list[int]]]:
    """COCO compressed RLE for an (H, W, K) bool/uint8 stack; ``counts`` decoded to str for JSON.

    A Fortran-ordered uint8 stack is encoded without a copy.
    """
    rles = mask_utils.encode(np.asfortranarray(masks, dtype=np.uint8))
    for r in rles:
        r["counts"] = r["counts"].decode("ascii")
    return rles


def instance_masks(instance: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(H, W, K) uint8 Fortran-ordered stack, mask k = ``instance == ids[k]``, in one vectorised pass.

    Comparing against a contiguous transposed copy of the map lays each mask out column-major,
    which is what COCO RLE reads, so the encoder needs no further copy.
    """
    transposed = np.ascontiguousarray(instance.T)  # (W, H)
    stack = np.equal(transposed[None, :, :], ids[:, None, None])  # (K, W, H), C order
    return stack.view(np.uint8).transpose(2, 1, 0)


def label_instances(instance: np.ndarray, objects: tuple[ObjectInstance, ...], min_pixels: int) -> list[InstanceLabel]:
    """Labels for every object with at least ``min_pixels`` visible pixels, in instance-id order.

    Boxes come from the RLE (pycocotools ``toBbox``): tight pixel bounds of the visible mask.
    """
    if not objects:
        return []
    by_id = {o.instance_id: o for o in objects}
    counts = np.bincount(instance.ravel(), minlength=max(by_id) + 1)
    keep = np.array([i for i in sorted(by_id) if counts[i] >= min_pixels], dtype=np.int32)
    if keep.size == 0:
        return []
    rles = encode_masks(instance_masks(instance, keep))
    boxes = mask_utils.toBbox([{**r, "counts": r["counts"].encode("ascii")} for r in rles])
    labels = []
    for k, iid in enumerate(keep.tolist()):
        o = by_id[iid]
        labels.append(
            InstanceLabel(
                instance_id=iid,
                object_name=o.name,
                class_name=o.class_name,
                category_id=o.category_id,
                bbox=tuple(float(v) for v in boxes[k]),
                area=int(counts[iid]),
                rle=rles[k],
            )
        )
    return labels


def label_frame(frame: Frame, min_pixels: int) -> Frame:
    """Fill ``frame.labels`` from its instance map; returns the same frame for chaining."""
    frame.labels = label_instances(frame.instance, frame.objects, min_pixels)
    return frame
