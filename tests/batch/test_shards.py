"""Shards for job arrays: ``--shard I/N`` renders a deterministic subset; ``simgen merge`` assembles
them byte-identical to a single run and refuses shards that do not belong together."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import simgen
from simgen.batch.runner import shard_episodes
from simgen.batch.shards import merge
from simgen.batch.state import episode_file
from simgen.cli import parse_shard
from simgen.errors import OutputError, SimgenError
from tests.batch.trees import assert_same_tree, tree

FORMATS = ["coco", "yolo", "kitti", "mcap", "bop"]


def _render(path: Path, out: Path, **kw):
    kw.setdefault("renderer", "tiny")
    kw.setdefault("formats", FORMATS)
    return simgen.render(simgen.load(path), out, progress=False, **kw)


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    """The small scenario, 4 episodes: three shards and one single-machine run of it."""
    from tests.conftest import SMALL_SCENARIO

    root = tmp_path_factory.mktemp("shards")
    path = root / "small.yaml"
    path.write_text(SMALL_SCENARIO)
    folders = []
    for i in range(3):
        folders.append(root / f"shard{i}")
        summary = _render(path, folders[-1], episodes=4, shard=(i, 3))
        assert summary.shard == (i, 3) and summary.episodes == len(shard_episodes(4, (i, 3)))
    single = root / "single"
    _render(path, single, episodes=4, workers=2)
    return path, folders, single


def test_shards_partition_the_episodes() -> None:
    assert [shard_episodes(7, (i, 3)) for i in range(3)] == [[0, 3, 6], [1, 4], [2, 5]]
    assert shard_episodes(3, None) == [0, 1, 2]
    assert parse_shard("2/5") == (2, 5)
    for bad in ("3/3", "-1/2", "1", "a/b", "0/0"):
        with pytest.raises(SimgenError, match="--shard"):
            parse_shard(bad)


def test_shard_renders_only_its_episodes_and_no_index(shards) -> None:
    _, folders, _ = shards
    assert sorted(p.name for p in (folders[1] / ".simgen" / "episodes").iterdir()) == ["e000001.json"]
    assert not (folders[1] / "manifest.json").exists()
    assert not list(folders[1].glob("coco/annotations/*.json"))


def test_three_shards_merged_equal_a_single_run(shards, tmp_path: Path, run_cli) -> None:
    _, folders, single = shards
    code, stdout, stderr = run_cli("merge", *map(str, reversed(folders)), "--out", str(tmp_path / "merged"))
    assert code == 0, stderr
    assert "8 images" in stdout
    assert_same_tree(single, tmp_path / "merged")
    # The merged folder is a run like any other: resuming it renders nothing and changes nothing.
    before = tree(tmp_path / "merged")
    summary = _render(shards[0], tmp_path / "merged", episodes=4, resume=True)
    assert summary.skipped_episodes == 4
    after = tree(tmp_path / "merged")
    assert before.keys() == after.keys()
    assert {k for k in before if before[k] != after[k]} <= {"manifest.json"}  # its "created"


def test_merge_refuses_missing_and_duplicate_shards(shards, tmp_path: Path, run_cli) -> None:
    _, folders, _ = shards
    out = tmp_path / "merged"
    code, _, stderr = run_cli("merge", str(folders[0]), str(folders[2]), "--out", str(out))
    assert code == 2 and "shard 1/3 missing (2 of 3 given)" in stderr and "Traceback" not in stderr
    with pytest.raises(OutputError, match="shard 0/3 given twice"):
        merge([folders[0], folders[1], folders[2], folders[0]], out)
    copy = tmp_path / "copy_of_shard2"
    shutil.copytree(folders[2], copy)
    code, _, stderr = run_cli("merge", *map(str, folders), str(copy), "--out", str(out))
    assert code == 2 and f"shard 2/3 given twice: '{folders[2]}' and '{copy}'" in stderr
    assert not out.exists()


def test_merge_refuses_shards_of_different_runs(shards, tmp_path: Path, run_cli) -> None:
    path, folders, _ = shards
    other = tmp_path / "other1"
    _render(path, other, episodes=4, shard=(1, 3), seed=99)
    code, _, stderr = run_cli("merge", str(folders[0]), str(other), str(folders[2]), "--out", str(tmp_path / "m"))
    assert code == 2 and "shards of different runs" in stderr
    assert not (tmp_path / "m").exists()
    with pytest.raises(OutputError, match="holds a whole run, not a shard"):
        merge([shards[2]], tmp_path / "m2")


def test_merge_refuses_unfinished_shard(shards, tmp_path: Path) -> None:
    _, folders, _ = shards
    broken = tmp_path / "shard1"
    shutil.copytree(folders[1], broken)
    episode_file(broken, 1).unlink()
    with pytest.raises(OutputError, match=r"shard 1/3 .* is not finished") as err:
        merge([folders[0], broken, folders[2]], tmp_path / "m")
    assert "--shard 1/3 --resume" in str(err.value)


def test_resume_of_a_shard_with_another_shard_is_refused(shards, tmp_path: Path) -> None:
    path, folders, _ = shards
    copy = tmp_path / "s0"
    shutil.copytree(folders[0], copy)
    with pytest.raises(OutputError, match="holds shard 0/3, not shard 1/3"):
        _render(path, copy, episodes=4, shard=(1, 3), resume=True)
    assert json.loads((copy / ".simgen" / "run.json").read_text())["shard"] == [0, 3]


@pytest.mark.slow
def test_one_two_four_workers_and_merged_shards_give_the_same_bytes(shards, tmp_path: Path) -> None:
    path, folders, single = shards
    for workers in (1, 4):
        _render(path, tmp_path / f"w{workers}", episodes=4, workers=workers)
        assert_same_tree(single, tmp_path / f"w{workers}")
    merge(folders, tmp_path / "merged")
    assert_same_tree(tmp_path / "w1", tmp_path / "merged")
