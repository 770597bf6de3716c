"""A hand-made dataset in simgen's layout with known counts, and a plain COCO reference."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_util

W, H = 64, 48


def _rle_of_box(x: int, y: int, w: int, h: int) -> dict[str, Any]:
    m = np.zeros((H, W), dtype=np.uint8, order="F")
    m[y : y + h, x : x + w] = 1
    rle = mask_util.encode(m)
    rle["counts"] = rle["counts"].decode()
    return rle


def _image(seed: int) -> np.ndarray:
    """A distinct random-blob image per seed (no two seeds are near-duplicates)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    return cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)


# (split, episode, frame, variant, [(class id, x, y, w, h)])  -- class ids: 1 crate, 2 ball, 3 defect
FRAMES = [
    ("train", 0, 0, None, [(1, 4, 4, 10, 10), (2, 20, 20, 8, 8)]),
    ("train", 0, 1, None, [(1, 4, 4, 10, 10), (1, 30, 5, 20, 10)]),
    ("train", 1, 0, "night", [(3, 10, 10, 16, 8)]),
    ("train", 1, 1, "night", []),
    ("val", 2, 0, None, [(2, 0, 0, 64, 48)]),
    ("val", 2, 1, None, [(1, 40, 30, 12, 12)]),
]
# Expected from FRAMES: crate 4, ball 2, defect 1; train 4 images/5 anns, val 2/2; empty 1 of 6.


def write_dataset(root: Path, *, broken: bool = True, duplicate: bool = True) -> Path:
    """Write the hand-made dataset under ``root``; returns ``root``.

    With ``broken``: one box sticks out of its image, one label has zero area, one mask disagrees with its box.
    With ``duplicate``: the val frame (2, 1) reuses the train frame (0, 0)'s pixels (leakage across splits).
    """
    cats = [{"id": 1, "name": "crate"}, {"id": 2, "name": "ball"}, {"id": 3, "name": "defect"}]
    docs = {
        s: {"info": {}, "licenses": [], "images": [], "annotations": [], "categories": cats} for s in ("train", "val")
    }
    ann_id = 0
    for img_id, (split, ep, fr, _variant, boxes) in enumerate(FRAMES, start=1):
        name = f"e{ep:06d}_f{fr:06d}_cam.png"
        folder = root / "coco" / "images" / split
        folder.mkdir(parents=True, exist_ok=True)
        seed = 1000 if (duplicate and (ep, fr) == (2, 1)) else img_id * 1000  # 1000: frame (0, 0)
        cv2.imwrite(str(folder / name), _image(seed))
        docs[split]["images"].append(
            {"id": img_id, "file_name": name, "width": W, "height": H, "episode": ep, "frame": fr, "camera": "cam"}
        )
        for cid, x, y, w, h in boxes:
            ann_id += 1
            ann = {
                "id": ann_id,
                "image_id": img_id,
                "category_id": cid,
                "bbox": [x, y, w, h],
                "area": w * h,
                "iscrowd": 0,
                "segmentation": _rle_of_box(x, y, w, h),
                "visibility": 1.0 if cid != 3 else 0.5,
                "truncation": 0.0,
                "occlusion": 0,
                "box3d": {"center_cam": [0.0, 0.0, float(ep + 1)]},
            }
            docs[split]["annotations"].append(ann)
    if broken:
        anns = docs["train"]["annotations"]
        anns[1]["bbox"] = [60, 20, 8, 8]  # sticks out (60 + 8 > 64) and disagrees with its mask
        anns[2]["area"] = 0  # zero area (and its mask then has more pixels than the area)
    ann_dir = root / "coco" / "annotations"
    ann_dir.mkdir(parents=True, exist_ok=True)
    for split, doc in docs.items():
        (ann_dir / f"instances_{split}.json").write_text(json.dumps(doc), encoding="utf-8")
    episodes = []
    for ep in range(3):
        variant = "night" if ep == 1 else None
        episodes.append(
            {
                "index": ep,
                "split": "val" if ep == 2 else "train",
                "variant": variant,
                "sweep": {"cell": ep % 2, "cells": 2, "index": [ep % 2], "values": {"light": [0.5, 1.0][ep % 2]}},
                "sampled": {
                    "objects[0][0].size[0]": 0.1 + 0.1 * ep,
                    "objects[0][1].size[0]": 0.2,
                    "objects[0].count": 2,
                },
            }
        )
    manifest = {
        "simgen_version": "0.1.0",
        "synthetic": True,
        "scenario": {"name": "handmade", "path": "handmade.yaml", "sha256": "0" * 64, "config": {}},
        "run": {"seed": 1, "episodes": 3, "frames": 2, "renderer": "tiny", "formats": ["coco"]},
        "classes": cats,
        "counts": {
            "images": 6,
            "annotations": 7,
            "images_per_split": {"train": 4, "val": 2},
            "annotations_per_class": {"crate": 4, "ball": 2, "defect": 1},
        },
        "episodes": episodes,
    }
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (root / "DATASET_CARD.md").write_text("# Dataset card: handmade\n\n**This dataset is synthetic.**\n")
    return root


@pytest.fixture
def handmade(tmp_path: Path) -> Path:
    """The hand-made dataset with its planted problems."""
    return write_dataset(tmp_path / "handmade")


@pytest.fixture
def clean_dataset(tmp_path: Path) -> Path:
    """The hand-made dataset without broken labels or duplicates."""
    return write_dataset(tmp_path / "clean", broken=False, duplicate=False)


def write_reference(
    path: Path, classes: list[str], boxes: list[tuple[int, int, int, int, int]], size=(640, 480)
) -> Path:
    """A plain COCO file: one image per box ``(class index, x, y, w, h)``, images not on disk."""
    doc = {
        "images": [
            {"id": 100 + i, "file_name": f"r{i}.jpg", "width": size[0], "height": size[1]} for i in range(len(boxes))
        ],
        "annotations": [
            {
                "id": 500 + i,
                "image_id": 100 + i,
                "category_id": c + 1,
                "bbox": [x, y, w, h],
                "area": w * h,
                "iscrowd": 0,
            }
            for i, (c, x, y, w, h) in enumerate(boxes)
        ],
        "categories": [{"id": i + 1, "name": n} for i, n in enumerate(classes)],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path
