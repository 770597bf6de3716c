"""simgen mix: a small real-looking COCO (other class names, own ids) mixed with a hand-made simgen dataset."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from simgen.dataset.mix import plan_mix, write_mix
from simgen.dataset.reader import open_dataset
from simgen.errors import SimgenError
from tests.dataset.conftest import H, W

MAPPING = {"crate": "Box", "ball": "sports ball"}


def write_real(root: Path, *, missing: bool = False, dup_id: bool = False) -> Path:
    """instances_train.json (3 images) + instances_val.json (1 image) with classes Box, sports ball, defect, person."""
    cats = [
        {"id": 7, "name": "Box"},
        {"id": 9, "name": "sports ball"},
        {"id": 11, "name": "defect"},
        {"id": 12, "name": "person"},
    ]
    rng = np.random.default_rng(9)
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    layout = {
        "train": [(1001, [(7, 2), (12, 1)]), (1002, [(7, 1)]), (1003, [(12, 2)])],
        "val": [(1004, [(9, 1), (7, 1)])],
    }
    aid = 5000
    for split, images in layout.items():
        doc = {
            "info": {"description": "factory cams", "year": 2026},
            "licenses": [{"id": 1, "name": "CC-BY-4.0", "url": ""}],
            "images": [],
            "annotations": [],
            "categories": cats,
        }
        for iid, labels in images:
            name = f"cam_{iid}.jpg"
            if not (missing and iid == 1003):
                cv2.imwrite(str(root / "images" / name), rng.integers(0, 255, (H, W, 3), dtype=np.uint8))
            doc["images"].append(
                {
                    "id": 1001 if dup_id and iid == 1002 else iid,
                    "file_name": name,
                    "width": W,
                    "height": H,
                    "license": 1,
                    "video_id": iid % 2,
                }
            )
            for cid, n in labels:
                for k in range(n):
                    aid += 1
                    doc["annotations"].append(
                        {
                            "id": aid,
                            "image_id": iid,
                            "category_id": cid,
                            "bbox": [2 + 10 * k, 3, 8, 6],
                            "area": 48,
                            "iscrowd": 0,
                            "segmentation": [[2, 3, 10, 3, 10, 9, 2, 9]],
                        }
                    )
        (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(doc))
    return root


@pytest.fixture
def real(tmp_path: Path) -> Path:
    return write_real(tmp_path / "real")


def test_mix_counts_ids_mapping_and_provenance(real: Path, clean_dataset: Path, tmp_path: Path) -> None:
    plan = plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING)
    out = tmp_path / "mixed"
    summary = write_mix(plan, out, ["coco", "yolo"], "hardlink")
    # All 6 synthetic frames go to train (validation stays real); 3 real train + 1 real val.
    assert summary["splits"] == {"train": {"real": 3, "synthetic": 6}, "val": {"real": 1, "synthetic": 0}}
    assert summary["classes"] == {
        "Box": {"real": 4, "synthetic": 4},
        "sports ball": {"real": 1, "synthetic": 2},
        "defect": {"real": 0, "synthetic": 1},
        "person": {"real": 3, "synthetic": 0},
    }
    from pycocotools.coco import COCO

    train = COCO(str(out / "coco" / "annotations" / "instances_train.json"))
    val = COCO(str(out / "coco" / "annotations" / "instances_val.json"))
    assert [c["name"] for c in train.loadCats(train.getCatIds())] == ["Box", "sports ball", "defect", "person"]
    assert train.getCatIds() == [1, 2, 3, 4]
    assert len(train.getImgIds()) == 9 and len(val.getImgIds()) == 1
    assert set(train.getImgIds()).isdisjoint(val.getImgIds())
    assert len(train.getAnnIds(catIds=[1])) == 7 and len(train.getAnnIds(catIds=[4])) == 3
    real_imgs = [im for im in train.dataset["images"] if not im["synthetic"]]
    assert sorted(im["original_id"] for im in real_imgs) == [1001, 1002, 1003]
    assert all(im["license"] == 1 and im["source"] == str(real) for im in real_imgs)
    syn = [im for im in train.dataset["images"] if im["synthetic"]]
    assert {(im["episode"], im["frame"]) for im in syn} == {(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)}
    assert all(im["scenario"] == "handmade" and im["file_name"].startswith("s0_") for im in syn)
    # The images are the same files, not re-encoded.
    src = real / "images" / "cam_1001.jpg"
    dst = out / "coco" / "images" / "train" / "cam_1001.jpg"
    assert dst.stat().st_ino == src.stat().st_ino
    lines = [json.loads(x) for x in (out / "provenance.jsonl").read_text().splitlines()]
    assert [x["id"] for x in lines] == list(range(1, 11)) and sum(x["synthetic"] for x in lines) == 6
    yolo_lines = (out / "yolo" / "labels" / "train" / "s0_e000000_f000000_cam.txt").read_text().splitlines()
    assert sorted(line.split()[0] for line in yolo_lines) == ["0", "1"]  # crate -> Box (0), ball -> sports ball (1)
    card = (out / "DATASET_CARD.md").read_text()
    assert "| defect | 0 | 1 |" in card and "CC-BY-4.0" in card and "factory cams" in card


def test_mixed_coco_yolo_and_voc_open_in_datumaro(real: Path, clean_dataset: Path, tmp_path: Path) -> None:
    from datumaro.components.annotation import AnnotationType
    from datumaro.components.dataset import Dataset

    out = tmp_path / "mixed"
    plan = plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING)
    write_mix(plan, out, ["coco", "yolo", "voc"], "copy")
    for path, fmt in ((out / "coco", "coco_instances"), (out / "yolo", "yolo"), (out / "voc", "voc_detection")):
        ds = Dataset.import_from(str(path), fmt)
        items = list(ds)
        assert len(items) == 10, fmt
        labels = [c.name for c in ds.categories()[AnnotationType.label]]
        assert labels[-4:] == ["Box", "sports ball", "defect", "person"], fmt  # VOC puts 'background' first
        boxes = sum(1 for it in items for a in it.annotations if a.type == AnnotationType.bbox)
        assert boxes == 15, fmt  # 8 real + 7 synthetic


def test_ratio_and_fill_targets(real: Path, clean_dataset: Path) -> None:
    r, s = open_dataset(real), [open_dataset(clean_dataset)]
    plan = plan_mix(r, s, mapping=MAPPING, ratio=0.4)
    # 3 real train images; whole 2-frame episodes: 2 frames -> 40 % exactly.
    assert plan.ratio == {"synthetic_train_images": 2, "train_images": 5, "achieved": 0.4, "target": 0.4}
    plan = plan_mix(r, s, mapping=MAPPING, fill="defect=0.1")
    t = plan.achieved["classes"]["defect"]
    assert t["target"] == 0.1 and t["achieved"] >= 0.1 and not t["under"]
    # Only the episode holding the defect was needed.
    assert [(it.image.episode, it.image.frame) for it in plan.items if it.synthetic] == [(1, 0), (1, 1)]
    plan = plan_mix(r, s, mapping=MAPPING, fill="0.05")
    assert all(not v["under"] for k, v in plan.achieved["classes"].items() if k != "person")


def test_synthetic_val_and_real_regrouping(real: Path, clean_dataset: Path) -> None:
    plan = plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING, synthetic_val=True)
    assert {(it.image.episode, it.split) for it in plan.items if it.synthetic} == {
        (0, "train"),
        (1, "train"),
        (2, "val"),
    }
    plan = plan_mix(
        open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING, real_val=0.5, group_by="video_id"
    )
    by_group: dict[int, set[str]] = {}
    for it in plan.items:
        if not it.synthetic:
            by_group.setdefault(it.image.extra["video_id"], set()).add(it.split)
    assert sorted(len(v) for v in by_group.values()) == [1, 1]  # each group in one split
    assert {s for v in by_group.values() for s in v} == {"train", "val"}


@pytest.mark.parametrize("link", ["symlink", "copy"])
def test_link_modes(real: Path, clean_dataset: Path, tmp_path: Path, link: str) -> None:
    out = tmp_path / "m"
    write_mix(plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING), out, ["coco"], link)
    dst = out / "coco" / "images" / "train" / "cam_1001.jpg"
    src = real / "images" / "cam_1001.jpg"
    assert dst.is_symlink() == (link == "symlink")
    assert dst.read_bytes() == src.read_bytes()


def test_cli_errors_write_nothing(real: Path, clean_dataset: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "mixed"
    code, _, err = run_cli("mix", "--real", str(real), "--synthetic", str(clean_dataset), "--out", str(out))
    assert code == 2 and "classes not in the real dataset: crate, ball (real classes: Box, sports ball" in err
    assert "--map ball=sports ball" in err
    assert not out.exists()
    missing = write_real(tmp_path / "missing", missing=True)
    code, _, err = run_cli(
        "mix",
        "--real",
        str(missing),
        "--synthetic",
        str(clean_dataset),
        "--out",
        str(out),
        "--map",
        "crate=Box,ball=sports ball",
    )
    assert code == 2 and "image files not found: cam_1003.jpg" in err and not out.exists()
    dup = write_real(tmp_path / "dup", dup_id=True)
    code, _, err = run_cli(
        "mix",
        "--real",
        str(dup),
        "--synthetic",
        str(clean_dataset),
        "--out",
        str(out),
        "--map",
        "crate=Box,ball=sports ball",
    )
    assert code == 2 and "image id 1001 is used twice" in err and not out.exists()
    code, stdout, err = run_cli(
        "mix",
        "--real",
        str(real),
        "--synthetic",
        str(clean_dataset),
        "--out",
        str(out),
        "--map",
        "crate=Box,ball=sports ball",
        "--formats",
        "coco,yolo",
        "--ratio",
        "0.4",
    )
    assert code == 0, err
    assert "synthetic share of training images: 40.0 % (target 40.0 %)" in stdout
    assert not list(tmp_path.glob(".mixed.tmp-*"))


def test_plan_errors() -> None:
    with pytest.raises(SimgenError, match="--fill-classes names class 'defekt'"):
        from simgen.dataset.mix import parse_fill

        parse_fill("defekt=0.2", ["defect"])


def test_voc_links_jpegs_and_converts_the_rest(real: Path, clean_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    write_mix(plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING), out, ["voc"], "hardlink")
    real_jpg = out / "voc" / "JPEGImages" / "cam_1001.jpg"
    assert real_jpg.stat().st_ino == (real / "images" / "cam_1001.jpg").stat().st_ino  # linked, not re-encoded
    syn = out / "voc" / "JPEGImages" / "s0_e000000_f000000_cam.jpg"
    assert syn.read_bytes()[:3] == b"\xff\xd8\xff"  # PNG source converted to JPEG
    assert (out / "voc" / "ImageSets" / "Main" / "val.txt").read_text() == "cam_1004\n"
    xml = (out / "voc" / "Annotations" / "cam_1004.xml").read_text()
    assert "<name>sports ball</name>" in xml and "<xmin>3</xmin>" in xml and "<xmax>10</xmax>" in xml


def test_dangling_labels_are_errors(real: Path, clean_dataset: Path) -> None:
    doc = json.loads((real / "annotations" / "instances_train.json").read_text())
    doc["annotations"][0]["image_id"] = 77
    (real / "annotations" / "instances_train.json").write_text(json.dumps(doc))
    with pytest.raises(SimgenError, match=r"annotations refer to image ids not in the set: \[77\]"):
        plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING)
    doc["annotations"][0]["image_id"] = 1001
    doc["annotations"][0]["category_id"] = 99
    (real / "annotations" / "instances_train.json").write_text(json.dumps(doc))
    with pytest.raises(SimgenError, match=r"undeclared category ids \[99\]"):
        plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING)


def _train_only(real: Path) -> Path:
    """The real fixture with its val image folded into train: a real set without a val split."""
    ann = real / "annotations"
    train, val = (json.loads((ann / f"instances_{s}.json").read_text()) for s in ("train", "val"))
    train["images"] += val["images"]
    train["annotations"] += val["annotations"]
    (ann / "instances_train.json").write_text(json.dumps(train))
    (ann / "instances_val.json").unlink()
    return real


def test_real_set_without_val_gets_a_grouped_held_out_val(real: Path, clean_dataset: Path) -> None:
    from simgen.dataset.mix import DEFAULT_REAL_VAL

    real_ds, synthetic = open_dataset(_train_only(real)), [open_dataset(clean_dataset)]
    plan = plan_mix(real_ds, synthetic, mapping=MAPPING, group_by="video_id")
    by_group: dict[int, set[str]] = {}
    for it in plan.items:
        if not it.synthetic:
            by_group.setdefault(it.image.extra["video_id"], set()).add(it.split)
    assert all(len(v) == 1 for v in by_group.values())  # a group never straddles train and val
    n_val = round(DEFAULT_REAL_VAL * len(by_group))
    assert sum(v == {"val"} for v in by_group.values()) == max(n_val, 0)
    assert any("no val split" in n and "video_id" in n for n in plan.notes)
    per_image = plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING)
    assert [it.split for it in per_image.items if not it.synthetic].count("val") == 1  # 20 % of 4 images
    kept = plan_mix(open_dataset(real), [open_dataset(clean_dataset)], mapping=MAPPING, real_val=0)
    assert {it.split for it in kept.items if not it.synthetic} == {"train"} and not kept.notes


def test_mixed_yolo_data_yaml_is_portable_and_validates_on_held_out_images(
    real: Path, clean_dataset: Path, tmp_path: Path, run_cli
) -> None:
    out = tmp_path / "mixed"
    code, stdout, stderr = run_cli(
        "mix", "--real", str(_train_only(real)), "--synthetic", str(clean_dataset), "--out", str(out),
        "--formats", "yolo",
        "--map", "crate=Box,ball=sports ball",
    )  # fmt: skip
    assert code == 0, stderr
    text = (out / "yolo" / "data.yaml").read_text()
    assert "path:" not in text and str(tmp_path) not in text
    assert '\nval: "images/val"' in text and '\ntrain: "images/train"' in text
    assert list((out / "yolo" / "images" / "val").iterdir())
    assert "no val split" in stdout
    assert "no val split" in (out / "DATASET_CARD.md").read_text()
