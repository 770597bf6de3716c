"""The malformed-scenario corpus: each file must fail validation cleanly at the right place.

Every ``tests/scenario/malformed/*.yaml`` starts with ``# expect: [FILE:]LINE KEY.PATH MESSAGE``
(``-`` for no key path; FILE, relative to the corpus folder, when the error belongs in a file it
extends). ``simgen validate`` must exit 2 and print ``FILE:LINE:COL: KEY.PATH: ...MESSAGE...``
with no traceback, and write nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scenario.hostile import NESTING, corpus_file

CORPUS = Path(__file__).parent / "malformed"
REPO = Path(__file__).resolve().parents[2]
FILES = sorted(CORPUS.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (?:(?P<file>\S+):)?(?P<line>\d+) (?P<path>\S+) (?P<message>.+)$")


def _simgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "simgen", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _expectation(path: Path) -> re.Match[str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = EXPECT.match(first)
    assert m, f"{path.name}: first line must be '# expect: [FILE:]LINE KEY.PATH MESSAGE', got {first!r}"
    return m


def test_corpus_is_big_enough() -> None:
    assert len(FILES) >= 25


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_malformed_file_fails_at_the_right_place(path: Path, tmp_path: Path) -> None:
    m = _expectation(path)
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = _simgen("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    shown = str(CORPUS / m["file"]) if m["file"] else str(path)
    key = "" if m["path"] == "-" else re.escape(m["path"]) + ": "
    pattern = re.compile(rf"^{re.escape(shown)}:{m['line']}:\d+: {key}.*{re.escape(m['message'])}", re.M)
    assert pattern.search(proc.stderr), f"expected {pattern.pattern!r} in:\n{proc.stderr}"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # validate writes nothing


@pytest.mark.parametrize("kind", sorted(NESTING))
def test_megabyte_of_hostile_nesting_fails_cleanly(kind: str, tmp_path: Path) -> None:
    """The corpus's deep_<kind>.yaml cases at 1 MB (generated here; too big to commit)."""
    path = tmp_path / f"deep_{kind}_1mb.yaml"
    path.write_text(corpus_file(kind, 1_000_000), encoding="utf-8")
    assert path.stat().st_size == 1_000_000
    m = _expectation(path)
    proc = _simgen("validate", str(path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith(f"{path}:{m['line']}:"), proc.stderr
    assert f"{m['path']}: {m['message']}" in proc.stderr


@pytest.mark.parametrize(
    "name",
    ["ref_out_of_range", "extends_error_in_base", "billion_laughs", "place_region_too_small", "heightmap_not_an_image"],
)
def test_render_of_malformed_file_leaves_no_output(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _simgen("render", str(CORPUS / f"{name}.yaml"), "--out", str(out), "--renderer", "tiny", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_validate_reports_every_error_of_a_file_at_once(tmp_path: Path) -> None:
    bad = tmp_path / "many.yaml"
    bad.write_text(
        "name: many\n"
        "params: {a: '${params.b}', b: '${params.a}'}\n"
        "objects:\n"
        "  - {name: ball, type: sphere, class: ball, radius: 0.1, mass: '${params.sped}'}\n"
        "  - {name: ball, type: sphere, class: ball, radius: 0.2}\n"
        "cameras:\n"
        "  - {position: [2, 0, 1], look_at: [0, 0, 0], near: 3, far: 2}\n",
        encoding="utf-8",
    )
    proc = _simgen("validate", str(bad), cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert any(":2:" in ln and "reference cycle: params.a -> params.b -> params.a" in ln for ln in lines), lines
    assert any(":4:" in ln and "objects[0].mass" in ln and "no 'sped' in 'params'" in ln for ln in lines), lines
    assert any(":5:" in ln and "duplicate object name 'ball'" in ln for ln in lines), lines
    assert any(":7:" in ln and "cameras[0].far" in ln for ln in lines), lines
    assert len(lines) == 4, lines
