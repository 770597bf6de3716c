"""``simgen schema``: a valid draft 2020-12 schema that accepts every shipped scenario."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from simgen.resources import shipped_scenarios
from simgen.scenario.schema import scenario_json_schema

REPO = Path(__file__).resolve().parents[2]
SHIPPED = shipped_scenarios()
CORPUS = Path(__file__).parent / "malformed"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = scenario_json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_cli_prints_the_schema() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "simgen", "schema"],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema == json.loads(json.dumps(scenario_json_schema()))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_schema_accepts_every_shipped_scenario(path: Path, validator: Draft202012Validator) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors


def _placed(placement: dict) -> dict:
    return {"name": "b", "type": "box", "class": "b", "size": [1, 1, 1], "placement": placement}


def test_schema_covers_requirements_and_relative_placement(validator: Draft202012Validator) -> None:
    data = {
        "name": "x",
        "cameras": [{"name": "cam", "position": [0, 0, 1], "look_at": [1, 0, 1]}],
        "require": ["distance(a, b) > 2", "visible_fraction(b, cam) <= 0.4"],
        "max_attempts": 50,
        "objects": [
            _placed({"region": "box", "min": [0, 0, 0], "max": [1, 1, 0]}),
            _placed({"relative_to": "a", "side": "behind", "gap": {"uniform": [1, 2]}, "lateral": 0.5}),
            _placed({"hidden_from": "cam", "behind": "a", "max_visible": 0.4, "gap": 0.3}),
            _placed({"visible_from": "cam", "range": [2, 20], "min_visible": 0.6}),
        ],
        "variants": [{"name": "v", "require": ["left_of(a, b)"]}],
    }
    assert not list(validator.iter_errors(data))


def test_schema_accepts_the_language_features(validator: Draft202012Validator) -> None:
    data = {
        "extends": "base.yaml",
        "name": "x",
        "params": {"speed": {"loguniform": [0.5, 4]}, "gap": "${params.speed * 2}"},
        "objects": [
            {
                "name": "kid",
                "type": "sphere",
                "class": "kid",
                "radius": {"normal": {"mean": 0.1, "std": 0.01, "min": 0.05, "max": 0.2}},
                "position": ["${objects.van.position[0] + 1}", {"choice": {"values": [0, 1], "weights": [1, 3]}}, 0],
                "count": {"integer": [1, 3]},
            }
        ],
        "variants": [{"name": "defect", "weight": 1, "set": {"objects.kid.class": "defect"}, "overlay": {}}],
        "sweep": {"world.ground.friction": [0.1, 0.9]},
    }
    assert not list(validator.iter_errors(data))  # 'cameras' may come from the base


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x"},  # no extends, so cameras are required
        {"name": "x", "cameras": [{"position": [0, 0, 1], "look_at": [0, 0, 0]}], "objets": []},
        {"name": "x", "cameras": [{"position": [0, 0, 1], "width": "wide"}]},
        {"name": "x", "cameras": [{"position": [0, 0, "${oops"]}]},
        {"name": "x", "cameras": [{"position": [0, 0, {"loguniform": [0, 1]}]}]},
        {"name": "x", "cameras": [{"position": [0, 0, 1]}], "variants": [{"name": "v", "weight": -1}]},
        {"name": "x", "cameras": [{"position": [0, 0, 1]}], "require": [""]},
        {"name": "x", "cameras": [{"position": [0, 0, 1]}], "max_attempts": 0},
        {"name": "x", "cameras": [{"position": [0, 0, 1]}], "objects": [_placed({"side": "front"})]},
        {"name": "x", "cameras": [{"position": [0, 0, 1]}], "objects": [_placed({"relative_to": "v", "side": "up"})]},
        {"name": "x", "cameras": [{"position": [0, 0, 1]}], "objects": [_placed({"hidden_from": "cam"})]},
    ],
)
def test_schema_rejects_what_the_loader_rejects(data: dict, validator: Draft202012Validator) -> None:
    assert list(validator.iter_errors(data))
