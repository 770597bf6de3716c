"""A rendered dataset opened by third-party readers: pycocotools (incl. COCOeval) and datumaro."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import warnings
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

import simgen
from simgen.batch.episode import run_episode
from simgen.sim.client import BulletClient

CLASSES = ["crate", "ball", "can"]


def _annotation_files(dataset: Path) -> list[Path]:
    files = sorted((dataset / "coco" / "annotations").glob("instances_*.json"))
    assert [f.name for f in files] == ["instances_train.json", "instances_val.json"]
    return files


def _quiet_coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


@pytest.fixture(scope="module")
def frames_by_file(small_dataset: Path) -> dict[str, object]:
    """The dataset's frames re-rendered in memory (same scenario, seed, renderer), by image file name."""
    manifest = json.loads((small_dataset / "manifest.json").read_text())
    sc = simgen.loads(json.dumps(manifest["scenario"]["config"]))
    out = {}
    with BulletClient() as client:
        for i in range(manifest["run"]["episodes"]):
            spec = simgen.sample(sc, i, episodes=manifest["run"]["episodes"], seed=manifest["run"]["seed"])
            for frame in run_episode(client, spec, "tiny"):
                out[f"{frame.stem}.png"] = frame
    return out


def test_opens_in_pycocotools_and_masks_match_ground_truth(small_dataset: Path, frames_by_file: dict) -> None:
    n_images = n_anns = 0
    for path in _annotation_files(small_dataset):
        coco = _quiet_coco(path)
        assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == CLASSES
        for img in coco.loadImgs(coco.getImgIds()):
            n_images += 1
            frame = frames_by_file[img["file_name"]]
            assert (img["height"], img["width"]) == frame.instance.shape
            anns = coco.loadAnns(coco.getAnnIds(imgIds=[img["id"]]))
            assert sorted(a["instance_id"] for a in anns) == sorted(lab.instance_id for lab in frame.labels)
            for ann in anns:
                n_anns += 1
                decoded = mask_utils.decode(ann["segmentation"]).astype(bool)
                truth = frame.instance == ann["instance_id"]
                np.testing.assert_array_equal(decoded, truth)
                assert coco.annToMask(ann).sum() == ann["area"] == int(truth.sum())
                ys, xs = np.nonzero(decoded)
                box = [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]
                assert ann["bbox"] == [float(v) for v in box]
                assert list(mask_utils.toBbox(ann["segmentation"])) == ann["bbox"]
                obj = next(o for o in frame.objects if o.instance_id == ann["instance_id"])
                assert ann["category_id"] == CLASSES.index(obj.class_name) + 1
    assert n_images == 4 and n_anns >= 4


def test_ids_and_file_names_are_unique_across_splits(small_dataset: Path) -> None:
    images, anns = [], []
    for path in _annotation_files(small_dataset):
        doc = json.loads(path.read_text())
        assert doc["categories"] == [{"id": i + 1, "name": n, "supercategory": n} for i, n in enumerate(CLASSES)]
        images += doc["images"]
        anns += doc["annotations"]
        split = path.stem.split("_", 1)[1]
        for img in doc["images"]:
            assert (small_dataset / "coco" / "images" / split / img["file_name"]).is_file()
        assert {a["image_id"] for a in doc["annotations"]} <= {i["id"] for i in doc["images"]}
        assert all(a["category_id"] >= 1 and a["iscrowd"] == 0 for a in doc["annotations"])
    assert len({i["id"] for i in images}) == len(images) == 4
    assert len({i["file_name"] for i in images}) == len(images)
    assert len({a["id"] for a in anns}) == len(anns)


def test_category_ids_come_from_class_list_not_from_what_appeared(tmp_path: Path, write_scenario) -> None:
    # 'ghost' is declared first but never spawned; 'ball' must still get id 2.
    path = write_scenario(
        """
        version: 1
        name: cats
        classes: [ghost, ball]
        world: {settle_time: 0}
        objects:
          - {name: b, type: sphere, class: ball, radius: 0.2, mass: 0, position: [0, 0, 0.2]}
        cameras:
          - {width: 64, height: 48, position: [1.5, 0, 0.6], look_at: [0, 0, 0.2]}
        """
    )
    simgen.render(simgen.load(path), tmp_path / "out", renderer="tiny", progress=False)
    doc = json.loads((tmp_path / "out/coco/annotations/instances_train.json").read_text())
    assert [c["name"] for c in doc["categories"]] == ["ghost", "ball"]
    assert [a["category_id"] for a in doc["annotations"]] == [2]


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_cocoeval_of_ground_truth_against_itself_is_perfect(small_dataset: Path, iou_type: str) -> None:
    path = small_dataset / "coco" / "annotations" / "instances_train.json"
    gt = _quiet_coco(path)
    dets = [{**a, "score": 1.0} for a in gt.loadAnns(gt.getAnnIds())]
    for d in dets:
        d.pop("id")
    assert dets, "the train split must hold annotations for this check to mean anything"
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(dets)
        ev = COCOeval(gt, dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    ap = ev.stats[0]
    assert ap == pytest.approx(1.0), ev.stats


def test_datumaro_imports_without_warnings(small_dataset: Path) -> None:
    import datumaro as dm

    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = dm.Dataset.import_from(str(small_dataset / "coco"), "coco_instances")
            items = list(ds)
    finally:
        root.removeHandler(handler)
    assert not [str(w.message) for w in caught]
    assert not [r.getMessage() for r in records if r.levelno >= logging.WARNING]

    expected_items = expected_masks = 0
    for path in _annotation_files(small_dataset):
        doc = json.loads(path.read_text())
        expected_items += len(doc["images"])
        expected_masks += len(doc["annotations"])
    assert len(items) == expected_items
    masks = [a for it in items for a in it.annotations if a.type == dm.AnnotationType.mask]
    boxes = [a for it in items for a in it.annotations if a.type == dm.AnnotationType.bbox]
    assert len(masks) == len(boxes) == expected_masks
    labels = ds.categories()[dm.AnnotationType.label]
    assert [lab.name for lab in labels.items] == CLASSES
    assert {it.subset for it in items} == {"train", "val"}
    assert all(it.media.has_data and it.media.data.shape[:2] == (120, 160) for it in items)
