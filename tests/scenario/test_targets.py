"""Rebalancing: ``targets:`` shares become variant quotas that reach them, checked on a rendered run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario.targets import plan, quotas

SCENARIO = """\
version: 1
name: rebalance
seed: 3
episodes: 20
frames: 1
classes: [crate, defect]
objects:
  - name: crate
    type: box
    class: crate
    count: 4
    size: [0.15, 0.15, 0.15]
    position: [{uniform: [-0.5, 0.5]}, {uniform: [-0.5, 0.5]}, 0.075]
  - name: defect
    type: sphere
    class: defect
    count: 0
    radius: 0.08
    position: [{uniform: [-0.5, 0.5]}, {uniform: [-0.5, 0.5]}, 0.075]
variants:
  - {name: normal, weight: 99}
  - {name: defective, weight: 1, set: {objects.defect.count: 2}}
  - {name: dim, weight: 1, set: {world.light.diffuse: 0.3}}
targets:
  classes: {defect: 0.2}
  variants: {dim: 0.25}
cameras:
  - {name: top, width: 160, height: 120, fov_y: 60, position: [0, 0, 1.5], look_at: [0, 0, 0], up: [1, 0, 0]}
"""


def test_quotas_round_by_largest_remainder() -> None:
    assert quotas(np.array([0.5, 0.25, 0.25]), 10) == [5, 3, 2]
    assert sum(quotas(np.array([1 / 3] * 3), 100)) == 100
    assert quotas(np.array([0.0, 1.0]), 7) == [0, 7]


def test_plan_solves_the_share_equations(write_scenario) -> None:
    sc = simgen.load(write_scenario(SCENARIO))
    p = plan(sc, 3, 20)
    normal, defective, dim = p["weights"]
    # dim takes 25 %; defect share 2 d / (4 + 2 d) over the rest... with dim and normal both 4 crates:
    # 2 d = 0.2 (4 + 2 d)  =>  d = 0.5 of all episodes; normal gets what is left.
    assert dim == pytest.approx(0.25, abs=1e-3)
    assert defective == pytest.approx(0.5, abs=1e-3)
    assert normal == pytest.approx(0.25, abs=1e-3)
    assert p["quotas"] == [5, 10, 5]
    chosen = Counter(simgen.sample(sc, i).variant for i in range(20))
    assert chosen == {"normal": 5, "defective": 10, "dim": 5}
    # Deterministic, and a different seed shuffles the same quotas differently.
    assert [simgen.sample(sc, i).variant for i in range(20)] == [simgen.sample(sc, i).variant for i in range(20)]
    other = [simgen.sample(sc, i, seed=4).variant for i in range(20)]
    assert Counter(other) == chosen and other != [simgen.sample(sc, i).variant for i in range(20)]


def test_rendered_run_reaches_its_targets(write_scenario, tmp_path: Path) -> None:
    from simgen.dataset.reader import open_dataset
    from simgen.dataset.stats import dataset_stats

    out = tmp_path / "out"
    simgen.render(simgen.load(write_scenario(SCENARIO)), out, renderer="tiny", progress=False)
    t = dataset_stats(open_dataset(out), duplicates=False)["targets"]
    assert t["variants"]["dim"]["achieved"] == pytest.approx(0.25)
    assert t["classes"]["defect"]["achieved"] == pytest.approx(0.2, abs=0.03)
    assert not t["classes"]["defect"]["under"] and not t["variants"]["dim"]["under"]


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (
            "{classes: {defekt: 0.2}}",
            "targets.classes.defekt: class 'defekt' is not in this scenario (did you mean 'defect'?)",
        ),
        ("{variants: {nite: 0.2}}", "targets.variants.nite: variant 'nite' is not in this scenario"),
        ("{classes: {defect: 0.7, crate: 0.6}}", "targets.classes: target shares add up to 1.3, more than 1"),
    ],
)
def test_bad_targets_are_located_errors(write_scenario, targets: str, message: str) -> None:
    text = SCENARIO.replace("targets:\n  classes: {defect: 0.2}\n  variants: {dim: 0.25}", f"targets: {targets}")
    with pytest.raises(ScenarioError) as err:
        simgen.load(write_scenario(text))
    assert message in str(err.value)


def test_targets_without_variants_is_an_error(write_scenario) -> None:
    head, tail = SCENARIO.split("variants:\n  - {name: normal")[0], SCENARIO.split("variants: {dim: 0.25}\n")[1]
    text = head + "targets: {classes: {defect: 0.2}}\n" + tail
    with pytest.raises(ScenarioError, match="fewer than two"):
        simgen.load(write_scenario(text))
