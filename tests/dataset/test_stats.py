"""simgen stats on a hand-made dataset whose counts, distributions and planted problems are known."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simgen.dataset.reader import open_dataset
from simgen.dataset.stats import dataset_stats, dhash, format_stats, hamming_pairs
from tests.dataset.conftest import H, W, write_reference


def test_counts_per_class_split_variant_and_sweep_cell(handmade: Path) -> None:
    c = dataset_stats(open_dataset(handmade))["counts"]
    assert c["images"] == 6 and c["annotations"] == 7 and c["episodes"] == 3
    assert {k: v["annotations"] for k, v in c["per_class"].items()} == {"crate": 4, "ball": 2, "defect": 1}
    assert {k: v["images"] for k, v in c["per_class"].items()} == {"crate": 3, "ball": 2, "defect": 1}
    assert c["per_split"] == {
        "train": {"images": 4, "annotations": 5, "episodes": 2},
        "val": {"images": 2, "annotations": 2, "episodes": 1},
    }
    assert c["per_variant"] == {
        "(none)": {"images": 4, "annotations": 6, "episodes": 2},
        "night": {"images": 2, "annotations": 1, "episodes": 1},
    }
    assert c["per_sweep_cell"] == {
        "light=0.5": {"images": 4, "annotations": 6, "episodes": 2},  # episodes 0 and 2
        "light=1.0": {"images": 2, "annotations": 1, "episodes": 1},
    }
    assert c["empty_images"] == 1 and c["empty_frame_rate"] == pytest.approx(1 / 6)


def test_distributions_follow_the_boxes(clean_dataset: Path) -> None:
    d = dataset_stats(open_dataset(clean_dataset), duplicates=False)["distributions"]
    # The val frame's ball fills the whole image: size 1, centre (0.5, 0.5); the smallest box is 8x8.
    assert d["size"]["max"] == pytest.approx(1.0)
    assert d["size"]["min"] == pytest.approx(np.sqrt(64 / (W * H)))
    assert d["aspect"]["max"] == pytest.approx(2.0)  # the 20x10 crate and the 16x8 defect
    assert d["visibility"]["min"] == pytest.approx(0.5) and d["visibility"]["n"] == 7
    assert d["distance"]["min"] == pytest.approx(1.0) and d["distance"]["max"] == pytest.approx(3.0)
    assert sum(d["cx"]["histogram"]["counts"]) == 7


def test_sanity_finds_exactly_the_planted_problems(handmade: Path, clean_dataset: Path) -> None:
    s = dataset_stats(open_dataset(handmade), duplicates=False)["sanity"]
    assert s["counts"] == {
        "outside_image": 1,
        "zero_area": 1,
        "mask_box_mismatch": 1,
        "mask_area_mismatch": 1,
        "unknown_category": 0,
        "unknown_image": 0,
    }
    assert not s["ok"]
    assert dataset_stats(open_dataset(clean_dataset), duplicates=False)["sanity"]["ok"]


def test_near_duplicate_across_splits_is_found(handmade: Path, clean_dataset: Path) -> None:
    d = dataset_stats(open_dataset(handmade))["duplicates"]
    assert d["hashed_images"] == 6
    assert d["pairs"] == 1 and d["pairs_across_splits"] == 1 and d["pairs_same_episode"] == 0
    assert {d["examples"][0]["a"], d["examples"][0]["b"]} == {
        "train/e000000_f000000_cam.png",
        "val/e000002_f000001_cam.png",
    }
    assert dataset_stats(open_dataset(clean_dataset))["duplicates"]["pairs"] == 0


def test_dhash_tolerates_small_changes_and_hamming_pairs_is_exact(tmp_path: Path) -> None:
    import cv2

    rng = np.random.default_rng(3)
    img = cv2.resize(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), (160, 120), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(tmp_path / "a.png"), img)
    cv2.imwrite(str(tmp_path / "b.png"), np.clip(img.astype(int) + 3, 0, 255).astype(np.uint8))  # brighter
    a, b = dhash(tmp_path / "a.png"), dhash(tmp_path / "b.png")
    assert a is not None and bin(a ^ b).count("1") <= 2
    hashes = [0, 0b111, (1 << 64) - 1, 0b1]
    assert hamming_pairs(hashes, 3) == [(0, 1, 3), (0, 3, 1), (1, 3, 2)]


def test_plain_coco_file_is_read(tmp_path: Path) -> None:
    ref = write_reference(
        tmp_path / "real.json", ["person", "car"], [(0, 1, 1, 10, 20), (1, 5, 5, 40, 20), (1, 0, 0, 8, 8)]
    )
    stats = dataset_stats(open_dataset(ref))
    assert stats["kind"] == "coco"
    assert {k: v["annotations"] for k, v in stats["counts"]["per_class"].items()} == {"person": 1, "car": 2}
    assert stats["counts"]["per_split"] == {"all": {"images": 3, "annotations": 3, "episodes": 0}}
    assert stats["duplicates"]["hashed_images"] == 0  # no image files


def test_cli_json_and_table(handmade: Path, run_cli) -> None:
    code, out, err = run_cli("stats", str(handmade), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["counts"]["per_class"]["crate"]["annotations"] == 4
    code, out, _ = run_cli("stats", str(handmade))
    assert code == 0
    text = format_stats(doc)
    assert out.strip() == text.strip()
    assert "empty frames: 1 (16.7 %)" in out and "outside image: 1" in out and "1 across splits" in out


def test_cli_not_a_dataset_exits_2(tmp_path: Path, run_cli) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    code, out, err = run_cli("stats", str(tmp_path))
    assert code == 2 and "Traceback" not in err
    assert "not a dataset simgen can read" in err and "instances_<split>.json" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": [}')
    code, _, err = run_cli("stats", str(bad))
    assert code == 2 and f"{bad}:1:" in err and "not valid JSON" in err
    code, _, err = run_cli("stats", str(tmp_path / "missing"))
    assert code == 2 and "no such file or folder" in err


def test_targets_achieved_against_target(handmade: Path) -> None:
    manifest = json.loads((handmade / "manifest.json").read_text())
    manifest["scenario"]["config"]["targets"] = {"classes": {"defect": 0.3, "crate": 0.5}, "variants": {"night": 0.3}}
    (handmade / "manifest.json").write_text(json.dumps(manifest))
    t = dataset_stats(open_dataset(handmade), duplicates=False)["targets"]
    assert t["tolerance"] == 0.05
    assert t["classes"]["defect"] == {"target": 0.3, "achieved": pytest.approx(1 / 7), "under": True,
                                      "off": pytest.approx(1 / 7 - 0.3)}  # fmt: skip
    assert t["classes"]["crate"]["achieved"] == pytest.approx(4 / 7) and not t["classes"]["crate"]["under"]
    assert t["variants"]["night"]["achieved"] == pytest.approx(1 / 3) and not t["variants"]["night"]["under"]
    assert "class defect" in format_stats(dataset_stats(open_dataset(handmade), duplicates=False))
