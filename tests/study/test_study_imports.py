"""The study's readers, evaluation and reports load neither the simulator nor torch."""

from __future__ import annotations

import pytest

from tests.test_imports import _loaded_after_import

STUDY_READERS = ["simgen.study", "simgen.study.data", "simgen.study.evaluate", "simgen.study.report"]


@pytest.mark.parametrize("module", STUDY_READERS)
def test_study_readers_never_touch_the_simulator_or_torch(module: str) -> None:
    loaded = _loaded_after_import(module)
    assert "pybullet" not in loaded and "torch" not in loaded
    assert not {m for m in loaded if m.startswith(("simgen.sim.", "simgen.batch"))}


def test_cli_loads_the_study_only_when_asked() -> None:
    loaded = _loaded_after_import("simgen.cli")
    assert not {m for m in loaded if m.startswith("simgen.study")} and "torch" not in loaded
