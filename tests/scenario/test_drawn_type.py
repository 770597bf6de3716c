"""An object's type drawn per instance: ``type: {choice: [...]}`` with shared and per-type fields."""

from __future__ import annotations

import re

import numpy as np
import pytest

import simgen
from simgen.cli import main
from simgen.errors import ScenarioError
from simgen.kinds.registry import kind_of
from simgen.scenario.loader import effective_scenario
from simgen.sim.client import BulletClient
from simgen.sim.ground import sinking
from simgen.sim.world import World

CAM = "cameras: [{name: cam, width: 32, height: 24, position: [0, 0, 1.5], look_at: [12, 0, 1.5]}]\n"
DIMS = {"sedan": (4.5, 1.8, 1.45), "suv": (4.7, 1.9, 1.7), "van": (5.2, 2.0, 2.4)}
CARS = (
    "name: drawn\nepisodes: 12\n"
    "objects:\n"
    "  - name: car\n"
    "    type: {choice: [sedan, suv, van]}\n"
    "    class: vehicle\n"
    "    count: 2\n"
    "    wheel_radius: 0.33\n"
    "    per_type:\n"
    "      sedan: {length: 4.5, width: 1.8, height: 1.45}\n"
    "      suv: {length: 4.7, width: 1.9, height: 1.7, class: suv}\n"
    "      van: {length: 5.2, width: 2.0, height: 2.4, class: van}\n"
    "    placement: {region: box, min: [8, -6, 0], max: [30, 6, 0]}\n" + CAM
)


def _drawn(sc: simgen.Scenario, episodes: int) -> list[simgen.EpisodeSpec]:
    return [simgen.sample(sc, e) for e in range(episodes)]


def test_each_type_is_drawn_with_its_own_fields_class_and_ground_contact():
    sc = simgen.loads(CARS)
    assert sc.class_names == ["vehicle", "suv", "van"]  # the per-type classes, in choice order
    seen = set()
    for spec in _drawn(sc, 12):
        for k, obj in enumerate(spec.objects):
            assert spec.sampled[f"objects[0][{k}].type"] == obj.type  # recorded with the episode
            seen.add(obj.type)
            params = obj.shape["params"]
            assert (params["length"], params["width"], params["height"]) == DIMS[obj.type]
            assert params["wheel_radius"] == 0.33  # shared: every type takes it
            assert obj.class_name == {"sedan": "vehicle"}.get(obj.type, obj.type)
            assert obj.category_id == sc.class_names.index(obj.class_name) + 1
            half = kind_of(obj.type).half_extents(obj.shape, sc.base_dir)
            assert obj.position[2] - half[2] == pytest.approx(0.0, abs=1e-9)  # wheels on the ground
    assert seen == {"sedan", "suv", "van"}


def test_weights_decide_the_draw_and_a_zero_weight_type_never_comes():
    text = CARS.replace("{choice: [sedan, suv, van]}", "{choice: {values: [sedan, suv, van], weights: [1, 0, 3]}}")
    types = [o.type for spec in _drawn(simgen.loads(text), 12) for o in spec.objects]
    assert "suv" not in types and {"sedan", "van"} <= set(types)
    assert types.count("van") > types.count("sedan")


def test_drawing_the_type_changes_no_other_draw():
    """The type has its own key path (objects[j][k].type): a one-type choice samples like the plain type."""
    plain = CARS.replace("{choice: [sedan, suv, van]}", "sedan")
    plain = plain.replace("    per_type:\n      sedan: {length: 4.5, width: 1.8, height: 1.45}\n", "")
    plain = plain.replace("    wheel_radius: 0.33\n", "    wheel_radius: 0.33\n    length: 4.5\n    width: 1.8\n")
    plain = plain.replace("    count: 2\n", "    count: 2\n    height: 1.45\n")
    plain = "\n".join(line for line in plain.splitlines() if not line.startswith("      suv") and "van:" not in line)
    one = CARS.replace("{choice: [sedan, suv, van]}", "{choice: [sedan]}")
    one = "\n".join(line for line in one.splitlines() if not line.startswith("      suv") and "van:" not in line)
    for a, b in zip(_drawn(simgen.loads(plain + "\n"), 3), _drawn(simgen.loads(one + "\n"), 3), strict=True):
        assert {k: v for k, v in b.sampled.items() if not k.endswith(".type")} == a.sampled
        assert b.objects == a.objects


def test_sampling_is_the_same_in_any_order_and_process():
    sc = simgen.loads(CARS)
    forward = _drawn(sc, 6)
    backward = [simgen.sample(simgen.loads(CARS), e) for e in reversed(range(6))][::-1]
    assert [(s.objects, s.sampled) for s in forward] == [(s.objects, s.sampled) for s in backward]


def test_a_drawn_walker_or_driver_stands_on_its_support_whatever_it_draws():
    text = (
        "name: crowd\nepisodes: 4\nworld: {settle_time: 0.1, frame_rate: 5}\nobjects:\n"
        "  - name: actor\n    type: {choice: [humanoid, sedan]}\n    class: road_user\n    count: 3\n"
        "    height: 1.6\n"  # shared: a person's and a car's height
        "    per_type: {sedan: {length: 4.2, width: 1.8}}\n"
        "    placement: {region: box, min: [0, -20, 0], max: [40, 20, 0]}\n"
        "    behavior: {type: waypoints, points: [[0, 0, 0], [0, 5, 0]], speed: 2}\n" + CAM
    )
    sc = simgen.loads(text)
    types = set()
    for e in range(4):
        spec = simgen.sample(sc, e)
        types |= {o.type for o in spec.objects}
        with BulletClient() as client:
            world = World(client, spec)
            for f in range(3):
                world.step(spec.world.settle_steps + f * spec.world.steps_per_frame - world.steps)
                assert {k: v for k, v in sinking(world).items() if v > 0.01} == {}
    assert types == {"humanoid", "sedan"}


@pytest.mark.parametrize(
    ("entry", "where", "message"),
    [
        (  # a field only some drawn types take, at the top level
            "    type: {choice: [sedan, box]}\n    length: 4.5\n    size: [1, 1, 1]\n",
            "<string>:5:5: objects[1].type: ",
            r"'length' is not a field of drawn type box \(only sedan takes it\) "
            r"\(move it into per_type: \{sedan: \{length: ...\}\}\)",
        ),
        (
            "    type: {choice: [sedan, humanoid]}\n    wheel_radius: 0.3\n",
            "<string>:5:5: objects[1].type: ",
            r"'wheel_radius' is not a field of drawn type humanoid \(only sedan takes it\)",
        ),
        (
            "    type: {choice: [sedan, van]}\n    lenght: 4\n",
            "<string>:6:5: objects[1].lenght: ",
            r"unknown key 'lenght': no drawn type takes it \(did you mean 'length'\?\)",
        ),
        (
            "    type: {choice: [sedan, sedn]}\n",
            "<string>:5:5: objects[1].type: ",
            r"unknown type 'sedn' in the choice.* \(did you mean 'sedan'\?\)",
        ),
        (
            "    type: {choice: [box, sphere]}\n    per_type: {box: {size: [1, 1, 1]}, sphre: {radius: 1}}\n",
            "<string>:6:40: objects[1].per_type.sphre: ",
            r"'sphre' is not one of the drawn types \(did you mean 'sphere'\?\)",
        ),
        (
            "    type: {choice: [box, sphere]}\n    per_type: {box: {size: [1, 1, 1], count: 2}"
            ", sphere: {radius: 1}}\n",
            "<string>:6:39: objects[1].per_type.box.count: ",
            "'count' cannot differ by type",
        ),
        (
            "    type: {choice: [box, sphere]}\n    per_type: {box: {size: [1, 1, -1]}, sphere: {radius: 1}}\n",
            "<string>:6:35: objects[1].per_type.box.size[2]: ",
            "must be > 0, got -1",
        ),
        (
            "    type: {choice: [box, mesh]}\n    per_type: {box: {size: [1, 1, 1]}}\n",
            "<string>:5:5: objects[1].type: ",
            r"drawn type 'mesh' needs 'path' \(set it at the top level, or in per_type: \{mesh: \{path: ...\}\}\)",
        ),
    ],
)
def test_a_field_no_candidate_or_only_some_take_is_a_located_error(entry, where, message, tmp_path, capsys):
    text = "name: t\nobjects:\n  - {name: a, type: box, class: c, size: [1, 1, 1]}\n  - name: b\n"
    text += entry + "    class: c\n" + CAM
    with pytest.raises(ScenarioError, match="(^|\n)" + re.escape(where) + message):
        simgen.loads(text)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{path}:" + where.split(":", 1)[1].split(": ")[0] in err


def test_every_drawn_type_needs_a_class_unless_unlabelled():
    text = (
        "name: t\nclasses: [crate, ball]\nobjects:\n  - name: b\n    type: {choice: [box, sphere]}\n"
        "    per_type: {box: {size: [1, 1, 1], class: crate}, sphere: {radius: 0.5}}\n" + CAM
    )
    with pytest.raises(ScenarioError, match=r"<string>:5:5: objects\[0\]\.type: as drawn type 'sphere': 'class'"):
        simgen.loads(text)
    with pytest.raises(ScenarioError, match=r"objects\[0\]\.per_type\.sphere\.class: class 'bal' is not in"):
        simgen.loads(text.replace("radius: 0.5}", "radius: 0.5, class: bal}"))
    props = simgen.loads(text.replace("    per_type", "    instance_ids: none\n    per_type"))
    assert props.class_names == ["crate", "ball"]
    spec = simgen.sample(props, 0)
    assert spec.objects[0].label == 0


def test_an_unlabelled_drawn_prop_needs_no_class_at_all():
    text = (
        "name: t\nobjects:\n  - name: clutter\n    type: {choice: [box, sphere]}\n    instance_ids: none\n"
        "    count: 4\n    per_type: {box: {size: [0.3, 0.3, 0.3]}, sphere: {radius: 0.2}}\n"
        "  - {name: c, class: crate, type: box, size: [0.2, 0.2, 0.2], position: [1, 0, 0.1]}\n" + CAM
    )
    sc = simgen.loads(text)
    assert sc.class_names == ["crate"]
    spec = simgen.sample(sc, 0)
    assert [(o.label, o.class_name, o.category_id) for o in spec.objects[:4]] == [(0, "", 0)] * 4


def test_references_reach_the_fields_every_drawn_type_shares():
    text = CARS.replace("    wheel_radius: 0.33\n", "    wheel_radius: ${params.r}\n").replace(
        "objects:\n", "params: {r: {uniform: [0.3, 0.36]}}\nobjects:\n"
    )
    text = text.replace(
        CAM,
        "  - {name: follower, class: x, type: sphere, radius: '${objects.car.wheel_radius}', position: [0, 9, 1]}\n"
        + CAM,
    )
    spec = simgen.sample(simgen.loads(text), 0)
    cars = [o for o in spec.objects if o.source == "car"]
    ball = next(o for o in spec.objects if o.source == "follower")
    assert cars[0].shape["params"]["wheel_radius"] == spec.sampled["params.r"] == ball.shape["radius"]


def test_variants_set_drawn_fields_and_each_type_keeps_its_own_defaults():
    text = CARS.replace(
        "episodes: 12\n",
        "episodes: 2\nvariants:\n  - {name: long_vans, weight: 1, set: {objects.car.per_type.van.length: 6.0}}\n",
    )
    sc = simgen.loads(text)
    eff = effective_scenario(sc, 0)
    car, base = eff.objects[0], sc.objects[0]
    assert car.as_type("van").length.value == 6.0
    assert car.as_type("sedan") == base.as_type("sedan") and car.as_type("suv") == base.as_type("suv")
    walker = simgen.loads(
        "name: t\nobjects:\n  - {name: a, class: p, type: {choice: [humanoid, sphere]}, per_type: {sphere: "
        "{radius: 0.3}}}\nvariants: [{name: v, weight: 1, set: {objects.a.count: 2}}]\n" + CAM
    )
    again = effective_scenario(walker, 0).objects[0]
    for t in ("humanoid", "sphere"):  # a default of one type never leaks into another through the dump
        assert again.as_type(t).model_dump(exclude={"count"}) == walker.objects[0].as_type(t).model_dump(
            exclude={"count"}
        )


def test_json_schema_accepts_a_drawn_type_and_still_tells_plain_types_apart():
    import jsonschema
    import yaml

    from simgen.scenario.schema import scenario_json_schema

    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    data = yaml.safe_load(CARS)
    assert list(validator.iter_errors(data)) == []
    data["objects"][0]["type"] = {"choice": ["sedan", "hovercraft"]}
    assert list(validator.iter_errors(data))
    plain = yaml.safe_load("name: t\nobjects: [{name: a, class: c, type: box, size: [1, 1, 1]}]\n" + CAM)
    assert list(validator.iter_errors(plain)) == []


def test_the_drawn_instance_has_the_extents_of_its_type():
    """Extents are those of the drawn type's own mesh, built from that type's per-type fields."""
    from simgen.assets.cache import asset_mesh

    for spec in _drawn(simgen.loads(CARS), 3):
        for obj in spec.objects:
            mesh = asset_mesh(obj.type, obj.shape["params"])
            vertices = np.concatenate([part.mesh.vertices for part in mesh.parts])
            half = kind_of(obj.type).half_extents(obj.shape, spec.base_dir)
            assert np.allclose(2 * half, vertices.max(axis=0) - vertices.min(axis=0))
            assert 2 * half[0] == pytest.approx(DIMS[obj.type][0], rel=0.02)  # bumper to bumper, as asked


def test_the_documented_example_loads_samples_and_labels_each_type(tmp_path):
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "scenario-language.md").read_text(encoding="utf-8")
    block = doc.split("<!-- example: drawn-type -->", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "drawn.yaml").write_text(block)
    sc = simgen.load(tmp_path / "drawn.yaml")
    assert sc.class_names == ["car", "suv", "van"]
    drawn = [o for e in range(sc.episodes) for o in simgen.sample(sc, e).objects]
    cars = [o for o in drawn if o.source == "car"]
    assert {o.type for o in cars} == {"sedan", "suv", "van"}
    for o in cars:
        assert o.class_name == {"sedan": "car"}.get(o.type, o.type)
        assert (o.shape["params"]["length"] == 5.4) == (o.type == "van")
        assert 0.3 <= o.shape["params"]["wheel_radius"] <= 0.36
    assert {o.type for o in drawn if o.source == "clutter"} == {"box", "cylinder"}
    assert all(o.label == 0 for o in drawn if o.source == "clutter")


def test_a_reference_in_a_per_type_block_is_drawn_and_checked_where_it_is_written():
    text = CARS.replace("objects:\n", "params: {L: {uniform: [5.0, 5.5]}}\nobjects:\n").replace(
        "van: {length: 5.2,", "van: {length: '${params.L}',"
    )
    sc = simgen.loads(text)
    for spec in _drawn(sc, 4):
        for obj in spec.objects:
            if obj.type == "van":
                assert obj.shape["params"]["length"] == spec.sampled["params.L"]
    with pytest.raises(ScenarioError, match=r"<string>:\d+:\d+: objects\[0\]\.per_type\.van\.length: cannot resolve"):
        simgen.loads(text.replace("params.L}", "params.LL}"))


def test_a_centre_anchor_is_refused_when_any_drawn_type_walks_or_drives():
    text = CARS.replace("{choice: [sedan, suv, van]}", "{choice: {values: [sedan, box], weights: [1, 1000]}}")
    text = text.replace("      suv: {length: 4.7, width: 1.9, height: 1.7, class: suv}\n", "")
    text = text.replace(
        "      van: {length: 5.2, width: 2.0, height: 2.4, class: van}\n", "      box: {size: [1, 1, 1]}\n"
    )
    text = text.replace(
        "sedan: {length: 4.5, width: 1.8, height: 1.45}", "sedan: {length: 4.5, width: 1.8, wheel_radius: 0.3}"
    )
    text = text.replace("    wheel_radius: 0.33\n", "")
    simgen.loads(text)  # bottom-anchored: fine for both
    with pytest.raises(
        ScenarioError, match=r"<string>:\d+:\d+: objects\[0\]\.placement\.anchor: drawn type sedan walks"
    ):
        simgen.loads(text.replace("max: [30, 6, 0]}", "max: [30, 6, 0], anchor: centre}"))


def test_a_per_type_value_out_of_bounds_when_drawn_is_located_in_its_block():
    text = CARS.replace("objects:\n", "params: {L: {uniform: [1, 3]}}\nobjects:\n").replace(
        "van: {length: 5.2,", "van: {length: '${params.L}',"
    )
    sc = simgen.loads(text)
    with pytest.raises(
        ScenarioError, match=r"<string>:\d+:\d+: objects\[0\]\.per_type\.van\.length: '\$\{params.L\}' "
    ):
        for e in range(12):
            simgen.sample(sc, e)
