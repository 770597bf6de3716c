"""Asset types and scene layouts in the scenario language: fields, located errors, regions, no overlaps."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

import simgen
from simgen.errors import ScenarioError
from tests.conftest import REPO

CAMERA = "cameras: [{name: cam, width: 32, height: 24, position: [-5, -5, 3], look_at: [0, 0, 0]}]"


def _load(body: str) -> simgen.Scenario:
    return simgen.loads(f"version: 1\nname: t\n{body}\n{CAMERA}\n")


def _errors(body: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        _load(body)
    return [i.format() for i in info.value.issues]


def test_unknown_parameter_and_out_of_range_value_are_located_errors():
    errors = _errors(
        "objects:\n"
        "  - {name: car, class: car, type: sedan, lenght: 4.5}\n"
        "  - {name: bus, class: bus, type: bus, length: {uniform: [10, 25]}}\n"
        "  - {name: part, class: p, type: gear, defect: dented}"
    )
    assert "<string>:4:42: objects[0].lenght: unknown key 'lenght' (did you mean 'length'?)" in errors
    assert any(e.startswith("<string>:5:40: objects[1].length: ") and "20" in e for e in errors), errors
    assert any(
        e.startswith("<string>:6:") and "objects[2].defect: must be one of" in e and "'dent'" in e for e in errors
    )


def test_cli_exits_2_without_traceback_on_a_bad_asset_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"version: 1\nname: t\nobjects:\n  - {{name: d, class: d, type: deer, height: 9}}\n{CAMERA}\n")
    out = subprocess.run(
        [sys.executable, "-m", "simgen", "validate", str(bad)], capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "bad.yaml:4:37: objects[0].height: must be <= 2.5, got 9" in out.stdout + out.stderr


def test_schema_lists_asset_types_with_their_parameters():
    from simgen.scenario.schema import scenario_json_schema

    text = str(scenario_json_schema())
    for word in ("sedan", "broadleaf_tree", "wheel_radius", "urban_street", "warehouse_aisle"):
        assert word in text


def test_instance_looks_do_not_depend_on_the_count():
    def params(count: int) -> list[dict]:
        sc = _load(f"objects:\n  - {{name: car, class: car, type: sedan, count: {count}}}")
        return [o.shape["params"] for o in simgen.sample(sc, 0).objects]

    three, five = params(3), params(5)
    assert five[:3] == three
    assert len({p["seed"] for p in five}) == 5


def test_fixed_factory_seed_gives_the_same_looks_every_episode():
    sc = _load("episodes: 3\nobjects:\n  - {name: t, class: t, type: conifer_tree, seed: 4, height: 8}")
    seeds = {simgen.sample(sc, i).objects[0].shape["params"]["seed"] for i in range(3)}
    assert len(seeds) == 1


def test_defect_parameter_reaches_label_metadata():
    sc = _load("objects:\n  - {name: p, class: p, type: housing, defect: crack}")
    assert simgen.sample(sc, 0).objects[0].metadata == {"defect": "crack"}


SCENES = {
    "urban_street": "{type: urban_street, length: 60, parked_cars: 4, trees: 4, crosswalk: 0.5}",
    "rural_road": "{type: rural_road, length: 60}",
    "indoor_room": "{type: indoor_room}",
    "warehouse_aisle": "{type: warehouse_aisle, pallets: 3}",
}


@pytest.mark.parametrize("kind", sorted(SCENES))
def test_a_layout_places_no_object_inside_another(kind):
    from simgen.scenario.sample_world import _is_surface, world_half_extents

    sc = _load(f"episodes: 3\nscene: {SCENES[kind]}")
    for episode in range(3):
        spec = simgen.sample(sc, episode)
        solid = [o for o in spec.objects if not _is_surface(o)]
        assert len(solid) >= 3
        boxes = [(np.asarray(o.position), world_half_extents(o, sc.base_dir), o.name) for o in solid]
        for (c1, h1, n1), (c2, h2, n2) in itertools.combinations(boxes, 2):
            assert not np.all(np.abs(c1 - c2) < h1 + h2 - 1e-6), f"{n1} inside {n2}"
        for o in solid:  # everything stands on the ground or the layout's surfaces, none sunk below
            assert o.position[2] - world_half_extents(o, sc.base_dir)[2] >= -0.01, o.name


def test_named_regions_place_objects_where_they_say():
    sc = _load(
        "scene: {type: urban_street, length: 60, lanes: 2, lane_width: 3.5, sidewalk_width: 3}\n"
        "objects:\n"
        "  - {name: walker, class: person, type: humanoid, count: 3, placement: {region: sidewalk}}\n"
        "  - {name: car, class: car, type: suv, placement: {region: lane 2}}"
    )
    spec = simgen.sample(sc, 0)
    for o in spec.objects:
        if o.source == "walker":  # right sidewalk: y in -(3.5 + 0.2) .. -(3.5 + 0.2 + 3), feet on its top
            assert -6.7 <= o.position[1] <= -3.7 and o.position[2] == pytest.approx(0.15 + 0.875, abs=1e-6)
        if o.source == "car":  # lane 2 is the left lane (y > 0), 0.3 m either side of its centre line
            assert 1.75 - 0.3 <= o.position[1] <= 1.75 + 0.3
    assert sc.class_names[:2] == ["person", "car"]  # the layout never renumbers the user's classes
    labelled = {o.source for o in spec.objects if o.label}
    assert "scene_parked_0" in labelled and not any(n.startswith("scene_building") for n in labelled)


def test_unknown_region_is_a_located_error_with_a_suggestion():
    errors = _errors(
        "scene: {type: urban_street}\nobjects:\n  - {name: w, class: p, type: humanoid, placement: {region: sidewalks}}"
    )
    assert errors == [
        "<string>:5:53: objects[0].placement.region: no region 'sidewalks' in this urban_street scene "
        "(did you mean 'sidewalk'?)"
    ]


def test_bad_scene_parameters_are_located_errors():
    errors = _errors("scene: {type: rural_road, trees: -1, lenght: 30}")
    assert any(e.startswith("<string>:3:") and "scene.trees" in e for e in errors), errors
    assert any("scene.lenght: unknown key 'lenght'" in e for e in errors), errors


def test_scenarios_with_asset_types_pickle_to_worker_processes():
    """Regression: generated object models must be module attributes, or --workers 2 cannot pickle them."""
    import os
    import pickle

    sc = _load("scene: {type: indoor_room}\nobjects:\n  - {name: car, class: car, type: sedan}")
    data = pickle.dumps(sc)
    assert pickle.loads(data).objects[0].type == "sedan"
    code = "import pickle, sys; sc = pickle.loads(sys.stdin.buffer.read()); print(type(sc.objects[0]).__name__)"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, env=env, check=True)
    assert out.stdout.decode().strip() == "SedanAsset"
