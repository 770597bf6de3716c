"""The `hf` export loads with the real `datasets` library: every image, every box, class names."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import fake
import numpy as np
import pytest

from tests.conftest import SMALL_SCENARIO

datasets = pytest.importorskip("datasets", reason="the hf format is read with the 'hf' extra (datasets)")

# Partly hidden objects become crowd regions (iscrowd 1), so they must come through too.
CROWDED = SMALL_SCENARIO.replace(
    "labels:\n  min_visible_pixels: 4\n",
    "labels:\n  min_visible_pixels: 4\n  min_visibility: 0.99\n  ignore_regions: true\n",
)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import simgen

    out = tmp_path_factory.mktemp("hf") / "out"
    simgen.render(simgen.loads(CROWDED), out, seed=3, renderer="tiny", formats=("coco", "hf"), progress=False)
    return out


def _coco(out: Path) -> dict[str, dict]:
    return {
        p.stem.removeprefix("instances_"): json.loads(p.read_text())
        for p in sorted((out / "coco" / "annotations").glob("instances_*.json"))
    }


def _check_rows(rows: datasets.Dataset, coco: dict, out: Path, split: str, category) -> None:
    images = {img["id"]: img for img in coco["images"]}
    assert sorted(rows["image_id"]) == sorted(images)
    names = [c["name"] for c in sorted(coco["categories"], key=lambda c: c["id"])]
    for row in rows:
        img = images[row["image_id"]]
        png = cv2.cvtColor(cv2.imread(str(out / "coco" / "images" / split / img["file_name"])), cv2.COLOR_BGR2RGB)
        assert np.array_equal(np.asarray(row["image"].convert("RGB")), png)
        assert (row["episode"], row["frame"], row["camera"]) == (img["episode"], img["frame"], img["camera"])
        anns = [a for a in coco["annotations"] if a["image_id"] == img["id"]]
        objects = row["objects"]
        assert objects["id"] == [a["id"] for a in anns]
        assert objects["bbox"] == [a["bbox"] for a in anns]
        assert [category(c) for c in objects["category"]] == [names[a["category_id"] - 1] for a in anns]
        assert objects["category_id"] == [a["category_id"] for a in anns]
        assert objects["iscrowd"] == [a["iscrowd"] for a in anns]
        assert objects["visibility"] == [a["visibility"] for a in anns]


def test_imagefolder_gives_every_image_and_box_with_class_names(dataset: Path, tmp_path: Path) -> None:
    ds = datasets.load_dataset("imagefolder", data_dir=str(dataset / "hf"), cache_dir=str(tmp_path / "cache"))
    coco = _coco(dataset)
    assert set(ds) == {"train", "validation"}
    crowds = sum(a["iscrowd"] for doc in coco.values() for a in doc["annotations"])
    assert crowds > 0 and sum(len(doc["annotations"]) for doc in coco.values()) > crowds
    for split, hf_split in (("train", "train"), ("val", "validation")):
        _check_rows(ds[hf_split], coco[split], dataset, split, category=lambda name: name)
        assert set(ds[hf_split]["scenario"]) == {"small"} and all(ds[hf_split]["synthetic"])


def test_folder_load_types_categories_as_class_labels(dataset: Path, tmp_path: Path) -> None:
    """The card's YAML header (configs + features) makes `category` a ClassLabel of the scenario's classes."""
    ds = datasets.load_dataset(str(dataset / "hf"), cache_dir=str(tmp_path / "cache"))
    label = ds["train"].features["objects"]["category"].feature
    assert isinstance(label, datasets.ClassLabel) and label.names == ["crate", "ball", "can"]
    coco = _coco(dataset)
    for split, hf_split in (("train", "train"), ("val", "validation")):
        _check_rows(ds[hf_split], coco[split], dataset, split, category=label.int2str)


def test_card_names_the_classes_and_splits(dataset: Path) -> None:
    card = (dataset / "hf" / "README.md").read_text()
    head = card.split("---")[1]
    assert "'0': \"crate\"" in head and "'2': \"can\"" in head
    assert '- split: validation\n    path: "val/**"' in head


def test_a_split_without_boxes_is_noted_and_loads_alone(tmp_path: Path) -> None:
    """`datasets` types metadata per split and refuses splits that differ; the note says how to load it."""
    from simgen.export.hf import HfExporter

    frames = [fr if fr.split == "train" else dataclasses.replace(fr, labels=[]) for fr in fake.frames()]
    exp = HfExporter(fake.info(tmp_path))
    records = [exp.add(fr) for fr in frames]
    exp.finish(records)
    assert exp.notes(records) == [
        "hf: split 'val' has no boxes, so datasets cannot type its metadata like the others'; "
        "load it alone: load_dataset('imagefolder', data_dir='OUT/hf/val')"
    ]
    val = datasets.load_dataset("imagefolder", data_dir=str(tmp_path / "hf" / "val"), cache_dir=str(tmp_path / "c"))
    assert val["train"].num_rows == sum(fr.split == "val" for fr in frames)
    calib = HfExporter(dataclasses.replace(fake.info(tmp_path), splits=("train", "calib")))
    assert calib.notes([{**records[0], "split": "calib"}]) == [
        "hf: split 'calib' is not a name datasets infers; load with datasets.load_dataset('OUT/hf')"
    ]
