"""COCO box evaluation with pycocotools: mAP (IoU 0.50:0.95) and mAP@0.5, overall and per class.

The figures are pycocotools' own: ``COCOeval(iouType='bbox')`` with its default parameters
(10 IoU thresholds, 101 recall points, up to 100 detections per image, all areas). Overall mAP
is ``stats[0]``/``stats[1]`` of ``summarize``; a class's AP is the same mean restricted to its
slice of the precision array. A class with no ground truth in the evaluated set has no AP
(``None``), exactly as pycocotools leaves it (-1) out of the mean; a set with no ground truth
at all has no mAP either.

Inputs are plain COCO data: ``gt`` a dataset dict (``images``, ``annotations`` with ``bbox``
``[x, y, w, h]`` in pixels, ``area`` and ``iscrowd``, ``categories``), ``detections`` a list of
``{"image_id", "category_id", "bbox": [x, y, w, h], "score"}``.
"""

from __future__ import annotations

import contextlib
import copy
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class EvalResult:
    """COCO box metrics of one prediction set: overall and per class name (None: no ground truth)."""

    map: float | None
    map50: float | None
    per_class: dict[str, dict[str, float | None]] = field(default_factory=dict)
    images: int = 0
    annotations: int = 0
    detections: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "map": self.map,
            "map50": self.map50,
            "per_class": self.per_class,
            "images": self.images,
            "annotations": self.annotations,
            "detections": self.detections,
        }


def _mean_valid(values: np.ndarray) -> float | None:
    valid = values[values > -1]
    return float(valid.mean()) if valid.size else None


def coco_evaluate(gt: dict[str, Any], detections: list[dict[str, Any]]) -> EvalResult:
    """Evaluate ``detections`` against ``gt`` with pycocotools' COCOeval (bbox).

    Example:
        >>> gt = {"images": [{"id": 1, "width": 10, "height": 10}],
        ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4],
        ...                        "area": 16, "iscrowd": 0}],
        ...       "categories": [{"id": 1, "name": "box"}]}
        >>> r = coco_evaluate(gt, [{"image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4], "score": 0.9}])
        >>> round(r.map, 6), round(r.per_class["box"]["ap50"], 6)
        (1.0, 1.0)
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    gt = copy.deepcopy(gt)
    gt.setdefault("info", {})
    for ann in gt["annotations"]:
        ann.setdefault("iscrowd", 0)
        ann.setdefault("area", float(ann["bbox"][2] * ann["bbox"][3]))
    names = {c["id"]: c["name"] for c in gt["categories"]}
    result = EvalResult(
        map=0.0,
        map50=0.0,
        images=len(gt["images"]),
        annotations=len(gt["annotations"]),
        detections=len(detections),
    )
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        if not gt["annotations"]:
            result.per_class = {n: {"ap": None, "ap50": None} for n in names.values()}
            result.map = result.map50 = None
            return result
        if not detections:
            result.per_class = {
                n: {"ap": 0.0 if coco_gt.getAnnIds(catIds=[i]) else None, "ap50": None} for i, n in names.items()
            }
            for stats in result.per_class.values():
                stats["ap50"] = stats["ap"]
            return result
        dets = [{k: d[k] for k in ("image_id", "category_id", "bbox", "score")} for d in detections]
        coco_dt = coco_gt.loadRes(dets)
        ev = COCOeval(coco_gt, coco_dt, iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    result.map = float(ev.stats[0])
    result.map50 = float(ev.stats[1])
    # precision: [T iou thresholds, R recall points, K categories, A area ranges, M max dets]
    precision = ev.eval["precision"]
    area_all = ev.params.areaRngLbl.index("all")
    max_dets = len(ev.params.maxDets) - 1
    iou50 = int(np.argmin(np.abs(ev.params.iouThrs - 0.5)))
    for k, cat_id in enumerate(ev.params.catIds):
        p = precision[:, :, k, area_all, max_dets]
        result.per_class[names[cat_id]] = {"ap": _mean_valid(p), "ap50": _mean_valid(p[iou50])}
    return result
