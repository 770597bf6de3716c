"""The COCO exporter on synthetic frames (no simulator): layout, ids, categories, images."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from simgen.errors import SimgenError
from simgen.export.base import EXPORTERS, DatasetInfo, get_exporter


def _info(tmp_path: Path) -> DatasetInfo:
    return DatasetInfo(
        out_dir=tmp_path,
        name="fake",
        description="synthetic frames",
        class_names=("crate", "ball"),
        splits=("train", "val"),
        version="0",
    )


def test_exporter_registry_and_suggestion() -> None:
    assert get_exporter("coco") is EXPORTERS["coco"]
    with pytest.raises(SimgenError, match="unknown format 'cocoo'") as err:
        get_exporter("cocoo")
    assert "did you mean 'coco'?" in str(err.value)


def test_coco_exporter_writes_standard_layout(tmp_path: Path, make_frame) -> None:
    a = np.zeros((12, 16), np.int32)
    a[1:5, 2:9] = 1
    a[6:12, 10:16] = 2
    b = np.zeros((12, 16), np.int32)
    b[0:3, 0:3] = 3
    frames = [
        make_frame(a, episode=0, index=0),
        make_frame(b, episode=0, index=1),
        make_frame(np.zeros((12, 16), np.int32), episode=1, index=0, split="val"),
    ]
    exporter = get_exporter("coco")(_info(tmp_path))
    exporter.begin()
    # Records may arrive out of order from workers; finish gets them in dataset order.
    records = {id(f): exporter.add(f) for f in reversed(frames)}
    json.dumps(list(records.values()))  # records are plain JSON
    exporter.finish([records[id(f)] for f in frames])

    root = tmp_path / "coco"
    train = json.loads((root / "annotations/instances_train.json").read_text())
    val = json.loads((root / "annotations/instances_val.json").read_text())
    assert train["categories"] == [
        {"id": 1, "name": "crate", "supercategory": "crate"},
        {"id": 2, "name": "ball", "supercategory": "ball"},
    ]
    assert val["categories"] == train["categories"]
    assert [i["file_name"] for i in train["images"]] == ["e000000_f000000_cam.png", "e000000_f000001_cam.png"]
    assert [i["id"] for i in train["images"]] == [1, 2] and [i["id"] for i in val["images"]] == [3]
    assert val["annotations"] == []
    anns = train["annotations"]
    assert [(x["id"], x["image_id"], x["category_id"], x["instance_id"]) for x in anns] == [
        (1, 1, 1, 1),
        (2, 1, 2, 2),
        (3, 2, 1, 3),
    ]
    assert anns[0]["bbox"] == [2.0, 1.0, 7.0, 4.0] and anns[0]["area"] == 28
    np.testing.assert_array_equal(mask_utils.decode(anns[1]["segmentation"]).astype(bool), a == 2)
    assert train["info"]["synthetic"] is True
    for f in frames:
        img = cv2.imread(str(root / "images" / f.split / f"{f.stem}.png"), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(img[..., ::-1], f.rgb)  # lossless, RGB order kept
    # No temporary files left behind by the atomic writes.
    assert not [p for p in root.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_finish_is_deterministic(tmp_path: Path, make_frame) -> None:
    inst = np.zeros((6, 6), np.int32)
    inst[1:4, 1:4] = 2
    outputs = []
    for run in ("a", "b"):
        info = _info(tmp_path / run)
        exporter = get_exporter("coco")(info)
        exporter.begin()
        exporter.finish([exporter.add(make_frame(inst, index=i)) for i in range(2)])
        outputs.append((tmp_path / run / "coco/annotations/instances_train.json").read_bytes())
    assert outputs[0] == outputs[1]


def test_failed_background_write_raises_at_flush(tmp_path: Path, make_frame, monkeypatch) -> None:
    import simgen.export.coco as coco

    def broken(path, data, **kwargs):
        raise OSError("disk full")

    exporter = get_exporter("coco")(_info(tmp_path))
    exporter.begin()
    monkeypatch.setattr(coco, "write_bytes", broken)
    exporter.add(make_frame(np.zeros((4, 4), np.int32)))
    with pytest.raises(OSError, match="disk full"):
        exporter.flush()
    exporter.flush()  # the error is reported once; nothing else is pending


def test_flush_puts_every_image_on_disk(tmp_path: Path, make_frame) -> None:
    exporter = get_exporter("coco")(_info(tmp_path))
    exporter.begin()
    frames = [make_frame(np.full((30, 40), i % 4, np.int32), index=i) for i in range(7)]
    for f in frames:
        exporter.add(f)
    exporter.flush()
    for f in frames:
        img = cv2.imread(str(tmp_path / "coco/images/train" / f"{f.stem}.png"))
        np.testing.assert_array_equal(img[..., ::-1], f.rgb)


def test_end_episode_leaves_no_image_half_written(tmp_path: Path, make_frame) -> None:
    exporter = get_exporter("coco")(_info(tmp_path))
    exporter.begin()
    frames = [make_frame(np.full((30, 40), i % 4, np.int32), index=i) for i in range(5)]
    for f in frames:
        exporter.add(f)
    exporter.end_episode(0)
    folder = tmp_path / "coco/images/train"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{f.stem}.png" for f in frames)
