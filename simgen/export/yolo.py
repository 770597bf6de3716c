"""YOLO (Ultralytics) layout: ``data.yaml``, ``images/<split>/*.png``, ``labels/<split>/*.txt``.

One line per labeled object: ``class cx cy w h`` normalised to [0, 1] (detect), or with
``yolo-seg`` ``class x1 y1 x2 y2 ...`` (the visible mask's largest outer contour, normalised).
Class ids are the scenario's class positions from 0 (COCO id - 1), so every format agrees on
the class list. Crowd/ignore regions are left out (YOLO has no ignore flag).

``data.yaml`` has no ``path`` key and only relative split folders (``train: images/train``):
Ultralytics' ``check_det_dataset`` then takes the yaml's own folder as the dataset root, so the
dataset still works after it is moved or shared, and identical runs into different folders
write identical bytes. ``dataset.yaml`` is the same file under the name FiftyOne's
``YOLOv5Dataset`` importer looks for. Only splits that received images are listed. When no ``val`` split has
images, ``val`` points at the training images (Ultralytics requires the key); the run summary
and the dataset card say so, since validation metrics then measure training images.
"""

from __future__ import annotations

import cv2
import numpy as np

from simgen.core.fileio import write_bytes, write_text
from simgen.export.base import Exporter, Record, register_exporter
from simgen.export.data_yaml import write_data_yaml
from simgen.export.encode import encoded_rgb
from simgen.frame import Frame
from simgen.labels.geometry import xywh_to_cxcywh


def _fmt(v: float) -> str:
    return f"{v:.6f}"


def polygon(mask: np.ndarray) -> np.ndarray:
    """(N, 2) float64 pixel-centre vertices of the largest outer contour of an (H, W) bool mask."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return np.zeros((0, 2))
    best = max(contours, key=lambda c: (cv2.contourArea(c), len(c)))
    return best.reshape(-1, 2).astype(np.float64)


@register_exporter
class YoloExporter(Exporter):
    """Ultralytics YOLO detection labels (normalised centre boxes)."""

    name = "yolo"
    summary = "Ultralytics YOLO: data.yaml (and dataset.yaml) + images/<split> + labels/<split> (cx cy w h)"
    segments = False

    def lines(self, frame: Frame) -> list[str]:
        """Label file lines for ``frame``."""
        h, w = frame.instance.shape
        out = []
        for lab in frame.labels:
            if lab.ignore:
                continue
            cls = lab.category_id - 1
            if self.segments:
                poly = polygon(frame.instance == lab.instance_id)
                if len(poly) < 3:
                    continue
                norm = (poly + 0.5) / np.array([w, h])
                out.append(" ".join([str(cls), *(_fmt(v) for v in norm.ravel())]))
            else:
                cx, cy, bw, bh = xywh_to_cxcywh(np.array(lab.bbox)) / np.array([w, h, w, h])
                out.append(" ".join([str(cls), _fmt(cx), _fmt(cy), _fmt(bw), _fmt(bh)]))
        return out

    def add(self, frame: Frame) -> Record:
        """Write the image and its label file; return the split and stem."""
        write_bytes(self.root / "images" / frame.split / f"{frame.stem}.png", encoded_rgb(frame, "png"), durable=False)
        lines = self.lines(frame)
        write_text(
            self.root / "labels" / frame.split / f"{frame.stem}.txt", "".join(f"{x}\n" for x in lines), durable=False
        )
        return {"split": frame.split, "stem": frame.stem, "objects": len(lines)}

    def _splits(self, records: list[Record]) -> list[str]:
        """The scenario's splits that received images, in the scenario's order (all if none did)."""
        used = {rec["split"] for rec in records}
        return [s for s in self.info.splits if s in used] or list(self.info.splits)

    def finish(self, records: list[Record]) -> None:
        """Write ``data.yaml`` (see :func:`write_data_yaml`) and the same text as ``dataset.yaml``."""
        text = write_data_yaml(self.root, self._splits(records), self.info.class_names, "synthetic images")
        write_text(self.root / "dataset.yaml", text)  # the name FiftyOne's YOLOv5 importer opens

    def notes(self, records: list[Record]) -> list[str]:
        """Say when ``val`` falls back to the training images."""
        if "val" in self._splits(records):
            return []
        return [
            f"{self.name}: no val images, data.yaml val = images/train (validation metrics measure training images)"
        ]


@register_exporter
class YoloSegExporter(YoloExporter):
    """Ultralytics YOLO segmentation labels (normalised polygons)."""

    name = "yolo-seg"
    summary = "Ultralytics YOLO segmentation: same layout, polygon labels from the visible masks"
    segments = True
