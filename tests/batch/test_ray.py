"""Ray backend on a local instance bound to loopback: the same bytes as local processes, and an
actor that aborts is replaced and its episode retried. Runs only where the ``simgen[ray]`` extra is
installed (``-m ray`` selects these tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

import simgen
from simgen.batch.worker import FAIL_ENV
from tests.batch.trees import assert_same_tree, leftovers


@pytest.mark.ray
def test_ray_local_gives_the_bytes_of_local_processes(
    small_scenario_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    # The first attempt of episode 2 aborts its actor; the retry runs on a fresh actor.
    monkeypatch.setenv(FAIL_ENV, "2:abort:1")
    scenario = simgen.load(small_scenario_path)
    kw = {"episodes": 3, "renderer": "tiny", "formats": ["coco", "kitti", "mcap"], "progress": False}
    summary = simgen.render(scenario, tmp_path / "ray", workers=2, backend="ray", **kw)
    assert summary.failed == [] and summary.images == 6
    monkeypatch.delenv(FAIL_ENV)
    simgen.render(scenario, tmp_path / "local", workers=2, **kw)
    assert_same_tree(tmp_path / "local", tmp_path / "ray")
    assert leftovers(tmp_path / "ray") == []


def test_ray_missing_is_a_user_error_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from simgen.batch.ray_backend import require_ray

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("no ray")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(simgen.SimgenError, match="needs Ray") as err:
        require_ray()
    assert "simgen[ray]" in str(err.value)
