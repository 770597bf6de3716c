"""The shipped edge-case scenarios validate, render small, and stage what their header says."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import simgen
from simgen.cli import main
from simgen.resources import scenario_path, shipped_scenarios
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
    "occluded_crossing",
    "lead_vehicle_stopped",
    "left_turn_across_path",
    "pedestrian_crossing_midblock",
]
# Rendered (first frames) by test_pre_crash_requirements_hold_in_the_rendered_labels instead.
PRE_CRASH_LABELS_CHECKED = ("lead_vehicle_stopped", "left_turn_across_path", "pedestrian_crossing_midblock")


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


def test_simgen_list_shows_every_shipped_scenario_with_its_one_line_description(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    section = out.split("shipped scenarios")[1].splitlines()[1:]
    listed = dict(line.strip().split(None, 1) for line in section if line.startswith("  "))
    shipped = shipped_scenarios()
    assert len(shipped) == 14 and sorted(listed) == sorted(p.stem for p in shipped)
    for path in shipped:
        first = path.read_text().splitlines()[0]
        assert first.startswith("# ") and listed[path.stem] == first[2:].strip()
        assert len(listed[path.stem]) > 30 and "\n" not in listed[path.stem]


def test_all_validate(capsys):
    paths = [str(scenario_path(n)) for n in EDGE_CASES]
    assert main(["validate", *paths, "--acceptance-samples", "2"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_json_schema_accepts_each_of_them():
    import jsonschema
    import yaml

    from simgen.scenario.schema import scenario_json_schema

    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    for name in EDGE_CASES:
        data = yaml.safe_load(scenario_path(name).read_text())
        assert list(validator.iter_errors(data)) == [], name


@pytest.mark.parametrize("name", [n for n in EDGE_CASES if n not in PRE_CRASH_LABELS_CHECKED])
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
    assert [(v.name, v.weight) for v in sc.variants] == [("normal", 99), ("defect", 1)]
    variants = []
    for i in range(300):
        spec = simgen.sample(sc, i)
        parts = [o for o in spec.objects if o.source in ("part", "defect")]
        # one part per episode; it is the defect class exactly when the episode drew the defect variant
        assert len(parts) == 1
        assert parts[0].class_name == ("defect" if spec.variant == "defect" else "part")
        assert parts[0].metadata["defect"] is (spec.variant == "defect")
        assert spec.to_json()["variant"] == spec.variant  # what the manifest records
        variants.append(spec.variant)
    assert set(variants) == {"normal", "defect"}
    assert 1 <= variants.count("defect") <= 8  # 1 % of 300: 3 expected, binomial spread


def test_drone_haze_sweep_covers_every_cell_with_its_values():
    sc = simgen.load(scenario_path("drone_yard_haze"))
    densities, hours = [0.005, 0.02, 0.04], [8, 12, 17]
    assert sc.episodes % 9 == 0
    seen: dict[int, int] = {}
    for i in range(18):
        spec = simgen.sample(sc, i)
        sweep = spec.sweep
        assert sweep["cells"] == 9 and sweep["cell"] == i % 9
        di, hi = sweep["index"]
        assert sweep["index"] == [sweep["cell"] // 3, sweep["cell"] % 3]  # last axis fastest
        assert sweep["values"] == {"world.haze.density": densities[di], "world.time_of_day": hours[hi]}
        assert spec.scene.haze["density"] == densities[di]
        assert spec.scene.time_of_day == hours[hi]
        seen[sweep["cell"]] = seen.get(sweep["cell"], 0) + 1
    assert seen == dict.fromkeys(range(9), 2)


def test_rural_deer_crossing_point_follows_the_ego_speed():
    sc = simgen.load(scenario_path("rural_night_animal_crossing"))
    xs = set()
    for i in range(5):
        spec = simgen.sample(sc, i)
        (ego,) = [o.behavior for o in spec.objects if o.source == "ego"]
        (deer,) = [o.behavior for o in spec.objects if o.source == "deer"]
        (x0, y0, _), (x1, y1, _) = deer["points"]
        assert x0 == x1 and (y0, y1) == (-7, 7)
        mid_lane = deer["start"] + 7 / deer["speed"]  # time the deer reaches y = 0
        gap = x0 - (ego["speed"] * mid_lane + 2.1)
        assert gap == pytest.approx(spec.sampled["params.gap"]) and 10 <= gap <= 30
        xs.add(round(x0, 6))
    assert len(xs) == 5


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


def _first_frame(spec) -> dict[str, tuple[int, int]]:
    """(visible, amodal) pixels per object in the rendered first frame (labels kept down to 1 pixel)."""
    from simgen.batch.episode import run_episode
    from simgen.sim.quiet import quiet_stdout

    spec = dataclasses.replace(spec, frames=1, labels={**spec.labels, "min_visible_pixels": 1})
    with quiet_stdout(), BulletClient() as client:
        frame = next(iter(run_episode(client, spec, "tiny")))
    return {lab.object_name: (lab.area, lab.amodal_area) for lab in frame.labels}


def _visibility(counts: dict[str, tuple[int, int]], name: str) -> float:
    visible, amodal = counts.get(name, (0, 0))
    return visible / amodal if amodal else 0.0


def _episodes(name: str, n: int) -> list:
    sc = small(name)
    return [simgen.sample(sc, i) for i in range(n)]


def test_occluded_pedestrian_is_at_most_40_percent_visible_in_frame_0():
    specs = _episodes("occluded_crossing", 4)
    for spec in specs:
        ped = next(o for o in spec.objects if o.source == "pedestrian")
        assert ped.class_name == "pedestrian"
        assert _visibility(_first_frame(spec), ped.name) <= 0.4
        van = next(o for o in spec.objects if o.source == "van")
        assert ped.position[0] > van.position[0]  # beyond the van, seen from the car behind it
        assert ped.behavior["points"][1][1] - ped.behavior["points"][0][1] == pytest.approx(6)  # into the lane


@pytest.mark.slow
def test_occluded_pedestrian_every_episode_full_size():
    sc = simgen.load(scenario_path("occluded_crossing"))
    for i in range(sc.episodes):
        spec = simgen.sample(sc, i)
        ped = next(o for o in spec.objects if o.source == "pedestrian")
        assert _visibility(_first_frame(spec), ped.name) <= 0.4, i


@pytest.mark.parametrize(
    ("name", "target", "least"),
    [
        ("lead_vehicle_stopped", "lead", 0.6),
        ("left_turn_across_path", "turner", 0.5),
        ("pedestrian_crossing_midblock", "pedestrian", 0.7),
        ("urban_dusk_child_runout", "child", None),
    ],
)
def test_pre_crash_requirements_hold_in_the_rendered_labels(name: str, target: str, least: float | None):
    from simgen.scenario.requirements import relative

    for spec in _episodes(name, 2):
        ego = next(o for o in spec.objects if o.source == "ego")
        obj = next(o for o in spec.objects if o.source == target)
        ahead, left, _ = relative(obj, ego)
        assert ahead > 0
        seen = _visibility(_first_frame(spec), obj.name)
        if least is None:  # the child: at most half visible behind the van, on the car's right
            assert seen <= 0.5 and left < 0
        else:
            assert seen >= least
        assert spec.requirements["attempts"] >= 1
