"""Published study results and the docs/utility.md tables generated from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simgen.errors import SimgenError
from simgen.study.publish import BEGIN, END, publish, tables, update_doc
from simgen.study.run import ablation_summary, study_summary
from tests.conftest import REPO


def _arm(name: str, maps50: list[float]) -> dict:
    runs = [{"seed": k, "eval": {"heldout": {"map": m / 2, "map50": m}}} for k, m in enumerate(maps50)]
    summary = {"heldout": {"map50": sum(maps50) / len(maps50)}, "source": {"map50": 0.9}}
    return {"name": name, "label": f"arm {name}", "status": "ran", "reason": None, "runs": runs, "summary": summary}


def _results() -> dict:
    arms = [_arm("source", [0.2, 0.3, 0.25]), _arm("randomized", [0.5, 0.45, 0.55]), _arm("oracle", [0.8, 0.7, 0.75])]
    arms.insert(2, {"name": "photoreal", "label": "arm photoreal", "status": "skipped", "reason": "no bpy", "runs": []})
    without = _arm("ablate_randomize0_light", [0.3, 0.3, 0.3])
    without["label"] = "randomized without randomize[0] light"
    return {
        "scenario": "toy",
        "mode": "quick",
        "randomization": "declarative",
        "options": {"train": {"model": "centernet_small", "steps": 3, "batch_size": 2}, "image_budget": 4,
                    "width": 64, "height": 48},
        "environment": {"cpu_count": 2},
        "cpu": {"total_seconds": 120.0, "render_seconds": 60.0, "train_seconds": 60.0,
                "idle_wall_estimate_seconds": 60.0},
        "seconds": 200.0,
        "sets": {"train_source": {"domain": "nominal", "renderer_used": "tiny", "seed": 1, "images": 4,
                                  "annotations": 9, "seconds": 1.0, "path": "data/train_source"}},
        "arms": arms,
        "summary": study_summary(arms, [0, 1, 2]),
        "ablation": ablation_summary([without], arms),
    }  # fmt: skip


def test_published_file_and_generated_tables(tmp_path: Path) -> None:
    path = publish(_results(), tmp_path / "utility", note="a toy run")
    assert path.name == "toy_quick.json"
    data = json.loads(path.read_text())
    assert data["summary"]["arms"]["randomized"]["heldout"]["map50"]["mean"] == pytest.approx(0.5)
    assert "runs" not in data["ablation"]["entries"][0] and "runs" not in data["arms"][0]
    text = tables(tmp_path / "utility")
    assert "### toy (quick), from `docs/utility/toy_quick.json`" in text and "a toy run" in text
    # randomized: mean 0.5, sd 0.05, half width 4.302653 * 0.05 / sqrt(3) = 0.124207; gap to oracle 1/3.
    assert "| arm randomized | 0.500 [0.376, 0.624] | 0.250 [0.188, 0.312] | 33.3 [" in text
    assert "| arm photoreal | skipped: no bpy |" in text
    assert "| randomized without randomize[0] light | 0.300 [0.300, 0.300] | 59.9 [" in text  # 1 - 0.3 / oracle
    assert "| 0.200 [0.076, 0.324] |" in text  # what the light entry carries, paired by seed
    doc = tmp_path / "utility.md"
    doc.write_text(f"# Utility\n\n{BEGIN}\nstale\n{END}\n\nafter\n")
    assert update_doc(doc, tmp_path / "utility", check=True) is False
    assert "stale" in doc.read_text()  # a check writes nothing
    assert update_doc(doc, tmp_path / "utility") is False
    assert update_doc(doc, tmp_path / "utility", check=True) is True
    written = doc.read_text()
    assert text in written and written.endswith(f"{END}\n\nafter\n") and "stale" not in written


def test_a_doc_without_markers_is_refused(tmp_path: Path) -> None:
    (tmp_path / "utility").mkdir()
    doc = tmp_path / "utility.md"
    doc.write_text("# Utility\n")
    with pytest.raises(SimgenError, match="no generated-table markers"):
        update_doc(doc, tmp_path / "utility")


def test_docs_utility_tables_match_the_published_files() -> None:
    published = sorted((REPO / "docs" / "utility").glob("*_quick.json"))
    assert published, "no published quick study under docs/utility/"
    for path in published:
        data = json.loads(path.read_text())
        assert set(data["summary"]["arms"]) == {"source", "randomized", "photoreal", "oracle"}
    assert update_doc(REPO / "docs" / "utility.md", REPO / "docs" / "utility", check=True), (
        "docs/utility.md tables differ from docs/utility/*.json: run python scripts/publish_study.py"
    )
