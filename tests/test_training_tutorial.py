"""docs/training.md runs: its code blocks, in order, on a tiny scenario and a few steps.

The first Python block holds the tutorial's settings; it is replaced by tiny ones. The shell
block's ``simgen render`` runs on the tiny scenario. Blocks for libraries that are no simgen
extra (Ultralytics, FiftyOne with its database) run where those are installed and working.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SMALL_SCENARIO

pytest.importorskip("torchvision", reason="the tutorial needs the study extra")
pytest.importorskip("datasets", reason="the tutorial's Hugging Face block needs the hf extra")

DOC = REPO / "docs" / "training.md"
SETTINGS = {"SCENARIO", "STEPS", "WORKERS", "RENDERER", "EPOCHS", "IMGSZ"}


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block, in order."""
    return [(m[1], m[2]) for m in re.finditer(r"^```(\w+)\n(.*?)^```$", text, flags=re.S | re.M)]


def _unavailable(code: str) -> str | None:
    """Why a block cannot run here (an optional outside library missing or not working), else None."""
    if "ultralytics" in code:
        try:
            import ultralytics  # noqa: F401
        except ImportError:
            return "ultralytics is not installed"
    if "fiftyone" in code:
        try:
            import fiftyone.core.odm.database as fodb

            fodb.get_db_conn()
        except Exception as err:  # noqa: BLE001 - ImportError, or no MongoDB to start
            return f"FiftyOne cannot run here ({type(err).__name__})"
    return None


def _run_shell(code: str, scenario: Path, cwd: Path) -> None:
    for line in code.splitlines():
        args = shlex.split(line, comments=True)
        if not args or args[0] == "pip":
            continue
        assert args[:2] == ["simgen", "render"], line
        args = [str(scenario) if a == "quickstart" else a for a in args[2:]]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        cmd = [sys.executable, "-m", "simgen", "render", *args, "--renderer", "tiny", "--progress", "none"]
        subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)


def test_tutorial_code_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(SMALL_SCENARIO, encoding="utf-8")
    found = blocks(DOC.read_text(encoding="utf-8"))
    python = [code for lang, code in found if lang == "python"]
    assigned = {t.id for node in ast.parse(python[0]).body for t in getattr(node, "targets", [])}
    assert assigned == SETTINGS, "the first Python block holds the tutorial's settings"
    namespace: dict = {
        "SCENARIO": str(scenario), "STEPS": 2, "WORKERS": 0, "RENDERER": "tiny", "EPOCHS": 1, "IMGSZ": 160,
    }  # fmt: skip
    ran, skipped = 0, []
    for lang, code in found:
        if lang == "bash":
            _run_shell(code, scenario, tmp_path)
        elif lang == "python" and code is not python[0]:
            reason = _unavailable(code)
            if reason:
                skipped.append(reason)
                continue
            exec(compile(code, f"{DOC}:block{ran}", "exec"), namespace)  # noqa: S102 - the tutorial's own code
            ran += 1
    assert ran >= 4 and namespace["step"] == 1, skipped
    assert set(namespace["hf"]) == {"train", "validation"}
    assert set(namespace["row"]["objects"]["category"]) <= {"crate", "ball", "can"}
    assert namespace["target"]["boxes"].shape[-1] == 4
