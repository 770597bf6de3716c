"""Unlabelled props (``instance_ids: none``) need no ``class``; labelled objects still do."""

from __future__ import annotations

import pytest

import simgen
from simgen.errors import ScenarioError

CAM = "cameras: [{width: 16, height: 12, position: [3, 3, 3], look_at: [0, 0, 0]}]\n"


def test_an_unlabelled_prop_needs_no_class(tmp_path):
    sc = simgen.loads(
        "name: t\nobjects:\n"
        "  - {name: wall, type: box, size: [1, 1, 1], position: [0, 0, 0.5], instance_ids: none,"
        " behavior: {type: static}}\n"
        "  - {name: c, class: crate, type: box, size: [0.2, 0.2, 0.2], position: [1, 0, 0.1]}\n" + CAM
    )
    assert sc.class_names == ["crate"]
    wall = simgen.sample(sc, 0).objects[0]
    assert wall.label == 0 and wall.category_id == 0
    summary = simgen.render(sc, tmp_path / "o", episodes=1, frames=1, renderer="tiny", formats=["coco"], progress=False)
    assert summary.episodes == 1


def test_a_labelled_object_without_class_is_a_located_error():
    with pytest.raises(ScenarioError, match=r"<string>:3:5: objects\[0\]: 'class' is required"):
        simgen.loads("name: t\nobjects:\n  - {name: wall, type: box, size: [1, 1, 1]}\n" + CAM)


def test_an_unlabelled_prop_without_class_is_in_no_format(tmp_path):
    """Every exporter sees only the labelled crate: no empty class name, no row, no category for the wall."""
    import json

    import yaml

    sc = simgen.loads(
        "name: t\nobjects:\n"
        "  - {name: wall, type: box, size: [0.6, 0.6, 0.6], position: [0.6, 0.6, 0.3], instance_ids: none}\n"
        "  - {name: c, class: crate, type: box, size: [0.4, 0.4, 0.4], position: [-0.6, -0.6, 0.2]}\n"
        "cameras: [{width: 96, height: 72, position: [2, -2, 2], look_at: [0, 0, 0.2]}]\n"
    )
    out = tmp_path / "o"
    simgen.render(
        sc, out, episodes=1, frames=1, renderer="tiny", formats=["coco", "yolo", "kitti", "voc"], progress=False
    )
    coco = json.loads((out / "coco" / "annotations" / "instances_train.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["crate"]
    assert {a["object"] for a in coco["annotations"]} == {"c_0"}
    assert list(yaml.safe_load((out / "yolo" / "data.yaml").read_text())["names"].values()) == ["crate"]
    rows = [line.split()[0] for f in (out / "kitti").rglob("label_2/*.txt") for line in f.read_text().splitlines()]
    assert rows == ["crate"]
    voc = " ".join(f.read_text() for f in (out / "voc").rglob("*.xml"))
    assert voc.count("<name>") == voc.count("<name>crate</name>") == 1
