"""Scenario validation: every error located (file:line:col key.path), all at once, with hints."""

from __future__ import annotations

from pathlib import Path

import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.resources import scenario_path, shipped_scenarios
from simgen.scenario.models import Scenario
from simgen.scenario.schema import scenario_json_schema

GOOD = """\
version: 1
name: ok
objects:
  - name: crate
    type: box
    class: crate
    size: [0.2, 0.2, 0.2]
cameras:
  - position: [1, 0, 1]
    look_at: [0, 0, 0]
"""


def _errors(text: str, name: str = "s.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as err:
        simgen.loads(text, file=name)
    return [i.format() for i in err.value.issues]


def test_shipped_scenarios_load() -> None:
    assert shipped_scenarios()
    for path in shipped_scenarios():
        sc = simgen.load(path)
        assert isinstance(sc, Scenario) and sc.sha256 and sc.source == str(path)
    quick = simgen.load(scenario_path("quickstart"))
    assert quick.class_names == ["crate", "ball", "can", "duck", "ring"]


def test_models_are_frozen() -> None:
    sc = simgen.loads(GOOD)
    with pytest.raises(Exception, match="frozen"):
        sc.name = "other"


def test_unknown_key_gets_location_and_did_you_mean() -> None:
    errors = _errors(GOOD.replace("    size:", "    sise:"))
    assert errors == [
        "s.yaml:4:5: objects[0].size: missing required key 'size'",
        "s.yaml:7:5: objects[0].sise: unknown key 'sise' (did you mean 'size'?)",
    ]


def test_unknown_top_level_and_camera_keys() -> None:
    errors = _errors(GOOD + "seeed: 3\n")
    assert errors == ["s.yaml:11:1: seeed: unknown key 'seeed' (did you mean 'seed'?)"]
    errors = _errors(GOOD.replace("    look_at:", "    look_ta:"))
    assert any("cameras[0].look_ta: unknown key 'look_ta' (did you mean 'look_at'?)" in e for e in errors)


def test_all_errors_of_a_file_are_reported_at_once() -> None:
    text = """\
version: 1
name: bad
episodes: 0
objects:
  - name: a
    type: sphere
    class: thing
    radius: -1
  - name: b
    type: boxx
    class: thing
cameras:
  - width: wide
    position: [1, 0, 1]
    look_at: [0, 0, 0]
"""
    errors = _errors(text)
    assert len(errors) == 4, errors
    assert errors[0].startswith("s.yaml:3:1: episodes: ")
    assert errors[1].startswith("s.yaml:8:5: objects[0].radius: must be > 0")
    from simgen.scenario.models import ASSET_MODELS

    assert errors[2] == (
        "s.yaml:10:5: objects[1].type: unknown type 'boxx'; expected one of box, sphere, cylinder, capsule, "
        f"urdf, mesh, humanoid, or one of {len(ASSET_MODELS)} asset types (see 'simgen list') (did you mean 'box'?)"
    )
    assert errors[3].startswith("s.yaml:13:5: cameras[0].width: ") and "'wide'" in errors[3]


def test_semantic_errors_are_located() -> None:
    text = """\
version: 1
name: sem
classes: [a, a]
objects:
  - {name: x, type: sphere, class: crate, radius: 1}
  - {name: x, type: sphere, class: a, radius: 1}
cameras:
  - {position: [1, 0, 1], look_at: [0, 0, 0], rpy: [0, 0, 0], near: 2, far: 1}
"""
    errors = _errors(text)
    assert "s.yaml:3:1: classes: duplicate class names ['a']" in errors
    assert any(e.startswith("s.yaml:5:") and "objects[0].class: class 'crate' is not in" in e for e in errors)
    assert any(e.startswith("s.yaml:6:") and "duplicate object name 'x'" in e for e in errors)
    assert any("cameras[0].far: far (1) must be greater than near (2)" in e for e in errors)
    assert any("cameras[0].rpy: give either look_at or rpy, not both" in e for e in errors)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "this file is empty"),
        ("- 1\n- 2\n", "this file is a list"),
        ("name: x\n", "missing required key 'cameras'"),
    ],
)
def test_not_a_scenario(text: str, message: str) -> None:
    errors = _errors(text)
    assert any(message in e and e.startswith("s.yaml:1:") for e in errors), errors


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        simgen.load(tmp_path / "nope.yaml")
    assert str(err.value).startswith(f"{tmp_path / 'nope.yaml'}: file not found")


def test_json_schema_lists_object_types_and_forbids_extra_keys() -> None:
    import jsonschema
    import yaml

    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert not list(validator.iter_errors(yaml.safe_load(scenario_path("quickstart").read_text())))
    bad = yaml.safe_load(GOOD.replace("    size:", "    sise:"))
    assert list(validator.iter_errors(bad))
