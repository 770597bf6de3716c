"""The command line as users run it: ``python -m simgen`` in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from tests.conftest import SMALL_SCENARIO

MALFORMED = """\
version: 1
name: broken
objects:
  - name: crate
    type: box
    class: crate
    size: [0.2, 0.2, big]
cameras:
  - {position: [1, 0, 1], look_at: [0, 0, 0]}
"""


def _assert_user_error(code: int, stderr: str) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert stderr.strip(), "an error must say something"


def test_help_shows_examples(run_cli) -> None:
    code, out, err = run_cli("--help")
    assert code == 0, err
    assert "examples:" in out and "simgen render" in out and "simgen preview" in out
    code, out, _ = run_cli("render", "--help")
    assert code == 0 and "--resume" in out and "example" in out


def test_malformed_scenario_exits_2_with_location(run_cli, write_scenario, tmp_path: Path) -> None:
    path = write_scenario(MALFORMED, "broken.yaml")
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("render", str(path), "--out", str(out), "--renderer", "tiny")
    _assert_user_error(code, stderr)
    assert f"{path}:7:" in stderr and "objects[0].size[2]" in stderr
    assert not out.exists(), "nothing may be created in --out for an invalid scenario"


def test_yaml_syntax_error_exits_2(run_cli, write_scenario, tmp_path: Path) -> None:
    path = write_scenario("version: 1\nname: x\ncameras: [\n", "syntax.yaml")
    code, _, stderr = run_cli("render", str(path), "--out", str(tmp_path / "out"))
    _assert_user_error(code, stderr)
    assert f"{path}:4:" in stderr and "invalid YAML" in stderr
    assert not (tmp_path / "out").exists()


def test_missing_file_exits_2(run_cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    for args in (["validate", str(missing)], ["render", str(missing), "--out", str(tmp_path / "o")]):
        code, _, stderr = run_cli(*args)
        _assert_user_error(code, stderr)
        assert f"{missing}: file not found" in stderr
    assert not (tmp_path / "o").exists()


def test_unknown_key_gets_did_you_mean(run_cli, write_scenario) -> None:
    path = write_scenario(SMALL_SCENARIO.replace("    position: [1.1", "    positon: [1.1"), "typo.yaml")
    code, _, stderr = run_cli("validate", str(path))
    _assert_user_error(code, stderr)
    assert "cameras[0].positon: unknown key 'positon' (did you mean 'position'?)" in stderr
    line = SMALL_SCENARIO.splitlines().index("    position: [1.1, -0.8, 0.9]") + 1
    assert f"{path}:{line}:5: cameras[0].positon" in stderr


def test_validate_reports_every_error_at_once(run_cli, write_scenario) -> None:
    text = (
        SMALL_SCENARIO.replace("episodes: 2", "episodes: -1")
        .replace("radius: 0.05", "radius: -0.05")
        .replace("fov_y: 55", "fov_y: 500")
    )
    path = write_scenario(text, "many.yaml")
    good = write_scenario(SMALL_SCENARIO, "good.yaml")
    code, stdout, stderr = run_cli("validate", str(good), str(path))
    _assert_user_error(code, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 3, stderr
    assert all(line.startswith(f"{path}:") for line in lines)
    assert [k for k in ("episodes", "objects[2].radius", "cameras[0].fov_y") if any(k in line for line in lines)] == [
        "episodes",
        "objects[2].radius",
        "cameras[0].fov_y",
    ]
    assert f"{good}: ok" in stdout


def test_validate_ok_exits_0(run_cli) -> None:
    code, out, err = run_cli("validate", "quickstart")
    assert code == 0, err
    assert "quickstart: ok" in out


def test_bad_flag_values_exit_2(run_cli, small_scenario_path: Path, tmp_path: Path) -> None:
    code, _, stderr = run_cli("render", str(small_scenario_path), "--out", str(tmp_path / "o"), "--episodes", "0")
    _assert_user_error(code, stderr)
    assert "--episodes must be at least 1" in stderr
    code, _, stderr = run_cli(
        "render", str(small_scenario_path), "--out", str(tmp_path / "o"), "--formats", "cocoo", "--renderer", "tiny"
    )
    _assert_user_error(code, stderr)
    assert "did you mean 'coco'?" in stderr
    assert not (tmp_path / "o").exists()


def test_render_prints_one_summary_line(run_cli, small_scenario_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    args = ["render", str(small_scenario_path), "--out", str(out), "--episodes", "1", "--frames", "1"]
    code, stdout, stderr = run_cli(*args, "--renderer", "tiny")
    assert code == 0, stderr
    lines = stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simgen: wrote 1 images")
    assert str(out) in lines[0] and "renderer tiny" in lines[0]
    assert "Traceback" not in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["images"] == 1
    # Rendering into the now non-empty folder again is refused without --resume.
    code, _, stderr = run_cli(*args, "--renderer", "tiny")
    _assert_user_error(code, stderr)
    assert "not empty" in stderr and "--resume" in stderr
    code, stdout, stderr = run_cli(*args, "--renderer", "tiny", "--resume")
    assert code == 0 and "1 resumed" in stdout, stderr


def test_preview_writes_a_png(run_cli, small_scenario_path: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.png"
    code, stdout, stderr = run_cli(
        "preview", str(small_scenario_path), "-o", str(sheet), "--episodes", "1", "--frames", "2", "--renderer", "tiny"
    )
    assert code == 0, stderr
    assert sheet.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = cv2.imread(str(sheet))
    assert img is not None and img.shape[0] > 100 and img.shape[1] > 2 * 480
    assert "contact sheet of 2 frames" in stdout
    code, _, stderr = run_cli("preview", str(small_scenario_path), "-o", str(tmp_path / "sheet.gif"))
    _assert_user_error(code, stderr)


def test_list_and_schema(run_cli) -> None:
    code, out, _ = run_cli("list")
    assert code == 0 and "coco" in out and "quickstart" in out
    code, out, _ = run_cli("schema")
    assert code == 0 and json.loads(out)["title"] == "simgen scenario"


def test_regression_negative_seed_is_a_user_error(run_cli, small_scenario_path: Path, tmp_path: Path) -> None:
    code, _, stderr = run_cli("render", str(small_scenario_path), "--out", str(tmp_path / "o"), "--seed", "-1")
    _assert_user_error(code, stderr)
    assert "seed must be an integer" in stderr
    assert not (tmp_path / "o").exists()


def test_regression_pool_workers_print_nothing_with_egl(
    run_cli, small_scenario_path: Path, tmp_path: Path, egl_problem
) -> None:
    # Pool processes once printed "Destroy EGL OpenGL window." when they exited.
    if egl_problem:
        pytest.skip(egl_problem)
    args = ["render", str(small_scenario_path), "--out", str(tmp_path / "o"), "--frames", "1", "--workers", "2"]
    code, stdout, stderr = run_cli(*args, "--renderer", "egl")
    assert code == 0, stderr
    assert stdout.count("\n") == 1 and stdout.startswith("simgen: wrote 2 images"), stdout


def test_list_into_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "simgen", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before simgen writes, like `simgen list | head -0`
    err = proc.stderr.read().decode()
    assert proc.wait() == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
