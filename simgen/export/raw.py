"""raw: everything per frame as NumPy/PNG/JSON, for users who want all the ground truth.

``raw/<split>/<stem>/``:
- ``rgb.png`` (8-bit RGB), ``depth.npy`` ((H, W) float32 metres along the optical axis, 0 = no
  surface), ``depth_mm.png`` (uint16 millimetres, 0 = no surface),
- ``instance.png`` (uint16 instance ids, 0 = background), ``semantic.png`` (uint16 category ids),
- ``labels.json``: camera (K, pose), object poses, and every label field (visible/amodal boxes
  and RLE masks, visibility, truncation, occlusion, 3D boxes, 6D pose, keypoints), and
  ``faults`` (frozen_from, occluded_fraction, exposure_gain, true_time) when a camera fault hit,
- ``points.npy`` ((N, 4) float32 x, y, z, reflectance in the LiDAR frame), ``point_instance.npy``
  ((N,) int32) and ``point_semantic.npy`` ((N,) uint16 category ids) when a LiDAR sweep exists.

``raw/index.json`` lists frames in dataset order with the class list. Each frame folder is
written under a hidden name and renamed into place whole (atomic per frame).
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from simgen.core.fileio import StagedDir, write_json
from simgen.export.base import Exporter, Record, register_exporter
from simgen.export.encode import depth_png, encode_png_gray, encoded_rgb, fault_flags, label_json
from simgen.frame import Frame


def npy_bytes(array: np.ndarray) -> bytes:
    """``.npy`` file bytes of an array (no pickling)."""
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def point_classes(frame: Frame) -> np.ndarray:
    """(N,) uint16 category id per LiDAR point (0 = background) from its instance id."""
    assert frame.lidar is not None
    lut = np.zeros(max([o.instance_id for o in frame.objects], default=0) + 1, dtype=np.uint16)
    for o in frame.objects:
        lut[o.instance_id] = o.category_id
    ids = np.asarray(frame.lidar.instance, dtype=np.int64)
    return np.where(ids < len(lut), lut[np.clip(ids, 0, len(lut) - 1)], 0).astype(np.uint16)


def _labels_doc(frame: Frame) -> dict[str, Any]:
    """The frame's ``labels.json``: camera, poses, objects, labels and fault flags."""
    doc = {
        "episode": frame.episode,
        "frame": frame.index,
        "time": round(frame.time, 9),
        "split": frame.split,
        "camera": frame.camera.to_json(),
        "poses": {
            str(k): {"position": list(p), "quaternion_xyzw": list(q)} for k, (p, q) in sorted(frame.poses.items())
        },
        "objects": [{"instance_id": o.instance_id, "name": o.name, "class": o.class_name} for o in frame.objects],
        "labels": [label_json(lab) for lab in frame.labels],
    }
    faults = fault_flags(frame)
    if faults:
        doc["faults"] = faults
    return doc


@register_exporter
class RawExporter(Exporter):
    """Per-frame arrays and JSON labels, no format conventions in the way."""

    name = "raw"
    summary = "raw per frame: rgb.png, depth.npy + depth_mm.png, instance/semantic.png, labels.json"

    def add(self, frame: Frame) -> Record:
        """Write the frame's folder."""
        d = StagedDir(self.root / frame.split / frame.stem)
        try:
            d.write("rgb.png", encoded_rgb(frame, "png"))
            d.write("depth.npy", npy_bytes(frame.depth.astype(np.float32)))
            d.write("depth_mm.png", depth_png(frame))
            d.write("instance.png", encode_png_gray(frame.instance.astype(np.uint16)))
            d.write("semantic.png", encode_png_gray(frame.semantic.astype(np.uint16)))
            if frame.lidar is not None:
                d.write("points.npy", npy_bytes(np.asarray(frame.lidar.points, np.float32)))
                d.write("point_instance.npy", npy_bytes(np.asarray(frame.lidar.instance, np.int32)))
                d.write("point_semantic.npy", npy_bytes(point_classes(frame)))
            doc = _labels_doc(frame)
            d.write("labels.json", (json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n").encode())
            d.commit()
        except BaseException:
            d.abort()  # no half-written folder stays behind
            raise
        return {"split": frame.split, "stem": frame.stem, "labels": len(frame.labels)}

    def finish(self, records: list[Record]) -> None:
        """Write ``index.json``."""
        write_json(
            self.root / "index.json",
            {
                "synthetic": True,
                "classes": [{"id": i + 1, "name": n} for i, n in enumerate(self.info.class_names)],
                "frames": [f"{r['split']}/{r['stem']}" for r in records],
            },
            indent=1,
        )
