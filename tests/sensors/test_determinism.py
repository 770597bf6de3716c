"""Sensor streams and images are byte-identical whatever the worker count."""

from __future__ import annotations

import filecmp
import textwrap

import pytest

import simgen

from .test_clock import SUITE


@pytest.mark.slow
def test_sensor_streams_do_not_depend_on_worker_count(tmp_path):
    sc = simgen.loads(textwrap.dedent(SUITE).replace("frames: 4", "frames: 2"))
    for workers in (1, 2):
        simgen.render(sc, tmp_path / f"w{workers}", episodes=3, workers=workers, renderer="tiny", progress=False)
    for sub in ("raw/sensors/e000000", "raw/sensors/e000002", "coco/annotations"):
        cmp = filecmp.dircmp(tmp_path / "w1" / sub, tmp_path / "w2" / sub)
        assert cmp.left_list and not cmp.diff_files and not cmp.left_only and not cmp.right_only
        _, mismatch, errors = filecmp.cmpfiles(
            tmp_path / "w1" / sub, tmp_path / "w2" / sub, cmp.left_list, shallow=False
        )
        assert not mismatch and not errors
