"""The study's statistics: relative gap to the oracle, paired by seed, with a Student-t interval."""

from __future__ import annotations

import math

import pytest

from simgen.study.run import ARMS, preset, summarize, t_interval


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
    assert full.train_seeds >= 3  # the full mode's gap carries an interval
    assert quick.width * quick.height < full.width * full.height
    assert quick.train_images < full.train_images and quick.train.steps < full.train.steps
    assert [a.name for a in ARMS] == ["source", "randomized", "photoreal", "oracle"]
