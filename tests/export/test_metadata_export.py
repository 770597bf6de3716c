"""An object's scenario ``metadata`` reaches its labels: COCO ``attributes`` and raw labels.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simgen

SCENE = """version: 1
name: meta
episodes: 1
frames: 1
world: {settle_time: 0.05}
objects:
  - name: part
    type: box
    class: part
    size: [0.2, 0.2, 0.2]
    mass: 0
    position: [-0.25, 0, 0.1]
    metadata: {material: steel, batch: 7, defect: false, roughness: 0.4}
  - {name: plain, type: sphere, class: ball, radius: 0.1, mass: 0, position: [0.3, 0, 0.1]}
cameras: [{name: cam, width: 160, height: 120, fov_y: 50, position: [0, -1.5, 0.8], look_at: [0, 0, 0.1]}]
labels: {min_visible_pixels: 1}
"""
META = {"material": "steel", "batch": 7, "defect": False, "roughness": 0.4}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("meta") / "out"
    simgen.render(simgen.loads(SCENE), out, formats=["coco", "raw"], renderer="tiny", progress=False)
    return out


def test_coco_annotations_carry_the_objects_metadata_as_attributes(dataset: Path) -> None:
    from pycocotools.coco import COCO

    (ann_file,) = (dataset / "coco" / "annotations").glob("instances_*.json")
    coco = COCO(str(ann_file))
    by_object = {a["object"]: a for a in coco.dataset["annotations"]}
    assert by_object["part_0"]["attributes"] == META
    assert "attributes" not in by_object["plain_0"]


def test_raw_labels_carry_the_objects_metadata(dataset: Path) -> None:
    (labels_file,) = (dataset / "raw").rglob("labels.json")
    labels = {lab["object_name"]: lab for lab in json.loads(labels_file.read_text())["labels"]}
    assert labels["part_0"]["metadata"] == META
    assert labels["plain_0"]["metadata"] == {}


def test_datumaro_reads_the_metadata_as_annotation_attributes(dataset: Path) -> None:
    dm = pytest.importorskip("datumaro")
    ds = dm.Dataset.import_from(str(dataset / "coco"), "coco_instances")
    found = [a.attributes for item in ds for a in item.annotations if a.attributes.get("material") == "steel"]
    assert found and all(attrs["batch"] == 7 and attrs["defect"] is False for attrs in found)
