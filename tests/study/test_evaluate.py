"""COCO evaluation of the study against pycocotools on hand-made predictions with known AP."""

from __future__ import annotations

import pytest

from simgen.study.evaluate import coco_evaluate


def _gt(boxes: list[tuple[int, int, list[float]]], categories: tuple[str, ...] = ("a", "b", "c")) -> dict:
    """boxes: (image_id, category_id, [x, y, w, h])."""
    images = sorted({i for i, _, _ in boxes} | {1})
    return {
        "images": [{"id": i, "width": 100, "height": 100, "file_name": f"{i}.png"} for i in images],
        "annotations": [
            {"id": k + 1, "image_id": i, "category_id": c, "bbox": b, "area": b[2] * b[3], "iscrowd": 0}
            for k, (i, c, b) in enumerate(boxes)
        ],
        "categories": [{"id": k + 1, "name": n} for k, n in enumerate(categories)],
    }


def _det(image_id: int, category_id: int, bbox: list[float], score: float) -> dict:
    return {"image_id": image_id, "category_id": category_id, "bbox": bbox, "score": score}


def test_perfect_predictions_score_one() -> None:
    boxes = [(1, 1, [10, 10, 20, 20]), (1, 2, [50, 50, 30, 10]), (2, 1, [5, 60, 12, 30])]
    result = coco_evaluate(_gt(boxes), [_det(i, c, b, 0.9) for i, c, b in boxes])
    assert result.map == pytest.approx(1.0)
    assert result.map50 == pytest.approx(1.0)
    assert result.per_class["a"] == {"ap": pytest.approx(1.0), "ap50": pytest.approx(1.0)}
    assert result.per_class["b"]["ap"] == pytest.approx(1.0)
    # No ground truth of class c: no AP, as pycocotools leaves it out of the mean.
    assert result.per_class["c"] == {"ap": None, "ap50": None}
    assert (result.images, result.annotations, result.detections) == (2, 3, 3)


def test_false_positive_between_two_hits_gives_the_interpolated_ap() -> None:
    # Two objects; ranked detections hit, miss, hit. Precision/recall: (1, .5), (.5, .5), (2/3, 1).
    # COCO interpolates precision from the right: 1.0 up to recall .50 (51 of the 101 recall
    # points), 2/3 above (50 points) => AP = (51 + 50 * 2/3) / 101 at every IoU threshold.
    gt = _gt([(1, 1, [10, 10, 20, 20]), (1, 1, [60, 60, 20, 20])], categories=("a",))
    dets = [_det(1, 1, [10, 10, 20, 20], 0.9), _det(1, 1, [35, 70, 10, 10], 0.8), _det(1, 1, [60, 60, 20, 20], 0.7)]
    expected = (51 + 50 * 2 / 3) / 101
    result = coco_evaluate(gt, dets)
    assert result.map == pytest.approx(expected, abs=1e-9)
    assert result.map50 == pytest.approx(expected, abs=1e-9)
    assert result.per_class["a"]["ap"] == pytest.approx(expected, abs=1e-9)


def test_loose_box_counts_only_up_to_its_iou() -> None:
    # Class a: exact. Class b: detection [0,0,10,16] on ground truth [0,0,10,10] has IoU
    # 100/160 = 0.625, a hit at the thresholds .50, .55, .60 (3 of 10) and a miss above:
    # AP_b = 0.3, AP50_b = 1. mAP = mean over classes with ground truth = (1 + 0.3) / 2.
    gt = _gt([(1, 1, [40, 40, 20, 20]), (1, 2, [0, 0, 10, 10])])
    dets = [_det(1, 1, [40, 40, 20, 20], 0.9), _det(1, 2, [0, 0, 10, 16], 0.8)]
    result = coco_evaluate(gt, dets)
    assert result.per_class["b"]["ap"] == pytest.approx(0.3)
    assert result.per_class["b"]["ap50"] == pytest.approx(1.0)
    assert result.map == pytest.approx(0.65)
    assert result.map50 == pytest.approx(1.0)


def test_wrong_class_and_no_detections_score_zero() -> None:
    gt = _gt([(1, 1, [10, 10, 20, 20])])
    wrong = coco_evaluate(gt, [_det(1, 2, [10, 10, 20, 20], 0.9)])
    assert wrong.map == pytest.approx(0.0) and wrong.per_class["a"]["ap"] == pytest.approx(0.0)
    none = coco_evaluate(gt, [])
    assert none.map == 0.0 and none.map50 == 0.0
    assert none.per_class["a"] == {"ap": 0.0, "ap50": 0.0}
    assert none.per_class["b"] == none.per_class["c"] == {"ap": None, "ap50": None}


def test_agrees_with_pycocotools_summarize() -> None:
    """A messier set: our overall figures are exactly COCOeval.summarize()'s stats[0] and stats[1]."""
    import contextlib
    import io

    import numpy as np
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    rng = np.random.default_rng(np.random.SeedSequence(15))
    boxes, dets = [], []
    for image_id in range(1, 6):
        for _ in range(4):
            x, y = rng.uniform(0, 70, 2)
            w, h = rng.uniform(5, 30, 2)
            cat = int(rng.integers(1, 4))
            boxes.append((image_id, cat, [float(x), float(y), float(w), float(h)]))
            jitter = rng.normal(0, 3, 4)
            box = [float(x + jitter[0]), float(y + jitter[1]), float(w), float(h)]
            dets.append(_det(image_id, cat, box, float(rng.uniform())))
        dets.append(_det(image_id, int(rng.integers(1, 4)), [1.0, 1.0, 10.0, 10.0], float(rng.uniform())))
    gt = _gt(boxes)
    ours = coco_evaluate(gt, dets)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(dets), iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert 0.0 < ours.map < 1.0
    assert ours.map == pytest.approx(ev.stats[0], abs=1e-12)
    assert ours.map50 == pytest.approx(ev.stats[1], abs=1e-12)
    per_class = [v["ap"] for v in ours.per_class.values() if v["ap"] is not None]
    assert ours.map == pytest.approx(sum(per_class) / len(per_class), abs=1e-12)
