"""The study's statistics: relative gap to the oracle, paired by seed, with a Student-t interval."""

from __future__ import annotations

import math

import pytest

from simgen.study.run import ARMS, ablation_summary, preset, study_summary, summarize, t_interval


def _arm(name: str, maps: list[float | None]) -> dict:
    runs = []
    for seed, m in enumerate(maps):
        per_class = {"a": {"ap": m, "ap50": m}, "b": {"ap": None, "ap50": None}}
        ev = {"map": m, "map50": m, "per_class": per_class}
        runs.append({"seed": seed, "eval": {"heldout": ev, "source": ev}})
    return {"name": name, "status": "ran", "runs": runs}


def test_t_interval_matches_the_textbook_value() -> None:
    # mean 2, sd 1, n 3: half width t(0.975, 2) / sqrt(3) = 4.302653 / 1.732051.
    lo, hi = t_interval([1.0, 2.0, 3.0])
    assert (lo + hi) / 2 == pytest.approx(2.0)
    assert (hi - lo) / 2 == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert t_interval([0.4]) is None


def test_gap_is_the_relative_drop_paired_by_seed() -> None:
    oracle = _arm("oracle", [0.5, 0.4, 0.8])
    source = _arm("source", [0.25, 0.1, 0.4])  # gaps 0.5, 0.75, 0.5
    skipped = {"name": "photoreal", "status": "skipped", "runs": []}
    summarize([source, skipped, oracle], ["heldout", "source"], ["a", "b"])
    gap = source["summary"]["heldout"]["gap"]
    assert gap["runs"] == pytest.approx([0.5, 0.75, 0.5])
    assert gap["mean"] == pytest.approx(0.5833333)
    assert gap["ci95"] == pytest.approx(t_interval([0.5, 0.75, 0.5]))
    assert source["summary"]["heldout"]["map"] == pytest.approx(0.25)
    assert source["summary"]["heldout"]["per_class_ap"] == {"a": pytest.approx(0.25), "b": None}
    assert oracle["summary"]["heldout"]["gap"]["mean"] == pytest.approx(0.0)
    assert source["summary"]["source"]["gap"] is None  # no oracle trained on that domain
    assert skipped["summary"] == {}


def test_gap_is_undefined_when_the_oracle_scores_zero() -> None:
    oracle, source = _arm("oracle", [0.0]), _arm("source", [0.0])
    summarize([source, oracle], ["heldout"], ["a", "b"])
    gap = source["summary"]["heldout"]["gap"]
    assert gap["mean"] is None and gap["n"] == 0 and "undefined" in gap["note"]


def test_sizes() -> None:
    quick, full = preset("quick"), preset("full")
    assert full.train_seeds >= 3 and quick.train_seeds >= 3  # every gap carries an interval
    assert quick.width * quick.height < full.width * full.height
    assert quick.train_images < full.train_images and quick.train.steps < full.train.steps
    assert [a.name for a in ARMS] == ["source", "randomized", "photoreal", "oracle"]


def _runs50(name: str, maps50: list[float | None], status: str = "ran") -> dict:
    runs = []
    for k, m in enumerate(maps50):
        runs.append({"seed": k, "eval": {"heldout": {"map": None if m is None else m / 2, "map50": m}}})
    return {"name": name, "label": name, "status": status, "reason": None, "runs": runs}


def test_summary_schema_and_interval_by_hand() -> None:
    oracle = _runs50("oracle", [0.5, 0.4, 0.8])
    source = _runs50("source", [0.25, 0.1, 0.4])  # gaps 0.5, 0.75, 0.5
    randomized = _runs50("randomized", [0.5, 0.2, None])  # seed 2 scored nothing: paired gaps of seeds 0, 1
    photoreal = {"name": "photoreal", "status": "skipped", "reason": "no bpy", "runs": []}
    summary = study_summary([source, randomized, photoreal, oracle], [0, 1, 2])
    assert summary["seeds"] == [0, 1, 2]
    assert list(summary["arms"]) == ["source", "randomized", "photoreal", "oracle"]
    s = summary["arms"]["source"]
    assert s["heldout"]["map50"]["mean"] == pytest.approx(0.25)
    # mean 0.25, sd 0.15, t(0.975, 2) = 4.302653: half width 4.302653 * 0.15 / sqrt(3) = 0.372621.
    assert s["heldout"]["map50"]["ci95"] == pytest.approx([0.25 - 0.372621, 0.25 + 0.372621], abs=1e-6)
    gap = s["gap_to_oracle"]
    assert gap["runs"] == pytest.approx([0.5, 0.75, 0.5])
    # mean 7/12, sd 0.1443376: half width 4.302653 * 0.1443376 / sqrt(3) = 0.3585544.
    assert gap["mean"] == pytest.approx(7 / 12)
    assert gap["ci95"] == pytest.approx([7 / 12 - 0.3585544, 7 / 12 + 0.3585544], abs=1e-6)
    assert s["gap_to_oracle_map"]["runs"] == pytest.approx([0.5, 0.75, 0.5])  # mAP = mAP@0.5 / 2 here
    r = summary["arms"]["randomized"]
    assert r["heldout"]["map50"]["n"] == 2 and r["gap_to_oracle"]["runs"] == pytest.approx([0.0, 0.5])
    assert summary["arms"]["oracle"]["gap_to_oracle"]["mean"] == pytest.approx(0.0)
    p = summary["arms"]["photoreal"]
    assert p["status"] == "skipped" and p["heldout"]["map50"]["mean"] is None and p["gap_to_oracle"]["ci95"] is None
    one = study_summary([_runs50("source", [0.3]), _runs50("oracle", [0.6])], [0])
    assert one["arms"]["source"]["gap_to_oracle"] == {"mean": pytest.approx(0.5), "ci95": None, "runs": [0.5], "n": 1}


def test_ablation_says_what_each_entry_carries() -> None:
    oracle, randomized = _runs50("oracle", [0.8, 0.8]), _runs50("randomized", [0.6, 0.5])
    without_a, without_b = _runs50("ablate_a", [0.3, 0.3]), _runs50("ablate_b", [0.6, 0.55])
    without_a["label"], without_b["label"] = "without a", "without b"
    ablation = ablation_summary([without_b, without_a], [randomized, oracle])
    assert [e["name"] for e in ablation["entries"]] == ["ablate_a", "ablate_b"]  # largest contribution first
    a = ablation["entries"][0]
    assert a["carries"]["runs"] == pytest.approx([0.3, 0.2]) and a["carries"]["mean"] == pytest.approx(0.25)
    assert a["gap_to_oracle"]["runs"] == pytest.approx([0.625, 0.625])
    assert ablation["entries"][1]["carries"]["mean"] == pytest.approx(-0.025)
