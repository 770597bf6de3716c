"""Soak: a worker's memory stays flat over a long run of short episodes (``-m slow``).

Domain randomization makes every episode new meshes, hulls and textures; whatever the process
keeps per episode shows here as growth. The bound is the one production runs are sized by: less
than 10 MB of resident memory between the worker's 30th episode and any later one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EPISODES = 1000
WARM = 30  # episodes that fill the bounded per-process caches and the allocator's pools
BOUND_MB = 10.0


@pytest.mark.slow
def test_quickstart_worker_memory_is_flat_over_1000_episodes(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "simgen", "render", "quickstart", "--out", str(tmp_path / "ds")]
    cmd += ["--episodes", str(EPISODES), "--frames", "1", "--workers", "1", "--renderer", "tiny"]
    cmd += ["--progress", "json"]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=7200, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    rss = [r["rss_mb"] for r in rows if "rss_mb" in r]
    assert len(rss) == EPISODES
    growth = max(rss[WARM:]) - rss[WARM - 1]
    assert growth < BOUND_MB, f"worker RSS grew {growth:.1f} MB after episode {WARM} (RSS {rss[WARM - 1]} -> {rss[-1]})"
