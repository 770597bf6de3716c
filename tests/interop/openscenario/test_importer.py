"""`simgen import`: esmini's and scenariogeneration's OpenSCENARIO files -> valid simgen scenarios.

Trajectory checks compare the imported timed paths with what the sources define: lane centres
(from the .xodr lane widths, read here with the standard library), target speeds, and lane-change
durations. Tolerance: 2 cm laterally, 1 cm/s on speeds, one import step (0.05 s) on times.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml

from simgen.cli import main
from simgen.interop.opendrive.network import load_network
from simgen.scenario.loader import load
from simgen.scenario.sampling import check_sampling
from tests.interop.openscenario.conftest import ESMINI

SIX = {
    "cut-in_simple": {"Ego": "car", "OverTaker": "car"},
    "slow-lead-vehicle": {"Ego": "car", "Lead": "car"},
    "lane_change_simple": {"Ego": "car"},
    "alks_pedestrian": {"Ego": "car", "Pedestrian": "pedestrian"},
    "ltap-od": {"Ego": "car", "NPC": "car"},
    "pedestrian_collision": {"Ego": "car", "pedestrian_adult": "pedestrian"},
}


def imported(src, tmp_path, capsys):
    out = tmp_path / "out" / f"{src.stem}.yaml"
    assert main(["import", str(src), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    return out, yaml.safe_load(out.read_text()), err


def track(data, name):
    b = next(o for o in data["objects"] if o["name"] == name)["behavior"]
    return np.array(b["times"]), np.array(b["points"]), np.array(b["yaw"])


def at(times, points, t):
    return np.array([np.interp(t, times, points[:, k]) for k in range(3)])


@pytest.mark.parametrize("stem", sorted(SIX))
def test_esmini_examples_import_and_validate(stem, tmp_path, capsys):
    out, data, err = imported(ESMINI / "xosc" / f"{stem}.xosc", tmp_path, capsys)
    text = out.read_text()
    assert text.startswith(f"# Imported from {stem}.xosc") and "Traceback" not in err
    sc = load(out)
    assert check_sampling(sc) == []
    by_name = {o["metadata"]["openscenario_name"]: o for o in data["objects"] if "metadata" in o}
    assert {k: by_name[k]["class"] for k in SIX[stem]} == SIX[stem]
    assert data["scene"]["type"] == "road_network" and data["scene"]["lanes"]
    for part in ("asphalt", "markings"):
        assert (out.parent / data["scene"][part]).stat().st_size > 1000
    assert [c["name"] for c in data["cameras"]] == ["front", "overview"]
    assert data["cameras"][0]["mount"]["actor"] == "Ego"
    for line in err.splitlines():  # every unmapped element: file:line:col: element path: what
        assert line.startswith("skipped: ")
        assert ".xo" in line.split(": ")[1] or "storyboard ran" in line


def _lane_widths(xodr, road_id):
    road = next(r for r in ET.parse(xodr).getroot().iter("road") if r.get("id") == road_id)
    return {
        int(ln.get("id")): float(ln.find("width").get("a")) for ln in road.iter("lane") if ln.find("width") is not None
    }


def _box_centre_x(entry):
    cat = ET.parse(ESMINI / "xosc" / "Catalogs" / "Vehicles" / "VehicleCatalog.xosc").getroot()
    return float(next(v for v in cat.iter("Vehicle") if v.get("name") == entry).find("BoundingBox/Center").get("x"))


def test_cut_in_follows_lane_centres_speeds_and_timing(tmp_path, capsys):
    _, data, _ = imported(ESMINI / "xosc" / "cut-in_simple.xosc", tmp_path, capsys)
    w = _lane_widths(ESMINI / "xodr" / "straight_500m.xodr", "1")
    cx_ego, cx_target = _box_centre_x("car_white"), _box_centre_x("car_red")
    te, pe, _ = track(data, "Ego")
    to, po, yo = track(data, "OverTaker")
    # Ego: LanePosition road 1 lane -1 s=50 at 20 m/s; the box centre is ahead of the reference point
    assert np.allclose(pe[:, 1], -w[-1] / 2, atol=0.02)
    assert at(te, pe, 0.0)[0] == pytest.approx(50 + cx_ego, abs=0.01)
    assert (at(te, pe, 5.0)[0] - at(te, pe, 1.0)[0]) / 4 == pytest.approx(20.0, abs=0.01)
    # OverTaker: RelativeRoadPosition ds=-20, dt=3.1 from Ego, 25 m/s until the cut-in
    assert at(to, po, 0.0)[:2] == pytest.approx([30 + cx_target, -w[-1] / 2 + 3.1], abs=0.02)
    assert (at(to, po, 4.0)[0] - at(to, po, 0.0)[0]) / 4 == pytest.approx(25.0, abs=0.01)
    # LaneChangeAction into Ego's lane over 3 s (sinusoidal), when Ego's freespace headway passes 0.4 s
    lateral = np.array([at(to, po, t)[1] for t in np.arange(0, to[-1], 0.05)])
    ts = np.arange(0, to[-1], 0.05)
    start = ts[np.argmax(lateral < lateral[0] - 1e-3)] - 0.05
    end = ts[np.argmax(np.abs(lateral - (-w[-1] / 2)) < 0.01)]
    assert end - start == pytest.approx(3.0, abs=0.15)
    gap = at(to, po, start)[0] - at(te, pe, start)[0] - 5.04  # freespace between the two 5.04 m cars
    assert gap == pytest.approx(0.4 * 20.0, abs=0.3)
    assert np.allclose(po[to >= end + 0.05][:, 1], -w[-1] / 2, atol=0.02)  # and stays on the lane centre
    assert yo[(to > start) & (to < end)].min() < -2.0  # heading turns into the lane change


def test_scenariogeneration_lane_change_on_a_curve(sg_cut_in, tmp_path, capsys):
    _, data, err = imported(sg_cut_in, tmp_path, capsys)
    assert err == ""
    tt, pt, yt = track(data, "Target")
    assert data["frames"] == 81  # StopTrigger at 8 s, 10 frames per second
    # before the lane change (SimulationTime > 2 s) Target drives lane -2's centre: y = -5.25 on the line
    assert at(tt, pt, 1.0)[1] == pytest.approx(-5.25, abs=0.02)
    assert at(tt, pt, 1.5)[0] - at(tt, pt, 0.5)[0] == pytest.approx(20.0, abs=0.01)
    # half-way through the 4 s sinusoidal lane change (on the spiral by then): midway between the lanes;
    # once it is over, on lane -1's centre (t = -1.75 from the reference line), on the spiral and arc
    # (the points are box centres, 2 m ahead of the reference point: BoundingBox centre x = 2)
    net, _ = load_network(sg_cut_in.parent / "sg_road.xodr")

    def ref(when):
        yaw = np.radians(np.interp(when, tt, yt))
        return at(tt, pt, when)[:2] - 2.0 * np.array([np.cos(yaw), np.sin(yaw)])

    assert net.locate(ref(4.05))[3] == pytest.approx(-3.5, abs=0.02)
    for when in (6.1, 7.0, 8.0):
        _, lane, _, t, _ = net.locate(ref(when))
        assert (lane, t) == (-1, pytest.approx(-1.75, abs=0.02))
    # brake 0.5 s after the lane change ended: 20 -> 5 m/s at 4 m/s^2 takes 3.75 s
    v = lambda t: np.linalg.norm(at(tt, pt, t + 0.05)[:2] - at(tt, pt, t - 0.05)[:2]) / 0.1  # noqa: E731
    assert v(6.4) == pytest.approx(20.0, abs=0.1)
    assert v(7.55) == pytest.approx(20.0 - 4 * (7.55 - 6.55), abs=0.3)
    walker = next(o for o in data["objects"] if o["name"] == "Walker")
    assert walker["type"] == "humanoid" and walker["height"] == pytest.approx(1.7)
    cone = next(o for o in data["objects"] if o["name"] == "Cone")
    assert cone["type"] == "box" and cone["size"] == [0.4, 0.4, 0.7] and cone["behavior"] == {"type": "static"}
    assert cone["position"][1] == pytest.approx(9.0, abs=0.01)  # RoadPosition t = 9 on the straight
    tw, pw, _ = track(data, "Walker")  # walks at 1.5 m/s once Ego is within 2 m of (60, -1.75)
    t_go = tw[1]
    assert at(tw, pw, 0)[:2] == pytest.approx([90, -12], abs=0.01)
    assert 60 - 27 - 2 <= 15 * t_go <= 60 - 27 + 0.8  # Ego's centre reached (60, -1.75) within 2 m


def test_parameter_distribution_becomes_variants(sg_distribution, tmp_path, capsys):
    out, data, _ = imported(sg_distribution, tmp_path, capsys)
    assert [v["name"] for v in data["variants"]] == ["v0_EgoSpeed_10", "v1_EgoSpeed_15", "v2_EgoSpeed_20"]
    assert data["episodes"] == 3
    speeds = []
    for v in data["variants"]:
        b = (
            v["set"]["objects.Ego.behavior"]
            if "set" in v
            else next(o for o in data["objects"] if o["name"] == "Ego")["behavior"]
        )
        t, p = np.array(b["times"]), np.array(b["points"])
        speeds.append(np.interp(2, t, p[:, 0]) - np.interp(1, t, p[:, 0]))
    assert speeds == pytest.approx([10, 15, 20], abs=0.01)
    sc = load(out)
    assert len(sc.variants) == 3 and check_sampling(sc) == []


def test_expressions_and_trajectories(tmp_path, capsys):
    _, data, _ = imported(ESMINI / "xosc" / "alks_pedestrian.xosc", tmp_path, capsys)
    t, p, _ = track(data, "Pedestrian")
    cat = ET.parse(ESMINI / "xosc" / "Catalogs" / "Pedestrians" / "PedestrianCatalog.xosc").getroot()
    cx = float(
        next(v for v in cat.iter("Pedestrian") if v.get("name") == "pedestrian_adult")
        .find("BoundingBox/Center")
        .get("x")
    )
    # polyline (${$PedestrianS}, -4) -> (${$PedestrianS}, 5) -> (${$PedestrianS + 10}, 5), PedestrianS = 110,
    # walked at 1 m/s from t = 2 s; the box centre is cx ahead (+y) of the reference point
    assert p[0][:2] == pytest.approx([110.0, -4.0 + cx], abs=0.01)
    assert at(t, p, 2.0)[:2] == pytest.approx([110.0, -4.0 + cx], abs=0.01)
    assert at(t, p, 7.0)[:2] == pytest.approx([110.0, 1.0 + cx], abs=0.06)
    assert at(t, p, 10.0)[1] == pytest.approx(4.0 + cx, abs=0.06)


def test_unmapped_elements_are_listed_with_locations(tmp_path, capsys):
    _, _, err = imported(ESMINI / "xosc" / "lane_change_simple.xosc", tmp_path, capsys)
    lines = [ln for ln in err.splitlines() if "EndOfRoadCondition" in ln]
    assert len(lines) == 2
    assert lines[0].startswith(
        f"skipped: {ESMINI / 'xosc' / 'lane_change_simple.xosc'}:118:41: OpenSCENARIO/Storyboard/Story["
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "no such file"),
        ("<<<", "not well-formed XML"),
        ("<OpenDRIVE/>", "root element is <OpenDRIVE>, expected <OpenSCENARIO>"),
        ("<OpenSCENARIO><FileHeader/></OpenSCENARIO>", "no <Storyboard>"),
    ],
)
def test_bad_input_is_one_located_line_and_exit_2(tmp_path, capsys, text, message):
    src = tmp_path / "in.xosc"
    if text is not None:
        src.write_text(text)
    out = tmp_path / "o" / "s.yaml"
    assert main(["import", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and str(src) in err[0]
    assert not out.exists()


def test_lane_regions_place_added_objects_in_their_lane(tmp_path, capsys):
    import simgen

    out, data, _ = imported(ESMINI / "xosc" / "cut-in_simple.xosc", tmp_path, capsys)
    w = _lane_widths(ESMINI / "xodr" / "straight_500m.xodr", "1")
    data["objects"].append(
        {
            "name": "debris",
            "class": "debris",
            "type": "box",
            "size": [0.5, 0.4, 0.2],
            "count": 12,
            "mass": 0,
            "behavior": {"type": "static"},
            "placement": {"region": "road 1 lane 2"},
        }
    )
    data["classes"].append("debris")
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    spec = simgen.sample(load(out), 0)
    ys = [o.position[1] for o in spec.objects if o.source == "debris"]
    assert len(ys) == 12
    inner, outer = w[1], w[1] + w[2]  # lane 2 lies between these offsets left of the reference line
    assert all(inner <= y <= outer for y in ys)
