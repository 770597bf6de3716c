"""Reading detection sets: a user's real COCO data is re-keyed to the scenario's classes or refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simgen.errors import SimgenError
from simgen.study.data import class_mapping, parse_class_map, read_real_coco

CLASSES = ["car", "person"]


def write_real(tmp_path: Path, names: list[str]) -> str:
    images = tmp_path / "images"
    images.mkdir()
    import cv2
    import numpy as np

    image = np.full((48, 64, 3), 90, np.uint8)
    image[2:10, 1:11] = (40, 120, 220)  # the annotated object
    assert cv2.imwrite(str(images / "a.png"), image)
    data = {
        "images": [{"id": 5, "width": 64, "height": 48, "file_name": "a.png"}],
        "annotations": [
            {"id": 1, "image_id": 5, "category_id": 10 + k, "bbox": [1, 2, 10, 8], "area": 80, "iscrowd": 0}
            for k in range(len(names))
        ],
        "categories": [{"id": 10 + k, "name": n} for k, n in enumerate(names)],
    }
    ann = tmp_path / "real.json"
    ann.write_text(json.dumps(data))
    return f"{ann}:{images}"


def test_real_set_is_rekeyed_to_scenario_class_ids(tmp_path: Path) -> None:
    ds = read_real_coco(write_real(tmp_path, ["person", "car"]), CLASSES)
    assert [c["name"] for c in ds.gt["categories"]] == CLASSES
    assert [a["category_id"] for a in ds.gt["annotations"]] == [2, 1]
    assert ds.paths[5] == tmp_path / "images" / "a.png"
    assert ds.targets()[5] == ([[1.0, 2.0, 11.0, 10.0], [1.0, 2.0, 11.0, 10.0]], [2, 1])


def test_unknown_real_class_names_the_mapping_needed(tmp_path: Path) -> None:
    spec = write_real(tmp_path, ["persons", "truck", "car"])
    with pytest.raises(SimgenError) as err:
        read_real_coco(spec, CLASSES)
    text = str(err.value)
    assert "'persons', 'truck' are not classes of the scenario" in text
    assert "(its classes: car, person)" in text
    assert "--class-map persons=person,truck=<car|person>" in text
    ds = read_real_coco(spec, CLASSES, parse_class_map("persons=person, truck=car"))
    assert [a["category_id"] for a in ds.gt["annotations"]] == [2, 1, 1]


def test_class_map_must_name_scenario_classes() -> None:
    with pytest.raises(SimgenError, match="maps to 'peson'") as err:
        class_mapping(["pedestrian"], CLASSES, {"pedestrian": "peson"}, "x.json")
    assert "did you mean 'person'" in str(err.value)
    with pytest.raises(SimgenError, match="not REAL_NAME=SCENARIO_CLASS"):
        parse_class_map("pedestrian")


def test_bad_real_argument(tmp_path: Path) -> None:
    with pytest.raises(SimgenError, match="is not ANNOTATIONS.json:IMAGE_FOLDER"):
        read_real_coco("real.json", CLASSES)
    with pytest.raises(SimgenError, match="does not exist"):
        read_real_coco(f"{tmp_path / 'missing.json'}:{tmp_path}", CLASSES)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(SimgenError, match="not a COCO instances file"):
        read_real_coco(f"{tmp_path / 'bad.json'}:{tmp_path}", CLASSES)
