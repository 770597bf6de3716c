"""Every format's export of the fake frames matches the reviewed golden files.

After an intended output change: ``PYTHONPATH=$PWD python scripts/regen_golden.py`` and review.
"""

from __future__ import annotations

from pathlib import Path

import fake
import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory):
    return fake.golden_export(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("fmt", ["bop", "coco", "hf", "kitti", "mcap", "raw", "voc", "yolo", "yolo-seg"])
def test_export_matches_golden(snapshots, fmt):
    want = {p.relative_to(GOLDEN / fmt).as_posix(): p.read_text() for p in (GOLDEN / fmt).rglob("*") if p.is_file()}
    got = snapshots[fmt]
    assert sorted(got) == sorted(want)
    for rel in sorted(want):
        assert got[rel] == want[rel], f"{fmt}/{rel} differs from the golden file (regenerate on purpose)"


def test_exports_are_byte_identical_between_runs(tmp_path):
    a = fake.golden_export(tmp_path / "a")
    b = fake.golden_export(tmp_path / "b")
    assert a == b


def test_output_does_not_depend_on_worker_count_or_completion_order(tmp_path):
    import json

    from simgen.export.base import get_exporter

    frames = fake.frames(episodes=3)
    names = ["coco", "hf", "yolo", "kitti", "voc", "bop", "mcap", "raw"]
    fake.export(tmp_path / "one", names, frames)
    for name in names:
        # Two "workers", each with its own exporter; episodes finish in reverse order.
        workers = [get_exporter(name)(fake.info(tmp_path / "two")) for _ in range(2)]
        records: dict[int, dict] = {}
        for episode in (2, 1, 0):
            w = workers[episode % 2]
            w.begin()
            for pos, fr in enumerate(frames):
                if fr.episode == episode:
                    records[pos] = json.loads(json.dumps(w.add(fr)))
            w.end_episode(episode)
            w.flush()  # the runner waits for an episode's background writes before recording it
        final = get_exporter(name)(fake.info(tmp_path / "two"))
        final.begin()
        final.finish([records[pos] for pos in range(len(frames))])
        assert fake.snapshot(tmp_path / "one" / name) == fake.snapshot(tmp_path / "two" / name), name


def test_finish_can_run_again_after_an_interrupted_finish(tmp_path):
    """Resume re-runs finish: renames already done must be skipped, the result unchanged."""
    import json

    from simgen.export.base import get_exporter

    frames = fake.frames()
    names = ["coco", "hf", "kitti", "voc", "bop", "mcap", "raw", "yolo"]
    records = fake.export(tmp_path, names, frames)
    before = {n: fake.snapshot(tmp_path / n) for n in names}
    for name in names:
        exp = get_exporter(name)(fake.info(tmp_path))
        exp.begin()
        exp.finish(json.loads(json.dumps(records[name])))
        assert fake.snapshot(tmp_path / name) == before[name], name


def test_staged_folder_replaces_leftovers_and_appears_whole(tmp_path):
    from simgen.core.fileio import StagedDir

    final = tmp_path / "scene"
    (tmp_path / ".scene.partial").mkdir()
    (tmp_path / ".scene.partial" / "stale.png").write_bytes(b"old")
    d = StagedDir(final)
    d.write("rgb/000000.png", b"new")
    assert not final.exists()
    d.commit()
    assert sorted(p.relative_to(final).as_posix() for p in final.rglob("*") if p.is_file()) == ["rgb/000000.png"]
    d2 = StagedDir(final)
    d2.write("a.txt", b"x")
    d2.commit()
    assert [p.name for p in final.iterdir()] == ["a.txt"]
    assert not (tmp_path / ".scene.partial").exists()
