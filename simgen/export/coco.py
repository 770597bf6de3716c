"""COCO instances: ``coco/annotations/instances_<split>.json`` + ``coco/images/<split>/*.png``.

Masks are compressed RLE (pycocotools), category ids are the scenario's class positions
(from 1, stable whatever appears), image and annotation ids are assigned at ``finish`` in
dataset order, so they are unique and independent of the worker count.

Beyond the standard keys each annotation carries (extra keys, ignored by COCO tools):
``amodal_bbox``/``amodal_area``/``amodal_segmentation`` (the object as if unoccluded),
``visibility``, ``truncation``, ``occlusion`` (KITTI bucket), ``instance_id``/``track_id``
(stable within an episode), ``pose`` (R row-major, t metres, camera_from_object, OpenCV axes)
and ``box3d`` (centre/R in camera and world, size in metres, yaw of the box's x axis about
world z). Articulated bodies add COCO ``keypoints`` (link origins, v = 0/1/2) and their
category lists the keypoint names. Crowd or ignore regions (scenario ``labels.ignore_regions``)
are written with ``iscrowd: 1``. An image a camera fault touched carries ``faults`` (names,
``frozen_from``, ``occluded_fraction``, ``exposure_gain``, ``true_time``; see
:func:`simgen.export.encode.fault_flags`); fault-free images have no such key.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from simgen.core.fileio import write_bytes, write_json
from simgen.export.base import DatasetInfo, Exporter, Record, empty_split_notes, register_exporter
from simgen.export.encode import encoded_rgb, fault_flags
from simgen.frame import Frame, InstanceLabel


def encode_png(rgb: Any) -> bytes:
    """PNG bytes of an (H, W, 3) uint8 RGB image."""
    import cv2

    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def annotation(lab: InstanceLabel) -> dict[str, Any]:
    """One COCO annotation (without ``id``/``image_id``) with simgen's extra keys."""
    ann: dict[str, Any] = {
        "category_id": lab.category_id,
        "segmentation": lab.rle,
        "area": lab.area,
        "bbox": list(lab.bbox),
        "iscrowd": 1 if lab.ignore else 0,
        "instance_id": lab.instance_id,
        "track_id": lab.instance_id,
        "object": lab.object_name,
        "visibility": lab.visibility,
        "truncation": lab.truncation,
        "occlusion": lab.occlusion,
    }
    if lab.amodal_rle is not None:
        ann["amodal_bbox"] = list(lab.amodal_bbox or ())
        ann["amodal_area"] = lab.amodal_area
        ann["amodal_segmentation"] = lab.amodal_rle
    if lab.R_obj_cam is not None:
        ann["pose"] = {"R": [list(r) for r in lab.R_obj_cam], "t": list(lab.t_obj_cam or ())}
        ann["box3d"] = {
            "size": list(lab.box_size or ()),
            "center_cam": list(lab.center_cam or ()),
            "R_cam": [list(r) for r in lab.R_cam or ()],
            "center_world": list(lab.center_world or ()),
            "R_world": [list(r) for r in lab.R_world or ()],
            "yaw_world": math.atan2(lab.R_world[1][0], lab.R_world[0][0]) if lab.R_world else None,
        }
    if lab.keypoints:
        ann["keypoints"] = [v for kp in lab.keypoints for v in kp]
        ann["num_keypoints"] = sum(1 for kp in lab.keypoints if kp[2] > 0)
        ann["keypoint_names"] = list(lab.keypoint_names or ())
    if lab.lidar_points >= 0:
        ann["lidar_points"] = lab.lidar_points
    if lab.effect_visibility is not None:
        ann["effect_visibility"] = lab.effect_visibility
    if lab.metadata:
        ann["attributes"] = dict(lab.metadata)  # the key CVAT and datumaro read per-annotation attributes from
    return ann


def _write_png(path: Path, frame: Frame) -> None:
    write_bytes(path, encoded_rgb(frame, "png"), durable=False)


@register_exporter
class CocoExporter(Exporter):
    """COCO detection/instance segmentation, readable by pycocotools and datumaro."""

    name = "coco"
    summary = "COCO instances JSON (RLE masks) + PNG images, one file per split"

    # PNG encoding and writing (zlib and the write release the GIL) overlap the next frame's
    # render in one background thread; at most this many frames wait, bounding memory.
    MAX_PENDING = 2

    def __init__(self, info: DatasetInfo) -> None:
        super().__init__(info)
        self._writer: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []

    def add(self, frame: Frame) -> Record:
        """Queue the PNG write; return the image entry and its annotations (ids assigned later)."""
        file_name = f"{frame.stem}.png"
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simgen-png")
        while len(self._pending) >= self.MAX_PENDING:
            self._pending.pop(0).result()
        path = self.root / "images" / frame.split / file_name
        self._pending.append(self._writer.submit(_write_png, path, frame))
        h, w = frame.rgb.shape[:2]
        image = {
            "file_name": file_name,
            "width": w,
            "height": h,
            "episode": frame.episode,
            "frame": frame.index,
            "camera": frame.camera.name,
            "time": round(frame.time, 9),
        }
        faults = fault_flags(frame)
        if faults:  # only on touched frames: fault-free datasets keep their exact layout
            image["faults"] = faults
        return {"split": frame.split, "image": image, "annotations": [annotation(lab) for lab in frame.labels]}

    def flush(self) -> None:
        """Wait for every queued PNG; the first failed write raises here."""
        pending, self._pending = self._pending, []
        for fut in pending:
            fut.result()

    def end_episode(self, episode: int) -> None:
        """An episode's images are all on disk when it ends, whoever drives the exporter."""
        self.flush()

    def abort(self, episode: int) -> None:
        """Wait out the queued PNG writes (their errors no longer matter), so none lands after the clean-up."""
        pending, self._pending = self._pending, []
        for fut in pending:
            fut.exception()

    def finish(self, records: list[Record]) -> None:
        """Write one ``instances_<split>.json`` per split with globally unique ids."""
        self.flush()
        categories = [
            {"id": i + 1, "name": name, "supercategory": name} for i, name in enumerate(self.info.class_names)
        ]
        for rec in records:
            for ann in rec["annotations"]:
                names = ann.get("keypoint_names")
                if names:
                    categories[ann["category_id"] - 1].setdefault("keypoints", names)
                    categories[ann["category_id"] - 1].setdefault("skeleton", [])
        per_split: dict[str, dict[str, list[Any]]] = {s: {"images": [], "annotations": []} for s in self.info.splits}
        image_id = 0
        ann_id = 0
        for rec in records:
            image_id += 1
            image = {"id": image_id, **rec["image"]}
            per_split[rec["split"]]["images"].append(image)
            for ann in rec["annotations"]:
                ann_id += 1
                fields = {k: v for k, v in ann.items() if k != "keypoint_names"}
                per_split[rec["split"]]["annotations"].append({"id": ann_id, "image_id": image_id, **fields})
        for split, content in per_split.items():
            if not content["images"]:
                continue  # an empty instances file breaks COCO evaluators: none is written (see notes)
            doc = {
                "info": {
                    "description": f"Synthetic images rendered by simgen (scenario '{self.info.name}'). "
                    + (self.info.description or ""),
                    "version": self.info.version,
                    "contributor": "simgen",
                    "synthetic": True,
                    "year": 0,
                    "url": "",
                    "date_created": "",
                },
                "licenses": [],
                "images": content["images"],
                "annotations": content["annotations"],
                "categories": categories,
            }
            write_json(self.root / "annotations" / f"instances_{split}.json", doc)

    def notes(self, records: list[Record]) -> list[str]:
        """Name the splits that got no images and so no annotation file."""
        return empty_split_notes(self.name, self.info.splits, records, "annotations/instances_{}.json")
