"""A folder exists only if it holds files: no format leaves a half-present optional folder.

Regression: a run without LiDAR created an empty ``kitti/training/velodyne/`` (tools then expect a
``.bin`` per frame), and split folders of splits that got no episodes stayed empty.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import fake
import pytest

from simgen.export.base import EXPORTERS, load_builtin

load_builtin()


def empty_dirs(root: Path) -> list[str]:
    """Every folder under ``root`` (itself included) that holds nothing."""
    dirs = [root, *(p for p in root.rglob("*") if p.is_dir())]
    return sorted(p.relative_to(root.parent).as_posix() for p in dirs if not any(p.iterdir()))


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_no_empty_folder_without_optional_data(tmp_path, fmt):
    """No LiDAR, an unlabeled frame, and a split ('test') that gets no frames at all."""
    frames = fake.frames(lidar=False)
    frames[1] = dataclasses.replace(frames[1], labels=[])
    info = dataclasses.replace(fake.info(tmp_path), splits=("train", "val", "test"))
    exp = EXPORTERS[fmt](info)
    exp.begin()
    recs = []
    for i, fr in enumerate(frames):
        recs.append(exp.add(fr))
        if i + 1 == len(frames) or frames[i + 1].episode != fr.episode:
            exp.end_episode(fr.episode)
            exp.flush()
    final = EXPORTERS[fmt](info)
    final.begin()
    final.finish(recs)
    assert (tmp_path / fmt).is_dir()
    assert empty_dirs(tmp_path / fmt) == []
    assert not any(p.name == "test" for p in (tmp_path / fmt).rglob("*") if p.is_dir())


def test_begin_alone_creates_nothing(tmp_path):
    for name, cls in sorted(EXPORTERS.items()):
        cls(fake.info(tmp_path)).begin()
        assert not (tmp_path / name).exists(), name
