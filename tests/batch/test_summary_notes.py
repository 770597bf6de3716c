"""Exporters' caveats reach the run summary line, manifest.json and DATASET_CARD.md; no empty folders."""

from __future__ import annotations

import json
import re

import pytest

import simgen

SCENE = """
version: 1
name: notes
seed: 2
episodes: 1
frames: 1
classes: [crate]
world: {settle_time: 0.2}
objects:
  - {name: crate, type: box, class: crate, count: 2, size: [0.3, 0.2, 0.25],
     position: [{uniform: [-0.3, 0.3]}, 0, 0.15]}
cameras:
  - {name: front, width: 96, height: 72, fov_y: 50, position: [1.4, 0, 0.9], look_at: [0, 0, 0.1]}
"""
FORMATS = ["coco", "yolo", "yolo-seg", "kitti", "voc", "bop", "mcap", "raw"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("notes") / "ds"
    summary = simgen.render(simgen.loads(SCENE), out, renderer="tiny", formats=FORMATS, progress=False)
    return out, summary


def test_tilted_kitti_boxes_are_counted_in_the_summary_and_card(run):
    out, summary = run
    facts = json.loads((out / "kitti/frames.json").read_text())
    # The camera looks down by about 29 degrees at upright crates: every 3D box leans that much.
    assert facts["frame"] == "camera" and facts["tilted_boxes"] == facts["boxes_3d"] == summary.annotations > 0
    line = summary.line()
    found = re.search(r"kitti: labels in the camera frame \(.*?\); (\d+) of (\d+) 3D boxes lean > 5 deg", line)
    assert found and int(found[1]) == int(found[2]) == facts["tilted_boxes"]
    card = (out / "DATASET_CARD.md").read_text()
    assert "## Format notes" in card and found[0] in card and "output.kitti.frame: level" in card
    manifest = json.loads((out / "manifest.json").read_text())
    assert any(found[0] in n for n in manifest["notes"]["kitti"])


def test_val_falling_back_to_train_is_said_in_the_summary_and_card(run):
    out, summary = run
    card = (out / "DATASET_CARD.md").read_text()
    for fmt in ("yolo", "yolo-seg"):
        assert f"{fmt}: no val images" in summary.line() and f"{fmt}: no val images" in card
        assert 'val: "images/train"' in (out / fmt / "data.yaml").read_text()


def test_no_empty_folder_and_no_velodyne_without_lidar(run):
    out, _ = run
    assert not (out / "kitti/training/velodyne").exists()
    empty = [p for p in out.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert empty == []
