"""Failure isolation: an episode that raises or kills its worker is retried in a fresh process,
then recorded as failed while the others complete; ``--resume`` retries it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simgen
from simgen.batch.state import STATE_DIR, failure_file, traceback_file
from simgen.batch.worker import FAIL_ENV, fail_plan
from tests.batch.test_runner import _files
from tests.batch.trees import assert_same_tree, leftovers


def _render(path: Path, out: Path, **kw):
    kw.setdefault("renderer", "tiny")
    return simgen.render(simgen.load(path), out, progress=False, **kw)


def _episodes_with_files(out: Path) -> set[int]:
    """Episodes that own a per-frame file outside the run state."""
    found = set()
    for name in _files(out):
        stem = Path(name).name
        if stem.startswith("e0"):
            found.add(int(stem[1:7]))
    return found


def test_fail_plan_parses_modes_and_attempts() -> None:
    assert fail_plan("3:raise, 5:abort,7:kill:1") == {3: ("raise", None), 5: ("abort", None), 7: ("kill", 1)}
    assert fail_plan("") == {}
    with pytest.raises(ValueError, match="EPISODE:raise|abort|kill"):
        fail_plan("3:explode")


def test_raise_and_abort_are_isolated_recorded_and_resumed(
    small_scenario_path: Path, tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "failing"
    # Episode 0 is killed once (SIGKILL, like the OOM killer) and succeeds on its retry;
    # episode 1 always raises, episode 2 always aborts (SIGABRT, like a segfaulting extension).
    monkeypatch.setenv(FAIL_ENV, "0:kill:1,1:raise,2:abort")
    args = [str(small_scenario_path), "--out", str(out), "--episodes", "4", "--renderer", "tiny"]
    args += ["--workers", "2", "--retries", "1", "--formats", "coco,yolo,kitti,mcap"]
    code, stdout, stderr = run_cli("render", *args)
    assert code == 3, stderr
    assert "2 FAILED (episodes 1-2" in stdout
    assert "Traceback" not in stderr

    manifest = json.loads((out / "manifest.json").read_text())
    failures = {f["index"]: f for f in manifest["failures"]}
    assert sorted(failures) == [1, 2]
    assert failures[1]["error"].startswith("RuntimeError: SIMGEN_TEST_FAIL_EPISODES asked episode 1")
    assert failures[2]["error"] == "worker process died (SIGABRT)"
    assert all(f["attempts"] == 2 for f in failures.values())
    seeds = {i: simgen.sample(simgen.load(small_scenario_path), i, episodes=4).seed for i in (1, 2)}
    assert {i: f["seed"] for i, f in failures.items()} == seeds
    assert "raise RuntimeError" in (out / failures[1]["traceback"]).read_text()
    assert traceback_file(out, 2).read_text().startswith("worker process died (SIGABRT)")
    card = (out / "DATASET_CARD.md").read_text()
    assert "## Missing episodes" in card and "| 2 | " in card
    # The others completed; nothing of the failed episodes is left in the dataset.
    assert [e["index"] for e in manifest["episodes"]] == [0, 3]
    assert _episodes_with_files(out) == {0, 3}
    coco = json.loads((out / "coco" / "annotations" / "instances_train.json").read_text())
    coco_val = json.loads((out / "coco" / "annotations" / "instances_val.json").read_text())
    assert {im["episode"] for im in coco["images"] + coco_val["images"]} == {0, 3}

    monkeypatch.delenv(FAIL_ENV)
    code, stdout, stderr = run_cli("render", *args, "--resume")
    assert code == 0, stderr
    assert "FAILED" not in stdout and "2 resumed" in stdout
    assert "Missing episodes" not in (out / "DATASET_CARD.md").read_text()
    assert not (out / STATE_DIR / "failures").exists()
    clean = tmp_path / "clean"
    _render(small_scenario_path, clean, episodes=4, formats=["coco", "yolo", "kitti", "mcap"])
    assert_same_tree(clean, out)
    assert leftovers(out) == []


def test_no_retries_records_first_failure(small_scenario_path: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(FAIL_ENV, "1:raise:1")
    summary = _render(small_scenario_path, tmp_path / "out", episodes=2, retries=0)
    assert summary.failed == [1]
    assert json.loads(failure_file(tmp_path / "out", 1).read_text())["attempts"] == 1
    summary = _render(small_scenario_path, tmp_path / "retried", episodes=2, retries=1)
    assert summary.failed == [] and summary.images == 4


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"retries": -1}, "--retries must be at least 0"),
        ({"max_episodes_per_worker": -1}, "--worker-max-episodes must be at least 0"),
        ({"backend": "rai"}, "did you mean 'ray'"),
        ({"address": "auto"}, "--address names a Ray cluster; it needs --backend ray"),
        ({"shard": (3, 3)}, "--shard '3/3'"),
    ],
)
def test_bad_batch_options_are_user_errors_and_write_nothing(
    small_scenario_path: Path, tmp_path: Path, kw: dict, message: str
) -> None:
    with pytest.raises(simgen.SimgenError, match=message):
        _render(small_scenario_path, tmp_path / "out", **kw)
    assert not (tmp_path / "out").exists()


def test_a_failing_episode_leaves_no_temporaries_without_any_sweep(tmp_path, monkeypatch, small_scenario_path) -> None:
    """The worker calls every exporter's abort hook: the MCAP recording and BOP scene it had open go."""
    from simgen.batch import worker
    from simgen.export.base import DatasetInfo

    scenario = simgen.load(small_scenario_path)
    out = tmp_path / "out"
    opts = worker.RunOptions(episodes=1, frames=2, seed=7, formats=("mcap", "bop", "raw", "coco"), renderer="tiny")
    info = DatasetInfo(out, "small", "", tuple(scenario.classes), ("train",), "0")
    monkeypatch.setenv(worker.FAIL_ENV, "0:raise")
    worker.init_worker(scenario, opts, info)
    try:
        with pytest.raises(RuntimeError, match="asked episode 0 to fail"):
            worker.render_episode(simgen.sample(scenario, 0, episodes=opts.episodes, seed=opts.seed))
        assert out.is_dir()  # the first frame was written before the failure
        assert sorted(p.relative_to(out).as_posix() for p in out.rglob(".*")) == []
    finally:
        worker.close_worker()
