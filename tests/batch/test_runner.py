"""The batch runner: byte-identical outputs whatever the worker count, seeds matter, resume works."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import simgen
from simgen.batch.runner import STATE_DIR
from simgen.errors import OutputError, SimgenError


def _files(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` (relative path -> bytes), run state excluded."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and STATE_DIR not in p.relative_to(out).parts
    }


def _manifest_without_created(data: bytes) -> dict:
    doc = json.loads(data)
    assert doc.pop("created")
    return doc


def _assert_same_dataset(a: Path, b: Path) -> None:
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb)
    assert any(k.startswith("coco/annotations/instances_") for k in fa)
    assert any(k.startswith("coco/images/") for k in fa)
    for name in fa:
        if name == "manifest.json":
            assert _manifest_without_created(fa[name]) == _manifest_without_created(fb[name])
        else:
            assert fa[name] == fb[name], name


def _source(dataset: Path) -> Path:
    """The scenario file the session's small dataset was rendered from (the manifest records its path)."""
    return dataset.parent / "small.yaml"


def _render(scenario_path: Path, out: Path, **kw) -> simgen.batch.runner.RunSummary:
    kw.setdefault("renderer", "tiny")
    return simgen.render(simgen.load(scenario_path), out, progress=False, **kw)


def test_same_seed_twice_is_byte_identical(small_scenario_path: Path, small_dataset: Path, tmp_path: Path) -> None:
    _render(_source(small_dataset), tmp_path / "again")
    _assert_same_dataset(small_dataset, tmp_path / "again")
    manifest = json.loads((small_dataset / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert manifest["run"]["seed"] == 7 and len(manifest["episodes"]) == 2
    assert manifest["counts"]["images"] == 4


def test_manifest_bytes_differ_only_in_created(small_scenario_path: Path, small_dataset: Path, tmp_path: Path) -> None:
    _render(_source(small_dataset), tmp_path / "again", episodes=2)
    a = (small_dataset / "manifest.json").read_text().splitlines()
    b = (tmp_path / "again" / "manifest.json").read_text().splitlines()
    assert len(a) == len(b)
    differing = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    assert all('"created"' in x and '"created"' in y for x, y in differing)


def test_worker_count_does_not_change_bytes_three_episodes(
    small_scenario_path: Path, tmp_path: Path, renderer: str
) -> None:
    _render(small_scenario_path, tmp_path / "w1", episodes=3, workers=1, renderer=renderer)
    _render(small_scenario_path, tmp_path / "w2", episodes=3, workers=2, renderer=renderer)
    _assert_same_dataset(tmp_path / "w1", tmp_path / "w2")


def test_two_workers_match_one(small_scenario_path: Path, small_dataset: Path, tmp_path: Path) -> None:
    summary = _render(_source(small_dataset), tmp_path / "w2", workers=2)
    assert summary.images == 4
    _assert_same_dataset(small_dataset, tmp_path / "w2")


def test_another_seed_gives_different_data(small_scenario_path: Path, small_dataset: Path, tmp_path: Path) -> None:
    _render(small_scenario_path, tmp_path / "seed8", seed=8)
    a, b = _files(small_dataset), _files(tmp_path / "seed8")
    assert a["coco/annotations/instances_train.json"] != b["coco/annotations/instances_train.json"]
    images = [k for k in a if k.endswith(".png")]
    assert images and all(a[k] != b[k] for k in images)
    ma, mb = json.loads(a["manifest.json"]), json.loads(b["manifest.json"])
    assert [e["seed"] for e in ma["episodes"]] != [e["seed"] for e in mb["episodes"]]
    assert ma["episodes"][0]["sampled"] != mb["episodes"][0]["sampled"]


def test_resume_after_interruption_gives_identical_bytes(
    small_scenario_path: Path, small_dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "interrupted"
    shutil.copytree(small_dataset, out)
    # As if the run died after episode 0: episode 1's record and the index files never got written.
    (out / STATE_DIR / "episodes" / "e000001.json").unlink()
    for p in [*out.glob("coco/annotations/*.json"), out / "manifest.json", out / "DATASET_CARD.md"]:
        p.unlink()
    for p in (out / "coco" / "images" / "val").glob("*.png"):
        p.unlink()
    summary = _render(_source(small_dataset), out, resume=True)
    assert summary.skipped_episodes == 1 and summary.images == 4
    _assert_same_dataset(small_dataset, out)


def test_resume_of_finished_run_rewrites_nothing_different(
    small_scenario_path: Path, small_dataset: Path, tmp_path: Path
) -> None:
    out = tmp_path / "done"
    shutil.copytree(small_dataset, out)
    summary = _render(_source(small_dataset), out, resume=True)
    assert summary.skipped_episodes == 2
    _assert_same_dataset(small_dataset, out)


def test_non_empty_out_without_resume_is_refused(small_scenario_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("user data")
    with pytest.raises(OutputError, match="not empty") as err:
        _render(small_scenario_path, out)
    assert "--resume" in str(err.value)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_resume_into_folder_without_run_is_refused(small_scenario_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "foreign"
    out.mkdir()
    (out / "keep.txt").write_text("user data")
    with pytest.raises(OutputError, match="no simgen run"):
        _render(small_scenario_path, out, resume=True)


@pytest.mark.parametrize("change", [{"seed": 99}, {"frames": 1}, {"episodes": 3}])
def test_resume_with_different_options_is_refused(
    small_scenario_path: Path, small_dataset: Path, tmp_path: Path, change: dict
) -> None:
    out = tmp_path / "other"
    shutil.copytree(small_dataset, out)
    before = _files(out)
    with pytest.raises(OutputError, match="different scenario or options"):
        _render(small_scenario_path, out, resume=True, **change)
    assert _files(out) == before


def test_resume_with_edited_scenario_is_refused(small_scenario_path: Path, small_dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "edited"
    shutil.copytree(small_dataset, out)
    small_scenario_path.write_text(small_scenario_path.read_text().replace("fov_y: 55", "fov_y: 56"))
    with pytest.raises(OutputError, match="different scenario or options"):
        _render(small_scenario_path, out, resume=True)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"frames": 0}, "--frames must be at least 1"),
        ({"episodes": 0}, "--episodes must be at least 1"),
        ({"workers": 0}, "--workers must be at least 1"),
        ({"seed": -5}, "seed must be an integer in 0 .. 2\\*\\*63-1, got -5"),
        ({"formats": ["coco", "yolov9"]}, "unknown format 'yolov9'"),
        ({"renderer": "egll"}, "did you mean 'egl'"),
    ],
)
def test_regression_bad_run_options_are_user_errors_and_write_nothing(
    small_scenario_path: Path, tmp_path: Path, kw: dict, message: str
) -> None:
    # frames=0 once rendered an empty dataset and a negative seed raised a bare ValueError.
    out = tmp_path / "out"
    with pytest.raises(SimgenError, match=message):
        simgen.render(simgen.load(small_scenario_path), out, progress=False, **{"renderer": "tiny", **kw})
    assert not out.exists()


FULL_PIPELINE = """\
version: 1
name: full
seed: 4
episodes: 2
frames: 2
classes: [cart, crate, duck]
world: {settle_time: 0.1, frame_rate: 10}
objects:
  - {name: cart, type: box, class: cart, size: [0.5, 0.3, 0.25], position: [0, 0, 0.13], mass: 5,
     behavior: {type: physics, velocity: [0.8, 0.2, 0], angular_velocity: [0, 0, 0.5]}}
  - {name: crate, type: box, class: crate, count: 2, size: [0.25, 0.25, 0.25], mass: 0,
     position: [{uniform: [0.6, 1.2]}, {uniform: [-0.5, 0.5]}, 0.13], rpy: [0, 0, {uniform: [0, 90]}]}
  - {name: duck, type: urdf, class: duck, path: "pybullet_data:duck_vhacd.urdf", position: [0.4, -0.4, 0.1],
     rpy: [90, 0, 30]}
cameras:
  - {name: main, width: 64, height: 48, fov_y: 60, position: [-1.5, 0, 1.2], look_at: [0.5, 0, 0],
     outputs: [rgb, depth, instance, semantic, flow]}
sensors:
  - {name: velo, type: lidar, rate: 10, channels: 8, horizontal_resolution: 4, mount: {body: cart_0},
     position: [0, 0, 0.3]}
randomize:
  - {type: color, scope: object, filter: {classes: [crate]}}
effects:
  - {type: motion_blur, exposure: 0.02, samples: 4}
  - {type: gaussian_noise}
"""


def test_full_pipeline_is_byte_identical_for_one_or_two_workers(tmp_path: Path) -> None:
    """Fast check of the whole pipeline on real renders: physics, LiDAR, flow, a randomizer,
    image effects (motion blur from the frames' velocities) and every exporter, 1 vs 2 workers."""
    scenario = tmp_path / "full.yaml"
    scenario.write_text(FULL_PIPELINE, encoding="utf-8")
    formats = ["coco", "yolo", "kitti", "voc", "bop", "mcap", "raw"]
    for workers in (1, 2):
        _render(scenario, tmp_path / f"w{workers}", workers=workers, formats=formats)
    one, two = _files(tmp_path / "w1"), _files(tmp_path / "w2")
    assert sorted(one) == sorted(two)
    assert sum(k.startswith("kitti/training/velodyne/") for k in one) == 4  # a LiDAR sweep per frame
    assert any(k.startswith("bop/") and k.endswith("scene_gt.json") for k in one)
    assert sum(k.startswith("coco/images/") for k in one) == 4
    _assert_same_dataset(tmp_path / "w1", tmp_path / "w2")
