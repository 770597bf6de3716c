"""The one reader on real simgen output: its COCO and raw layouts give the same statistics."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from simgen.dataset.reader import open_dataset, split_image_arg
from simgen.dataset.stats import dataset_stats
from tests.conftest import SMALL_SCENARIO


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import simgen

    folder = tmp_path_factory.mktemp("qa_rendered")
    (folder / "small.yaml").write_text(SMALL_SCENARIO, encoding="utf-8")
    out = folder / "out"
    simgen.render(simgen.load(folder / "small.yaml"), out, renderer="tiny", formats=["coco", "raw"], progress=False)
    return out


def test_coco_and_raw_layouts_agree(rendered: Path, tmp_path: Path) -> None:
    coco = dataset_stats(open_dataset(rendered))
    raw_only = tmp_path / "raw_only"
    shutil.copytree(rendered / "raw", raw_only / "raw")
    shutil.copy(rendered / "manifest.json", raw_only / "manifest.json")
    raw_ds = open_dataset(raw_only)
    assert raw_ds.kind == "simgen-raw"
    raw = dataset_stats(raw_ds)
    assert coco["kind"] == "simgen-coco" and coco["classes"] == raw["classes"] == ["crate", "ball", "can"]
    for key in ("images", "annotations", "per_class", "per_split", "empty_images"):
        assert coco["counts"][key] == raw["counts"][key], key
    for name, summary in coco["distributions"].items():
        assert summary == raw["distributions"][name], name
    # Labels simgen wrote pass every sanity check (boxes inside, masks agree with boxes and areas).
    assert coco["sanity"]["ok"] and raw["sanity"]["ok"], coco["sanity"]
    assert coco["counts"]["images"] == 4 and coco["counts"]["episodes"] == 2
    assert coco["distributions"]["distance"]["n"] == coco["counts"]["annotations"]
    assert coco["duplicates"]["hashed_images"] == 4


def test_manifest_matches_counts(rendered: Path) -> None:
    ds = open_dataset(rendered)
    counts = dataset_stats(ds, duplicates=False)["counts"]
    manifest_counts = ds.manifest["counts"]
    assert counts["images"] == manifest_counts["images"]
    assert {k: v["annotations"] for k, v in counts["per_class"].items()} == manifest_counts["annotations_per_class"]


def test_split_image_arg() -> None:
    assert split_image_arg("a/real.json:imgs") == (Path("a/real.json"), Path("imgs"))
    assert split_image_arg("a/real.json") == (Path("a/real.json"), None)
    assert split_image_arg("C:dir") == (Path("C:dir"), None)
