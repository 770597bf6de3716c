"""A split with no images gets no annotation file or list, and the summary and card say so."""

from __future__ import annotations

import json

import simgen

SCENE = """
name: one
episodes: 1
frames: 1
classes: [crate]
output: {splits: {train: 0.8, val: 0.2}}
world: {settle_time: 0}
objects:
  - {name: crate, type: box, class: crate, size: [0.3, 0.3, 0.3], position: [0, 0, 0.15], behavior: {type: static}}
cameras: [{width: 32, height: 24, position: [1.5, -1.5, 1], look_at: [0, 0, 0]}]
"""


def test_one_episode_writes_no_empty_val_files(tmp_path):
    out = tmp_path / "out"
    summary = simgen.render(simgen.loads(SCENE), out, renderer="tiny", formats=["coco", "kitti", "voc"], progress=False)
    assert [p.name for p in (out / "coco" / "annotations").iterdir()] == ["instances_train.json"]
    assert json.loads((out / "coco" / "annotations" / "instances_train.json").read_text())["images"]
    assert not (out / "kitti" / "ImageSets" / "val.txt").exists()
    assert (out / "kitti" / "ImageSets" / "train.txt").exists()
    assert not (out / "voc" / "ImageSets" / "Main" / "val.txt").exists()
    notes = json.loads((out / "manifest.json").read_text())["notes"]
    assert any("annotations/instances_val.json not written" in n for n in notes["coco"])
    card = (out / "DATASET_CARD.md").read_text()
    assert "instances_val.json not written" in card and "ImageSets/Main/val.txt not written" in card
    assert "instances_val.json not written" in str(summary)
