"""The tools ML people load datasets with open simgen's output as written: boxes and masks included.

torchvision's ``CocoDetection`` + ``wrap_dataset_for_transforms_v2`` (the study extra), and
FiftyOne's COCO and YOLOv5 importers (the code ``fo.Dataset.from_dir`` runs; FiftyOne is not a
simgen extra, so those tests run only where it is installed).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from tests.conftest import SMALL_SCENARIO

CROWDED = SMALL_SCENARIO.replace(
    "labels:\n  min_visible_pixels: 4\n",
    "labels:\n  min_visible_pixels: 4\n  min_visibility: 0.99\n  ignore_regions: true\n",
)
# simgen's extra COCO keys FiftyOne can store on a Detection ('instance_id' is a read-only
# property of fo.Detection and 'iscrowd' a COCOObject field, so neither may be passed as extra).
FIFTYONE_EXTRA_ATTRS = ["track_id", "object", "visibility", "truncation", "occlusion"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import simgen

    out = tmp_path_factory.mktemp("readers") / "out"
    simgen.render(simgen.loads(CROWDED), out, seed=3, renderer="tiny", formats=("coco", "yolo"), progress=False)
    return out


def _train(out: Path) -> dict:
    return json.loads((out / "coco" / "annotations" / "instances_train.json").read_text())


def test_torchvision_coco_detection_gives_boxes_and_masks(dataset: Path) -> None:
    pytest.importorskip("torchvision", reason="torchvision comes with the study extra")
    from torchvision.datasets import CocoDetection, wrap_dataset_for_transforms_v2

    doc = _train(dataset)
    raw = CocoDetection(
        str(dataset / "coco" / "images" / "train"), str(dataset / "coco/annotations/instances_train.json")
    )
    ds = wrap_dataset_for_transforms_v2(raw, target_keys=("image_id", "boxes", "labels", "masks", "iscrowd"))
    assert len(ds) == len(doc["images"]) > 0
    for k in range(len(ds)):
        image, target = ds[k]
        img = doc["images"][k]
        anns = [a for a in doc["annotations"] if a["image_id"] == img["id"]]
        assert target["image_id"] == img["id"] and image.size == (img["width"], img["height"])
        boxes = np.array([a["bbox"] for a in anns], dtype=np.float64).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        assert np.array_equal(target["boxes"].numpy(), boxes.astype(np.float32))
        assert target["labels"].tolist() == [a["category_id"] for a in anns]
        assert target["iscrowd"] == [a["iscrowd"] for a in anns]
        masks = np.array([mask_utils.decode(a["segmentation"]) for a in anns]).reshape(-1, img["height"], img["width"])
        assert np.array_equal(target["masks"].numpy(), masks)
        assert all(m.sum() == a["area"] for m, a in zip(masks, anns, strict=True))


def test_fiftyone_coco_importer_gives_boxes_masks_and_attributes(dataset: Path) -> None:
    pytest.importorskip("fiftyone", reason="FiftyOne is not installed here")
    import fiftyone.utils.coco as fouc

    doc = _train(dataset)
    names = {c["id"]: c["name"] for c in doc["categories"]}
    importer = fouc.COCODetectionDatasetImporter(
        dataset_dir=str(dataset / "coco"),
        data_path="images/train",
        labels_path="annotations/instances_train.json",
        label_types=["detections", "segmentations"],
        extra_attrs=FIFTYONE_EXTRA_ATTRS,
    )
    seen = 0
    with importer:
        for path, _meta, labels in importer:
            img = next(i for i in doc["images"] if i["file_name"] == Path(path).name)
            anns = [a for a in doc["annotations"] if a["image_id"] == img["id"]]
            dets = labels["detections"].detections
            w, h = img["width"], img["height"]
            assert [d.label for d in dets] == [names[a["category_id"]] for a in anns]
            for d, a in zip(dets, anns, strict=True):
                x, y, bw, bh = a["bbox"]
                assert np.allclose(d.bounding_box, [x / w, y / h, bw / w, bh / h])
                assert d["visibility"] == a["visibility"] and d["track_id"] == a["instance_id"]
            for s, a in zip(labels["segmentations"].detections, anns, strict=True):
                x, y, bw, bh = (int(v) for v in a["bbox"])
                assert np.array_equal(
                    s.mask.astype(bool), mask_utils.decode(a["segmentation"])[y : y + bh, x : x + bw] > 0
                )
            seen += 1
    assert seen == len(doc["images"])


def test_fiftyone_yolov5_importer_finds_dataset_yaml(dataset: Path) -> None:
    pytest.importorskip("fiftyone", reason="FiftyOne is not installed here")
    import fiftyone.utils.yolo as fouy

    importer = fouy.YOLOv5DatasetImporter(dataset_dir=str(dataset / "yolo"), split="train")
    doc = _train(dataset)
    with importer:
        got = {Path(path).stem: labels for path, _, labels in importer}
    for img in doc["images"]:
        anns = [a for a in doc["annotations"] if a["image_id"] == img["id"] and not a["iscrowd"]]
        dets = got[Path(img["file_name"]).stem].detections
        assert [d.label for d in dets] == [doc["categories"][a["category_id"] - 1]["name"] for a in anns]
        w, h = img["width"], img["height"]
        for d, a in zip(dets, anns, strict=True):
            x, y, bw, bh = a["bbox"]
            assert np.allclose(d.bounding_box, [x / w, y / h, bw / w, bh / h], atol=1e-6)
