"""``require:``: every accepted episode satisfies its conditions, whoever samples it, and an
impossible requirement is a located error before anything is written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import simgen
from simgen.batch.state import episode_file
from simgen.errors import ScenarioError
from simgen.scenario.sampling import sample
from tests.batch.trees import assert_same_tree

# A ball somewhere around a wall; accepted only where the camera sees at most 30 % of it and the
# ball is within a drawn reach of the wall.
HIDDEN_BALL = """\
version: 1
name: hidden_ball
seed: 5
episodes: 6
frames: 1
world: {settle_time: 0.02}
params:
  reach: {uniform: [2.5, 3.5]}
objects:
  - {name: wall, class: wall, type: box, size: [0.2, 2, 1.0], mass: 0, position: [3, 0, 0.5]}
  - name: ball
    class: ball
    type: sphere
    radius: 0.3
    mass: 0
    position: [{uniform: [1.5, 6]}, {uniform: [-2.5, 2.5]}, 0.4]
cameras:
  - {name: cam, width: 96, height: 72, position: [0, 0, 0.5], look_at: [5, 0, 0.4]}
labels: {min_visible_pixels: 1}
require:
  - in_view(ball, cam) and visible_fraction(ball, cam) <= 0.3
  - distance(ball, wall) < params.reach
"""

# Geometry only (cheap to sample many times): a box ahead of and to the left of a turned car.
AHEAD = """\
version: 1
name: ahead
seed: 11
episodes: 300
objects:
  - {name: car, class: car, type: box, size: [4, 1.8, 1.4], mass: 0, position: [0, 0, 0.7],
     rpy: [0, 0, {uniform: [-180, 180]}]}
  - {name: box, class: box, type: box, size: [0.5, 0.5, 0.5], mass: 0,
     position: [{uniform: [-10, 10]}, {uniform: [-10, 10]}, 0.25]}
cameras:
  - {position: [0, -20, 10], look_at: [0, 0, 0]}
require:
  - ahead_of(box, car) and left_of(box, car)
  - distance(box, car) > 3 and longitudinal(box, car) < 8
"""


def _load(tmp_path: Path, text: str, name: str = "s.yaml") -> simgen.Scenario:
    path = tmp_path / name
    path.write_text(text)
    return simgen.load(path)


def test_geometric_requirements_hold_in_every_accepted_episode(tmp_path: Path) -> None:
    sc = _load(tmp_path, AHEAD)
    attempts = []
    for i in range(sc.episodes):
        spec = sample(sc, i)
        car, box = spec.objects
        yaw = np.radians(spec.sampled["objects[0][0].rpy[2]"])
        d = np.subtract(box.position, car.position)
        forward, left = d[0] * np.cos(yaw) + d[1] * np.sin(yaw), -d[0] * np.sin(yaw) + d[1] * np.cos(yaw)
        assert forward > 0 and left > 0 and np.linalg.norm(d) > 3 and forward < 8, i
        rec = spec.requirements
        assert [c["at"] for c in rec["conditions"]] == ["require[0]", "require[1]"]
        # Every rejected attempt failed at least one condition; the accepted one failed none.
        assert sum(c["failed"] for c in rec["conditions"]) >= rec["attempts"] - 1
        assert all(c["checked"] == rec["attempts"] for c in rec["conditions"])
        attempts.append(rec["attempts"])
    assert max(attempts) > 3 and np.mean(attempts) > 2  # rejection did happen
    # Attempt k of episode i is the same whoever asks: a fresh load samples the same episodes.
    again = _load(tmp_path, AHEAD, "again.yaml")
    for i in (0, 7, 123):
        assert sample(again, i).objects == sample(sc, i).objects


def test_attempt_zero_is_the_plain_episode(tmp_path: Path) -> None:
    sc = _load(tmp_path, AHEAD)
    plain = sample(sc, 4, require=False)
    assert plain.requirements is None
    accepted = sample(sc, 4)
    if accepted.requirements["attempts"] == 1:
        assert accepted.objects == plain.objects
    else:
        assert accepted.objects != plain.objects


def _frame_zero(spec) -> dict[int, tuple[int, int]]:
    """(visible, amodal) pixels per instance in the rendered first frame (labels kept down to 1 pixel)."""
    from simgen.batch.episode import run_episode
    from simgen.sim.client import BulletClient
    from simgen.sim.quiet import quiet_stdout

    with quiet_stdout(), BulletClient() as client:
        frame = next(iter(run_episode(client, spec, "tiny")))
    return {lab.instance_id: (lab.area, lab.amodal_area) for lab in frame.labels}


def test_visibility_requirement_holds_in_the_rendered_labels(tmp_path: Path) -> None:
    sc = _load(tmp_path, HIDDEN_BALL)
    for i in range(8):
        spec = sample(sc, i, episodes=8)
        wall, ball = spec.objects
        assert np.linalg.norm(np.subtract(ball.position, wall.position)) < spec.sampled["params.reach"]
        visible, amodal = _frame_zero(spec).get(ball.instance_id, (0, None))
        assert visible <= 0.3 * amodal if amodal else visible == 0
        # in view: the ball's whole silhouette covers pixels (fully hidden balls have no label to show it)
        from simgen.batch.probe import FirstFrameProbe

        cov = FirstFrameProbe(spec).coverage(ball.instance_id, spec.cameras[0])
        assert cov.amodal > 0 and cov.fraction <= 0.3
        if amodal:
            assert (cov.visible, cov.amodal) == (visible, amodal)


def _render(path: Path, out: Path, **kw):
    kw.setdefault("renderer", "tiny")
    return simgen.render(simgen.load(path), out, progress=False, formats=["coco"], **kw)


@pytest.fixture(scope="module")
def single_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[int]]:
    """The hidden-ball scenario rendered by one worker: (scenario path, output, attempts per episode)."""
    root = tmp_path_factory.mktemp("require")
    path = root / "hidden_ball.yaml"
    path.write_text(HIDDEN_BALL)
    _render(path, root / "one", workers=1)
    manifest = json.loads((root / "one" / "manifest.json").read_text())
    return path, root / "one", [e["requirements"]["attempts"] for e in manifest["episodes"]]


def test_acceptance_is_the_same_for_one_and_two_workers(single_run, tmp_path: Path) -> None:
    path, one, attempts = single_run
    assert len(attempts) == 6 and max(attempts) > 1
    for ep in json.loads((one / "manifest.json").read_text())["episodes"]:  # the manifest's own record
        wall, ball = (np.asarray(o["position"]) for o in ep["objects"])
        assert np.linalg.norm(ball - wall) < ep["sampled"]["params.reach"]
        assert all(c["failed"] < c["checked"] for c in ep["requirements"]["conditions"])  # held when accepted
    _render(path, tmp_path / "two", workers=2)
    assert_same_tree(one, tmp_path / "two")
    card = (one / "DATASET_CARD.md").read_text()
    assert "## Requirements" in card and f"took {sum(attempts)} attempts" in card
    assert "| `distance(ball, wall) < params.reach` | `require[1]` |" in card


@pytest.mark.slow
def test_acceptance_is_the_same_after_resume_and_in_shards(single_run, tmp_path: Path) -> None:
    path, one, attempts = single_run
    again = tmp_path / "again"
    _render(path, again)
    episode_file(again, 3).unlink()  # an episode lost from a finished run is drawn again, the same
    assert _render(path, again, resume=True).skipped_episodes == 5
    assert_same_tree(one, again)
    for k in range(2):  # each shard renders its episodes with the attempts a single run accepted
        _render(path, tmp_path / f"shard{k}", shard=(k, 2))
        for i in range(k, 6, 2):
            rec = json.loads(episode_file(tmp_path / f"shard{k}", i).read_text())
            assert rec["spec"]["requirements"]["attempts"] == attempts[i]


def test_impossible_requirement_is_a_located_error_and_nothing_is_written(tmp_path: Path, run_cli) -> None:
    text = HIDDEN_BALL.replace("  - distance(ball, wall) < params.reach", "  - distance(ball, wall) > 40")
    text = text.replace("require:", "max_attempts: 12\nrequire:")
    path = tmp_path / "impossible.yaml"
    path.write_text(text)
    line = text.splitlines().index("  - distance(ball, wall) > 40") + 1
    out = tmp_path / "out"
    code, _, stderr = run_cli("render", str(path), "--out", str(out), "--renderer", "tiny")
    assert code == 2 and "Traceback" not in stderr
    assert f"{path}:{line}:5: require[1]: episode 0: no attempt satisfied the requirements in 12 attempts" in stderr
    assert "'distance(ball, wall) > 40' failed 12 of 12 checks" in stderr
    assert "'in_view(ball, cam) and visible_fraction(ball, cam) <= 0.3' failed 0 of 0 checks" in stderr
    assert not out.exists()
    with pytest.raises(ScenarioError, match="no attempt satisfied"):
        sample(simgen.load(path), 3)


def test_validate_estimates_acceptance_and_warns_when_rare(tmp_path: Path, run_cli) -> None:
    rare = AHEAD.replace("longitudinal(box, car) < 8", "longitudinal(box, car) < 0.1")
    path = tmp_path / "rare.yaml"
    path.write_text(rare)
    code, stdout, stderr = run_cli("validate", str(path), "--acceptance-samples", "40")
    line = rare.splitlines().index("  - ahead_of(box, car) and left_of(box, car)") + 1
    assert code == 0 and "ok" in stdout
    # Located at the condition that failed most often.
    where = rf"{re.escape(str(path))}:{line}:5: require\[0\]"
    assert re.search(where + ": warning: the requirements held in [01] of 40 sampled attempts", stderr)
    (tmp_path / "common.yaml").write_text(AHEAD)
    code, _, stderr = run_cli("validate", str(tmp_path / "common.yaml"))
    assert code == 0 and "warning" not in stderr


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("distance(bal, wall) < 3", "no object named 'bal' (did you mean 'ball'?)"),
        ("visible_fraction(ball, camera) < 3", "no camera named 'camera'"),
        ("distance(ball, wall) < params.reech", "cannot read 'params.reech'"),
        ("distance(ball, wall)", "is a number, not a condition"),
    ],
)
def test_bad_conditions_are_located_load_errors(tmp_path: Path, condition: str, message: str) -> None:
    text = HIDDEN_BALL.replace("  - distance(ball, wall) < params.reach", f"  - {condition}")
    with pytest.raises(ScenarioError) as err:
        _load(tmp_path, text)
    (issue,) = err.value.issues
    assert issue.path == "require[1]" and issue.line == text.splitlines().index(f"  - {condition}") + 1
    assert message in issue.message + (f" ({issue.hint})" if issue.hint else "")


def test_variant_requirements_join_the_top_level_ones(tmp_path: Path) -> None:
    text = AHEAD + (
        "variants:\n"
        "  - {name: near, require: ['distance(box, car) < 7']}\n"
        "  - {name: far, require: ['distance(box, car) > 7']}\n"
    )
    sc = _load(tmp_path, text)
    for i in range(40):
        spec = sample(sc, i)
        dist = np.linalg.norm(np.subtract(spec.objects[1].position, spec.objects[0].position))
        assert dist < 7 if spec.variant == "near" else dist > 7
        ats = [c["at"] for c in spec.requirements["conditions"]]
        assert ats == ["require[0]", "require[1]", f"variants[{0 if spec.variant == 'near' else 1}].require[0]"]
