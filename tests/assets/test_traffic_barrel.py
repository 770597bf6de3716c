"""``traffic_barrel``: a kind added as one module; the schema, ``simgen list``, the world and BOP see it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

import simgen
from simgen.kinds.registry import kind_of
from tests.conftest import REPO

SCENE = """
version: 1
name: barrels
seed: 3
episodes: 1
frames: 1
classes: [barrel]
world: {settle_time: 0.2}
objects:
  - {name: drum, type: traffic_barrel, class: barrel, count: 2, height: 0.9, radius: 0.28, bands: 2,
     position: [{uniform: [-0.8, 0.8]}, {uniform: [-0.3, 0.3]}, 0.45], behavior: {type: static}}
cameras:
  - {name: cam, width: 96, height: 72, fov_y: 60, position: [3.2, 0.0, 1.4], look_at: [0, 0, 0.45]}
"""


def test_schema_and_list_pick_the_barrel_up():
    from simgen.scenario.schema import scenario_json_schema

    schema = json.dumps(scenario_json_schema())
    assert "TrafficBarrelAsset" in schema and '"traffic_barrel"' in schema
    out = subprocess.run(
        [sys.executable, "-m", "simgen", "list"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert "traffic_barrel" in out and "channelizer drum" in out


def test_bad_parameter_is_a_located_error():
    bad = SCENE.replace("bands: 2", "bands: 9")
    try:
        simgen.loads(bad, file="barrels.yaml")
    except simgen.SimgenError as err:
        assert "objects[0].bands" in str(err) and "barrels.yaml:" in str(err)
    else:
        raise AssertionError("bands: 9 must be refused")


def test_extents_and_model_follow_the_parameters():
    spec = simgen.sample(simgen.loads(SCENE), 0)
    barrel = spec.objects[0]
    kind = kind_of("traffic_barrel")
    half = kind.half_extents(barrel.shape, spec.base_dir)
    assert np.allclose(half, [1.3 * 0.28, 1.3 * 0.28, 0.45], atol=0.01)  # ballast ring is the widest part
    assert kind.no_model_reason(barrel.shape, spec.base_dir) is None
    mesh = kind.rigid_mesh(barrel.shape, spec.base_dir)
    assert np.allclose(mesh.bounds, [-half, half], atol=1e-9)  # body frame: bounding-box centre
    no_ballast = dict(barrel.shape, params={**barrel.shape["params"], "ballast": False})
    assert kind.half_extents(no_ballast, spec.base_dir)[0] < 0.28 * 1.02


def test_barrels_stand_and_get_bop_models(tmp_path):
    from tests.export.bop_check import check_bop

    out = tmp_path / "ds"
    simgen.render(simgen.loads(SCENE), out, renderer="tiny", formats=["bop", "coco"], progress=False)
    gt = json.loads((out / "bop/train/000000/scene_gt.json").read_text())
    assert len(gt["0"]) == 2 and {g["obj_id"] for g in gt["0"]} == {1}  # same parameters: one model
    assert check_bop(out) == 2
    info = json.loads((out / "bop/models/models_info.json").read_text())["1"]
    assert np.isclose(info["size_z"], 900.0, atol=1.0) and info["name"] == "barrel"
