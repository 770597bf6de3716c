"""``kill -9`` of the whole process group at several moments, then ``--resume``: the finished tree
equals an uninterrupted run's, file for file, and no temporary is left anywhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simgen.batch.state import STATE_DIR
from tests.batch.trees import assert_same_tree, leftovers
from tests.conftest import REPO

FORMATS = "coco,yolo,kitti,voc,mcap,raw,bop"


def _args(scenario: Path, out: Path, episodes: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "simgen", "render", str(scenario), "--out", str(out), "--episodes", str(episodes),
        "--renderer", "tiny", "--formats", FORMATS, "--workers", str(workers), "--progress", "none",
    ]  # fmt: skip


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _kill_when(cmd: list[str], ready: Callable[[], bool], timeout: float = 120) -> bool:
    """Start ``cmd`` in its own process group; SIGKILL the group once ``ready()``; True if it was killed."""
    proc = subprocess.Popen(
        cmd, env=_env(), start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if ready():
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.002)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_kill_while_temporaries_exist_then_resume_leaves_nothing(small_scenario_path: Path, tmp_path: Path) -> None:
    out, clean = tmp_path / "killed", tmp_path / "clean"
    cmd = _args(small_scenario_path, out, episodes=3, workers=2)
    # Kill the group the moment a temporary shows up, resuming each time, until a kill leaves one
    # behind (usually the first): that is the state the resume must clean.
    stray: list[str] = []
    for attempt in range(8):
        killed = _kill_when(cmd + (["--resume"] if attempt else []), lambda: bool(out.exists() and leftovers(out)))
        stray = leftovers(out)
        if stray or not killed:
            break
    assert stray, "no kill left a temporary behind"
    _run(cmd + ["--resume"])
    assert leftovers(out) == []
    _run(_args(small_scenario_path, clean, episodes=3, workers=1))
    assert_same_tree(clean, out)


@pytest.mark.slow
@pytest.mark.parametrize("moment", [0.3, 1.0, 2.0, 3.5, 5.0, 8.0])
def test_kill_at_several_moments_then_resume_gives_the_uninterrupted_tree(
    small_scenario_path: Path, tmp_path: Path, moment: float
) -> None:
    out, clean = tmp_path / "killed", tmp_path / "clean"
    cmd = _args(small_scenario_path, out, episodes=5, workers=2)
    t0 = time.monotonic()
    _kill_when(cmd, lambda: time.monotonic() - t0 > moment)
    # A second kill, this time of the resumed run, soon after it starts sweeping and rendering.
    if (out / STATE_DIR / "run.json").exists():
        t1 = time.monotonic()
        _kill_when(cmd + ["--resume"], lambda: time.monotonic() - t1 > moment / 2)
    _run(cmd + (["--resume"] if out.exists() and any(p.is_file() for p in out.rglob("*")) else []))
    assert leftovers(out) == []
    _run(_args(small_scenario_path, clean, episodes=5, workers=1))
    assert_same_tree(clean, out)
