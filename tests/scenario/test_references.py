"""``${...}`` references: correlated draws, determinism per key path, cycles, unknown paths."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario import loads, sample

CAMERA = "cameras:\n  - {name: cam, width: 64, height: 48, position: [3, 0, 2], look_at: [0, 0, 0]}\n"


def scenario(body: str, tmp_path: Path) -> simgen.Scenario:
    return loads("name: refs\nepisodes: 8\n" + body + CAMERA, base_dir=tmp_path, file="refs.yaml")


VAN_AND_KID = """
params:
  speed: {uniform: [1, 3]}
  gap: 1.5
objects:
  - {name: van, type: box, class: van, size: [2, 1, 1], position: [{uniform: [-5, 5]}, 0, 0.5]}
  - name: kid
    type: sphere
    class: kid
    count: 3
    radius: {uniform: [0.1, 0.3]}
    mass: ${self.radius * 10}
    position: ["${objects.van.position[0] + params.gap}", "${params.speed * 2}", 0.3]
"""


def test_reference_correlates_two_objects(tmp_path: Path) -> None:
    sc = scenario(VAN_AND_KID, tmp_path)
    xs = set()
    for i in range(8):
        spec = sample(sc, i)
        van, kids = spec.objects[0], spec.objects[1:]
        xs.add(van.position[0])
        for kid in kids:
            assert kid.position[0] == pytest.approx(van.position[0] + 1.5)
            assert kid.position[1] == pytest.approx(2 * spec.sampled["params.speed"])
            assert kid.mass == pytest.approx(10 * kid.shape["radius"])  # self = the same instance
        assert len({k.shape["radius"] for k in kids}) == 3
        assert spec.sampled["params.gap"] == 1.5
        assert spec.sampled["objects[1][2].mass"] == kids[2].mass
    assert len(xs) == 8


def test_references_do_not_shift_other_draws(tmp_path: Path) -> None:
    plain = scenario(VAN_AND_KID.replace("    mass: ${self.radius * 10}\n", ""), tmp_path)
    linked = scenario(VAN_AND_KID, tmp_path)
    a, b = sample(plain, 3).sampled, sample(linked, 3).sampled
    common = set(a) & set(b)
    assert "objects[0][0].position[0]" in common and "objects[1][1].radius" in common
    assert {k: a[k] for k in common} == {k: b[k] for k in common}
    assert sample(linked, 3).to_json() == sample(linked, 3).to_json()
    assert sample(linked, 3).sampled != sample(linked, 4).sampled


def test_forward_reference_equals_the_later_draw(tmp_path: Path) -> None:
    sc = scenario(
        """
objects:
  - {name: first, type: sphere, class: a, radius: "${objects.second.radius}"}
  - {name: second, type: sphere, class: a, radius: {uniform: [0.1, 0.5]}}
""",
        tmp_path,
    )
    spec = sample(sc, 0)
    assert spec.objects[0].shape["radius"] == spec.objects[1].shape["radius"]
    assert spec.sampled["objects[1][0].radius"] == spec.objects[1].shape["radius"]


def test_reference_to_camera_and_count(tmp_path: Path) -> None:
    sc = scenario(
        """
params: {n: {integer: [2, 4]}}
objects:
  - {name: ball, type: sphere, class: a, count: "${params.n}", radius: 0.1,
     position: [0, 0, "${cameras.cam.position[2] - 1}"]}
""",
        tmp_path,
    )
    for i in range(4):
        spec = sample(sc, i)
        assert len(spec.objects) == spec.sampled["params.n"]
        assert all(o.position[2] == 1.0 for o in spec.objects)


def test_scenario_with_references_pickles_for_worker_processes(tmp_path: Path) -> None:
    sc = scenario(VAN_AND_KID, tmp_path)
    again = pickle.loads(pickle.dumps(sc))
    assert sample(again, 5).to_json() == sample(sc, 5).to_json()
    assert sc.model_dump(by_alias=True)["params"]["speed"] == {"uniform": [1.0, 3.0]}
    assert sc.model_dump(by_alias=True)["objects"][1]["mass"] == "${self.radius * 10}"


@pytest.mark.parametrize(
    "body, line, path, message",
    [
        (
            "params: {a: '${params.b}', b: '${params.c}', c: '${params.a}'}\nobjects: []\n",
            3,
            "params.a",
            "reference cycle: params.a -> params.b -> params.c -> params.a",
        ),
        (
            "objects:\n  - {name: o, type: sphere, class: a, radius: '${self.radius}'}\n",
            4,
            "objects[0].radius",
            "reference cycle: objects.o.radius -> objects.o.radius",
        ),
        (
            "objects:\n  - {name: o, type: sphere, class: a, radius: '${objects.o.raduis}'}\n",
            4,
            "objects[0].radius",
            "no 'raduis' in 'objects.o' (did you mean 'radius'?)",
        ),
        ("params: {a: '${self.x}'}\n", 3, "params.a", "'self' only means something inside a list item"),
        ("params: {a: '${world.ground}'}\n", 3, "params.a", "'world.ground' is a section, not a number"),
        ("params: {a: '${objects[3].mass}'}\nobjects: []\n", 3, "params.a", "index 3 is out of range"),
        ("params: {a: '${prams.x}'}\n", 3, "params.a", "no 'prams' in 'the scenario' (did you mean 'params'?)"),
        ("params: {a: '${cameras.cam.look_at}'}\n", 3, "params.a", "is a list of 3 values"),
    ],
)
def test_reference_errors_are_located(tmp_path: Path, body: str, line: int, path: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(body, tmp_path)
    formatted = [i.format() for i in err.value.issues]
    assert any(f.startswith(f"refs.yaml:{line}:") and f" {path}: " in f and message in f for f in formatted), formatted


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "params: {r: -0.5}\nobjects:\n  - {name: o, type: sphere, class: a, radius: '${params.r}'}\n",
            "evaluates to -0.5, but this field must be > 0",
        ),
        (
            "params: {z: 0}\nobjects:\n  - {name: o, type: sphere, class: a, radius: '${1 / params.z}'}\n",
            "division by zero",
        ),
    ],
)
def test_bad_reference_values_fail_when_sampled_with_location(tmp_path: Path, body: str, message: str) -> None:
    sc = scenario(body, tmp_path)
    with pytest.raises(ScenarioError) as err:
        sample(sc, 0)
    (issue,) = err.value.issues
    assert (issue.file, issue.line, issue.path) == ("refs.yaml", 5, "objects[0].radius")
    assert message in issue.message
