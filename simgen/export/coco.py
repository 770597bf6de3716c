"""COCO instances: ``coco/annotations/instances_<split>.json`` + ``coco/images/<split>/*.png``.

Masks are compressed RLE (pycocotools), category ids are the scenario's class positions
(from 1, stable whatever appears), image and annotation ids are assigned at ``finish`` in
dataset order, so they are unique and independent of the worker count.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from simgen.export.atomic import write_bytes, write_json
from simgen.export.base import DatasetInfo, Exporter, Record, register_exporter
from simgen.sensors.frame import Frame

# zlib level 1 without PNG row filters: ~4x faster than OpenCV's default (level 3, adaptive
# filters) on rendered frames, and about as small, since flat-shaded renders compress well
# without filtering (scripts/bench_render.py, docs/benchmarks.md). The filter flag needs
# OpenCV >= 4.11; older versions keep their default filters.
PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):
    PNG_PARAMS += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE]


def encode_png(rgb: Any) -> bytes:
    """Lossless PNG bytes of an (H, W, 3) uint8 RGB image."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), PNG_PARAMS)
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def _write_png(path: Path, rgb: np.ndarray) -> None:
    write_bytes(path, encode_png(rgb))


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

    def begin(self) -> None:
        """Create ``annotations/`` and ``images/<split>/``."""
        (self.root / "annotations").mkdir(parents=True, exist_ok=True)
        for split in self.info.splits:
            (self.root / "images" / split).mkdir(parents=True, exist_ok=True)

    def add(self, frame: Frame) -> Record:
        """Queue the PNG write; return the image entry and its annotations (ids assigned later)."""
        file_name = f"{frame.stem}.png"
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simgen-png")
        while len(self._pending) >= self.MAX_PENDING:
            self._pending.pop(0).result()
        path = self.root / "images" / frame.split / file_name
        self._pending.append(self._writer.submit(_write_png, path, frame.rgb))
        h, w = frame.rgb.shape[:2]
        return {
            "split": frame.split,
            "image": {
                "file_name": file_name,
                "width": w,
                "height": h,
                "episode": frame.episode,
                "frame": frame.index,
                "camera": frame.camera.name,
                "time": round(frame.time, 9),
            },
            "annotations": [
                {
                    "category_id": lab.category_id,
                    "segmentation": lab.rle,
                    "area": lab.area,
                    "bbox": list(lab.bbox),
                    "iscrowd": 0,
                    "instance_id": lab.instance_id,
                    "track_id": lab.instance_id,
                    "object": lab.object_name,
                }
                for lab in frame.labels
            ],
        }

    def flush(self) -> None:
        """Wait for every queued PNG; the first failed write raises here."""
        pending, self._pending = self._pending, []
        for fut in pending:
            fut.result()

    def finish(self, records: list[Record]) -> None:
        """Write one ``instances_<split>.json`` per split with globally unique ids."""
        self.flush()
        categories = [
            {"id": i + 1, "name": name, "supercategory": name} for i, name in enumerate(self.info.class_names)
        ]
        per_split: dict[str, dict[str, list[Any]]] = {s: {"images": [], "annotations": []} for s in self.info.splits}
        image_id = 0
        ann_id = 0
        for rec in records:
            image_id += 1
            image = {"id": image_id, **rec["image"]}
            per_split[rec["split"]]["images"].append(image)
            for ann in rec["annotations"]:
                ann_id += 1
                per_split[rec["split"]]["annotations"].append({"id": ann_id, "image_id": image_id, **ann})
        for split, content in per_split.items():
            doc = {
                "info": {
                    "description": self.info.description or self.info.name,
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
