"""YOLO's data.yaml is portable: no absolute path, resolved the way Ultralytics resolves it.

Regression: data.yaml held ``path: /abs/out/yolo``; a moved or shared dataset broke and two
identical runs into different folders differed in bytes.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import fake
import yaml

from simgen.export.base import get_exporter


def ultralytics_split_dirs(yaml_file: Path) -> dict[str, Path]:
    """Split folders as Ultralytics' check_det_dataset resolves them.

    The dataset root is ``path`` if given, else the yaml file's own folder; each split is
    ``(root / value).resolve()``.
    """
    data = yaml.safe_load(yaml_file.read_text())
    root = Path(data.get("path") or yaml_file.parent)
    return {k: (root / data[k]).resolve() for k in ("train", "val", "test") if data.get(k)}


def _export(out: Path, splits: tuple[str, ...] = fake.SPLITS, fmt: str = "yolo") -> tuple[Any, list[dict]]:
    frames = fake.frames(lidar=False)
    if splits == ("train",):
        frames = [dataclasses.replace(f, split="train") for f in frames]
    info = dataclasses.replace(fake.info(out), splits=splits)
    exp = get_exporter(fmt)(info)
    recs = [exp.add(fr) for fr in frames]
    exp.finish(recs)
    return exp, recs


def test_data_yaml_has_no_absolute_path_and_same_bytes_anywhere(tmp_path):
    _export(tmp_path / "a" / "run")
    _export(tmp_path / "b" / "elsewhere" / "run")
    a = (tmp_path / "a/run/yolo/data.yaml").read_bytes()
    b = (tmp_path / "b/elsewhere/run/yolo/data.yaml").read_bytes()
    assert a == b
    assert str(tmp_path).encode() not in a
    data = yaml.safe_load(a)
    assert "path" not in data
    assert all(not Path(data[k]).is_absolute() for k in ("train", "val"))
    assert data["train"] == "images/train" and data["val"] == "images/val"


def test_moved_dataset_still_resolves_to_its_images(tmp_path):
    _export(tmp_path / "orig")
    moved = tmp_path / "moved" / "copy"
    shutil.move(str(tmp_path / "orig"), moved)
    dirs = ultralytics_split_dirs(moved / "yolo" / "data.yaml")
    for split, folder in dirs.items():
        assert folder.is_relative_to(moved.resolve())
        images = sorted(folder.glob("*.png"))
        assert images, split
        # Ultralytics finds labels by swapping /images/ for /labels/ in each image path.
        for img in images:
            assert Path(str(img).replace("/images/", "/labels/")).with_suffix(".txt").is_file()


def test_no_val_split_falls_back_to_train_and_says_so(tmp_path):
    for fmt in ("yolo", "yolo-seg"):
        exp, recs = _export(tmp_path, splits=("train",), fmt=fmt)
        data = yaml.safe_load((tmp_path / fmt / "data.yaml").read_text())
        assert data["val"] == data["train"] == "images/train"
        (note,) = exp.notes(recs)
        assert note.startswith(f"{fmt}: no val images") and "training images" in note
    exp, recs = _export(tmp_path / "with_val")
    assert exp.notes(recs) == []
