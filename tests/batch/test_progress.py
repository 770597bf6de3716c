"""``--progress json``: one JSON line per finished episode on stderr, for schedulers and dashboards."""

from __future__ import annotations

import io
import json
from pathlib import Path

from simgen.batch.progress import JsonProgress, make_progress


def test_json_lines_count_frames_failures_and_eta() -> None:
    stream = io.StringIO()
    p = JsonProgress(4, 16, 1, 4, stream=stream)  # 4 episodes of 4 frames, one done by an earlier run
    p.episode(2, 4, True, {"pid": 11, "rss_mb": 200.0, "peak_rss_mb": 210.0})
    p.episode(1, 4, False)
    p.episode(3, 4, True)
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert [x["episode"] for x in lines] == [2, 1, 3]
    assert [x["status"] for x in lines] == ["ok", "failed", "ok"]
    assert [x["done"] for x in lines] == [2, 3, 4] and all(x["total"] == 4 for x in lines)
    assert [x["failures"] for x in lines] == [0, 1, 1]
    # A failed episode's frames leave the total: the run ends at frames == frames_total.
    assert [(x["frames"], x["frames_total"]) for x in lines] == [(8, 16), (8, 12), (12, 12)]
    assert lines[-1]["eta_s"] == 0.0 and lines[0]["frames_per_s"] > 0
    assert lines[0]["worker"] == 11 and lines[0]["rss_mb"] == 200.0 and "worker" not in lines[1]


def test_modes() -> None:
    assert type(make_progress("none", 1, 1, 0, 0)).__name__ == "Progress"
    assert type(make_progress(False, 1, 1, 0, 0)).__name__ == "Progress"
    assert isinstance(make_progress("json", 1, 1, 0, 0), JsonProgress)


def test_cli_prints_one_line_per_episode(small_scenario_path: Path, tmp_path: Path, run_cli) -> None:
    code, stdout, stderr = run_cli(
        "render", str(small_scenario_path), "--out", str(tmp_path / "o"), "--renderer", "tiny", "--progress", "json"
    )
    assert code == 0, stderr
    lines = [json.loads(x) for x in stderr.splitlines() if x.startswith("{")]
    assert len(lines) == 2 and sorted(x["episode"] for x in lines) == [0, 1]
    assert lines[-1]["done"] == 2 and lines[-1]["frames"] == lines[-1]["frames_total"] == 4
    assert stdout.startswith("simgen: wrote 4 images") and "{" not in stdout


def test_worker_max_episodes_replaces_workers_and_keeps_bytes(
    small_scenario_path: Path, small_dataset: Path, tmp_path: Path, run_cli
) -> None:
    from tests.batch.test_runner import _assert_same_dataset

    out = tmp_path / "o"
    code, _, stderr = run_cli(
        "render", str(small_dataset.parent / "small.yaml"), "--out", str(out), "--renderer", "tiny",
        "--progress", "json", "--worker-max-episodes", "1",
    )  # fmt: skip
    assert code == 0, stderr
    lines = [json.loads(x) for x in stderr.splitlines() if x.startswith("{")]
    assert len({x["worker"] for x in lines}) == 2  # one process per episode
    _assert_same_dataset(small_dataset, out)


TEXTURED = """
name: textured
episodes: 1
frames: 1
classes: [crate]
world: {settle_time: 0}
objects:
  - {name: crate, type: box, class: crate, size: [0.3, 0.3, 0.3], position: [0, 0, 0.15], behavior: {type: static}}
randomize:
  - {type: texture, target: objects, generators: [checker]}
cameras: [{width: 32, height: 24, position: [1.5, -1.5, 1], look_at: [0, 0, 0]}]
"""


def test_json_stream_has_only_json_lines_notices_included(write_scenario, tmp_path: Path, run_cli) -> None:
    path = write_scenario(TEXTURED, "textured.yaml")
    code, _, stderr = run_cli("render", str(path), "--out", str(tmp_path / "o"), "--progress", "json")
    assert code == 0, stderr
    events = [json.loads(x) for x in stderr.splitlines()]  # every line parses
    notices = [e for e in events if e["event"] == "notice"]
    assert any("TinyRenderer" in e["message"] for e in notices), events
    assert [e["event"] for e in events].count("episode") == 1


def test_json_stream_reports_errors_as_json_with_their_place(write_scenario, tmp_path: Path, run_cli) -> None:
    path = write_scenario(TEXTURED.replace("size: [0.3, 0.3, 0.3]", "size: [0.3, 0.3, -1]"), "bad.yaml")
    code, _, stderr = run_cli("render", str(path), "--out", str(tmp_path / "o"), "--progress", "json")
    assert code == 2
    (event,) = [json.loads(x) for x in stderr.splitlines()]
    assert event["event"] == "error" and event["file"] == str(path) and event["line"] == 8
    assert "objects[0].size" in event["message"]
