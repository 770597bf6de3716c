"""``simgen study`` end to end on a tiny budget, and its refusal of bad input.

The study runs as users run it, ``python -m simgen study`` in a subprocess: a test process whose
other tests loaded pybullet's EGL plugin must not import torch (after Mesa llvmpipe is loaded, a
torch import crashes the process), so these tests do not import torch either.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.study.test_data import write_real

TINY = [
    "--quick", "--image-size", "64x48", "--frames", "2", "--train-images", "4", "--test-images", "2",
    "--steps", "2", "--batch-size", "2", "--renderer", "tiny", "--threads", "1", "--train-seeds", "1",
]  # fmt: skip


def _torch_missing() -> bool:
    """Checked without importing torch here (see the module docstring)."""
    import importlib.util

    return importlib.util.find_spec("torch") is None or importlib.util.find_spec("torchvision") is None


@pytest.mark.skipif(_torch_missing(), reason="torch/torchvision not installed (pip install 'simgen[study]')")
def test_tiny_study_runs_end_to_end(run_cli, small_scenario_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "study"
    real = write_real(tmp_path, ["crate", "ball"])
    code, stdout, stderr = run_cli(
        "study", str(small_scenario_path), "--out", str(out), "--real", real, *TINY, "--train-seeds", "2",
        "--jobs", "2", timeout=900,
    )  # fmt: skip
    assert code == 0, stderr
    assert "utility study of small written to" in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["mode"] == "quick" and results["classes"] == ["crate", "ball", "can"]
    arms = {a["name"]: a for a in results["arms"]}
    assert list(arms) == ["source", "randomized", "photoreal", "oracle"]
    photoreal = results["photoreal"]
    assert arms["photoreal"]["status"] == ("ran" if photoreal["available"] else "skipped")
    if not photoreal["available"]:
        assert arms["photoreal"]["reason"] == photoreal["reason"] and photoreal["reason"]
    # Same image budget for every arm; every training set and test set has its own seed.
    budget = results["options"]["image_budget"]
    assert budget == 4
    sets = results["sets"]
    assert sets["train_source"]["seed"] == sets["train_randomized"]["seed"]
    seeds = {sets[n]["seed"] for n in ("train_source", "train_oracle", "test_heldout", "test_source")}
    assert len(seeds) == 4
    for name, s in sets.items():
        assert s["images"] >= (budget if name.startswith("train") else 2), name
        assert (out / s["path"] / "coco" / "annotations").is_dir()
    for arm in results["arms"]:
        if arm["status"] != "ran":
            continue
        assert [r["seed"] for r in arm["runs"]] == [0, 1] and arm["runs"][0]["losses"][-1][0] == 2
        for run in arm["runs"]:
            for target in ("heldout", "source", "real"):
                ev = run["eval"][target]
                assert ev["images"] == (1 if target == "real" else 2)
                for value in (ev["map"], ev["map50"]):
                    assert value is None or 0.0 <= value <= 1.0
                assert set(ev["per_class"]) == {"crate", "ball", "can"}
                assert (out / "predictions" / f"{arm['name']}_seed{run['seed']}_{target}.json").is_file()
        assert arm["summary"]["real"]["gap"] is None  # no oracle trained on real data
    _check_summary(results)
    assert results["cpu"]["total_seconds"] >= results["cpu"]["render_seconds"] > 0
    table = (out / "results.md").read_text()
    assert "| arm | heldout mAP@0.5 | heldout mAP | gap to oracle (mAP@0.5) | source mAP@0.5 |" in table
    assert "| arm | heldout mAP | heldout mAP@0.5 | source mAP | source mAP@0.5 | real mAP | real mAP@0.5 |" in table
    assert "4. oracle: trained on the target domain" in table
    import cv2

    for name in ("map_by_arm.png", "per_class_ap.png", "training_loss.png"):
        image = cv2.imread(str(out / "plots" / name))
        assert image is not None and image.shape[0] > 100, name
    # --reuse copies the sets whose recipe is identical; another --shift-seed changes the target sets.
    again = tmp_path / "again"
    code, _, stderr = run_cli(
        "study", str(small_scenario_path), "--out", str(again), "--reuse", str(out), *TINY, "--shift-seed", "8",
        timeout=900,
    )  # fmt: skip
    assert code == 0, stderr
    sets = json.loads((again / "results.json").read_text())["sets"]
    for name, s in sets.items():
        changed = name in ("train_oracle", "test_heldout")
        assert (s["reused_from"] is None) == changed, name
        assert s["images"] == results["sets"][name]["images"] and (again / s["path"] / "manifest.json").is_file()


def _check_summary(results: dict) -> None:
    """``summary``: seeds, and per arm the held-out mAP@0.5 and the gap with 95 % t-intervals, from the runs."""
    from scipy import stats

    summary = results["summary"]
    assert summary["seeds"] == [0, 1]
    assert list(summary["arms"]) == ["source", "randomized", "photoreal", "oracle"]
    arms = {a["name"]: a for a in results["arms"]}
    oracle = {r["seed"]: r["eval"]["heldout"]["map50"] for r in arms["oracle"]["runs"]}
    for name, s in summary["arms"].items():
        assert set(s) >= {"status", "heldout", "gap_to_oracle"} and s["status"] == arms[name]["status"]
        values = [r["eval"]["heldout"]["map50"] for r in arms[name]["runs"]]
        values = [v for v in values if v is not None]
        gaps = [1 - r["eval"]["heldout"]["map50"] / oracle[r["seed"]] for r in arms[name]["runs"]
                if r["eval"]["heldout"]["map50"] is not None and oracle.get(r["seed"])]  # fmt: skip
        for stat, expected in ((s["heldout"]["map50"], values), (s["gap_to_oracle"], gaps)):
            assert stat["runs"] == pytest.approx(expected)
            if not expected:
                assert stat["mean"] is None and stat["ci95"] is None
                continue
            mean = sum(expected) / len(expected)
            assert stat["mean"] == pytest.approx(mean)
            if len(expected) < 2:
                assert stat["ci95"] is None
                continue
            sd = (sum((v - mean) ** 2 for v in expected) / (len(expected) - 1)) ** 0.5
            half = stats.t.ppf(0.975, len(expected) - 1) * sd / len(expected) ** 0.5
            assert stat["ci95"] == pytest.approx([mean - half, mean + half])


def test_real_set_with_unknown_classes_exits_2_with_the_mapping(
    run_cli, small_scenario_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "study"
    real = write_real(tmp_path, ["crates", "pedestrian"])
    code, stdout, stderr = run_cli("study", str(small_scenario_path), "--out", str(out), "--real", real, *TINY)
    assert code == 2, stderr
    assert "Traceback" not in stderr
    assert "'crates', 'pedestrian' are not classes of the scenario (its classes: crate, ball, can)" in stderr
    assert "--class-map crates=crate,pedestrian=<crate|ball|can>" in stderr
    assert not out.exists(), "nothing may be written for bad input"


def test_study_refuses_a_non_empty_out_and_bad_options(run_cli, small_scenario_path: Path, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep")
    code, _, stderr = run_cli("study", str(small_scenario_path), "--out", str(tmp_path / "full"), *TINY)
    assert code == 2 and "is not an empty folder" in stderr
    assert (tmp_path / "full" / "x").read_text() == "keep"
    code, _, stderr = run_cli("study", str(small_scenario_path), "--out", str(tmp_path / "o"), "--image-size", "x")
    assert code == 2 and "--image-size 'x' is not WIDTHxHEIGHT" in stderr
    code, _, stderr = run_cli("study", str(small_scenario_path), "--out", str(tmp_path / "o"), "--steps", "0")
    assert code == 2 and "--steps must be at least 1" in stderr
    scenario, o = str(small_scenario_path), str(tmp_path / "o")
    code, _, stderr = run_cli("study", scenario, "--out", o, "--classes", "crat", *TINY)
    assert code == 2 and "did you mean 'crate'" in stderr
    assert not (tmp_path / "o").exists()


def test_ablate_needs_declared_randomization(run_cli, small_scenario_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    code, _, stderr = run_cli("study", str(small_scenario_path), "--out", str(out), "--ablate", *TINY)
    assert code == 2 and "declares no randomize:/effects: entries to leave out" in stderr
    assert "Traceback" not in stderr and not out.exists()


@pytest.mark.slow
@pytest.mark.skipif(_torch_missing(), reason="torch/torchvision not installed (pip install 'simgen[study]')")
def test_tiny_ablation_trains_one_arm_per_left_out_entry(run_cli, write_scenario, tmp_path: Path) -> None:
    from tests.conftest import SMALL_SCENARIO

    text = SMALL_SCENARIO + (
        "\nrandomize:\n  - {type: color, hue: {uniform: [0, 360]}}\n"
        "effects:\n  - {type: gaussian_noise, std: {uniform: [0.5, 3]}}\n"
    )
    path = write_scenario(text, "small_randomized.yaml")
    out = tmp_path / "study"
    code, _, stderr = run_cli(
        "study", str(path), "--out", str(out), "--ablate", *TINY, "--photoreal-renderer", "none", timeout=900
    )
    assert code == 0, stderr
    results = json.loads((out / "results.json").read_text())
    entries = {e["name"]: e for e in results["ablation"]["entries"]}
    assert set(entries) == {"ablate_randomize0_color", "ablate_randomize1_color", "ablate_effects0_gaussian_noise"}
    for e in entries.values():
        assert e["carries"]["n"] == 1 and len(e["runs"]) == 1
        assert results["sets"][f"train_{e['name']}"]["images"] >= 4
    assert [a["name"] for a in results["arms"]] == ["source", "randomized", "photoreal", "oracle"]
    assert "| randomized without effects[0] gaussian_noise |" in (out / "results.md").read_text()
