"""The shipped edge-case scenarios validate, render small, and stage what their header says."""

from __future__ import annotations

import json

import numpy as np
import pytest

import simgen
from simgen.cli import main
from simgen.resources import scenario_path
from simgen.sim.client import BulletClient
from simgen.sim.world import World

EDGE_CASES = [
    "urban_dusk_child_runout",
    "rural_night_animal_crossing",
    "warehouse_bin_picking",
    "conveyor_inspection",
    "drone_yard_haze",
    "tabletop_6d_pose",
    "sensor_faults",
    "indoor_fall_detection",
]


def small(name: str) -> simgen.Scenario:
    """The shipped scenario with 160x120 cameras (same fields of view)."""
    sc = simgen.load(scenario_path(name))
    cams = [c.model_copy(update={"width": 160, "height": 120}) for c in sc.cameras]
    return sc.model_copy(update={"cameras": cams})


def test_each_has_a_header_comment_shown_by_simgen_list(capsys):
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    for name in EDGE_CASES:
        lines = scenario_path(name).read_text().splitlines()
        assert lines[0].startswith("# ") and len(lines[0]) > 30
        assert lines[1] == "#" and lines[2].startswith("# Why it matters:")
        assert f"{name} " in listed and lines[0][2:] in listed


def test_all_validate(capsys):
    assert main(["validate", *[str(scenario_path(n)) for n in EDGE_CASES]]) == 0


def test_json_schema_accepts_each_of_them():
    import jsonschema
    import yaml

    from simgen.scenario.schema import scenario_json_schema

    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    for name in EDGE_CASES:
        data = yaml.safe_load(scenario_path(name).read_text())
        assert list(validator.iter_errors(data)) == [], name


@pytest.mark.parametrize("name", EDGE_CASES)
def test_renders_one_small_episode(name, tmp_path):
    out = tmp_path / name
    summary = simgen.render(small(name), out, episodes=1, frames=2, renderer="tiny", progress=False)
    assert summary.images >= 1
    manifest = json.loads((out / "manifest.json").read_text())
    (episode,) = manifest["episodes"]
    assert "scene" in episode and "events_fired" in episode
    coco = json.loads((out / "coco" / "annotations" / f"instances_{episode['split']}.json").read_text())
    assert coco["images"] and coco["images"][0]["width"] == 160
    assert summary.annotations >= 1


def _run(name: str, seconds: float, index: int = 0) -> World:
    spec = simgen.sample(small(name), index)
    client = BulletClient()
    world = World(client, spec)
    world.step(int(round(seconds / spec.world.time_step)))
    return world


def test_urban_child_runs_out_then_ego_brakes():
    w = _run("urban_dusk_child_runout", 4.0)
    fired = {e["event"]: e["time"] for e in w.spec.event_log}
    assert set(fired) == {"child_runs", "ego_brakes"} and fired["child_runs"] < fired["ego_brakes"]
    child = np.array(w.base_pose(w.iid_by_name("child"))[0])
    assert child[1] > -1.0  # in the lane (y ~ 0) or beyond, no longer behind the van (y = -2.6)
    assert w.spec.scene.time_of_day == pytest.approx(w.spec.sampled["world.time_of_day"])
    assert w.spec.scene.light["intensity"] < 0.7  # dusk
    w.client.close()


def test_fall_detection_person_ends_on_the_floor():
    for index in range(2):
        w = _run("indoor_fall_detection", 2.5, index)
        assert [e["event"] for e in w.spec.event_log] == ["push"]
        uid = w.uid_by_name("person")
        top = max(w.client.p.getAABB(uid, j, physicsClientId=w.client.id)[1][2] for j in range(-1, 9))
        assert top < 0.8
        w.client.close()


def test_bin_picking_clutter_ends_inside_the_tray():
    w = _run("warehouse_bin_picking", 1.0)
    for o in w.spec.objects:
        if o.label:
            x, y, z = w.base_pose(o.instance_id)[0]
            assert abs(x) < 0.31 and abs(y) < 0.21 and 0 < z < 0.3, o.name
    w.client.close()


def test_conveyor_defect_rate_is_about_one_in_a_hundred():
    sc = simgen.load(scenario_path("conveyor_inspection"))
    parts = defects = 0
    for i in range(200):
        for o in simgen.sample(sc, i).objects:
            if o.source in ("part", "defect"):
                parts += 1
                defects += o.class_name == "defect"
                assert o.metadata["defect"] is (o.class_name == "defect")
    rate = defects / parts
    assert 0.004 < rate < 0.02  # 1/101 expected; binomial spread over ~2000 parts


def test_sensor_faults_recorded_as_windows():
    w = _run("sensor_faults", 2.0)
    kinds = {f.kind for f in w.faults}
    assert kinds == {
        "camera_freeze",
        "frame_drop",
        "exposure_spike",
        "lens_occlusion",
        "timestamp_jitter",
        "lidar_dropout",
        "imu_bias_jump",
    }
    (lidar,) = [f for f in w.faults if f.kind == "lidar_dropout"]
    assert lidar.sensor == "lidar" and lidar.end - lidar.start == pytest.approx(0.5)
    w.client.close()
