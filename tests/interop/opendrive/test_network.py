"""OpenDRIVE networks written elsewhere (esmini, scenariogeneration): geometry, lanes, links."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xodr

from simgen.interop.opendrive.mesh import road_meshes
from simgen.interop.opendrive.network import load_network

ESMINI = Path(__file__).resolve().parents[2] / "data" / "openscenario" / "esmini" / "xodr"


def _geometry_records(path: Path) -> dict[str, list[dict[str, float]]]:
    """Each road's <geometry> start records, read with the standard library (independently)."""
    out = {}
    for road in ET.parse(path).getroot().iter("road"):
        out[road.get("id")] = [
            {k: float(g.get(k)) for k in ("s", "x", "y", "hdg", "length")} for g in road.iter("geometry")
        ]
    return out


def _check_continuity(path: Path, tol: float) -> int:
    """Where one geometry ends, the file says the next begins: compare our end with its start."""
    net, _ = load_network(path)
    checked = 0
    for rid, recs in _geometry_records(path).items():
        road = net.roads[rid]
        for a, b in zip(recs, recs[1:], strict=False):
            x, y, h = road.geometry[[g.s for g in road.geometry].index(a["s"])].pose(np.array([a["length"]]))
            assert math.hypot(x[0] - b["x"], y[0] - b["y"]) < tol, (path.name, rid, a, b, x, y)
            assert abs((h[0] - b["hdg"] + math.pi) % (2 * math.pi) - math.pi) < 1e-3
            checked += 1
    return checked


@pytest.mark.parametrize(
    ("name", "tol"), [("curves_elevation.xodr", 1e-3), ("curve_r100.xodr", 1e-6), ("fabriksgatan.xodr", 1e-2)]
)
def test_esmini_plan_views_are_continuous(name, tol):
    assert _check_continuity(ESMINI / name, tol) >= 2


def test_scenariogeneration_spirals_and_arcs_are_continuous(tmp_path):
    geoms = [
        xodr.Line(50),
        xodr.Spiral(0.0001, 0.04, 40),
        xodr.Arc(0.04, 30),
        xodr.Spiral(0.04, -0.02, 50),
        xodr.Line(20),
    ]
    road = xodr.create_road(geoms, id=0, left_lanes=1, right_lanes=2, lane_width=3.25)
    odr = xodr.OpenDrive("t")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    path = tmp_path / "t.xodr"
    odr.write_xml(str(path))
    assert _check_continuity(path, 1e-4) == 4
    net, _ = load_network(path)
    r = net.roads["0"]
    assert r.lane_t(-1, 10.0) == pytest.approx((-1.625, 3.25))
    assert r.lane_t(-2, 100.0) == pytest.approx((-4.875, 3.25))
    assert r.lane_t(1, 100.0) == pytest.approx((1.625, 3.25))
    assert r.lane_at(100.0, -4.0) == -2 and r.lane_at(100.0, 0.5) == 1 and r.lane_at(100.0, 9.0) is None


def test_lane_centres_and_elevation_follow_the_file():
    net, _ = load_network(ESMINI / "curve_r100.xodr")
    road = net.roads["0"]
    t, w = road.lane_t(-1, 550.0)
    # on the arc (centre (500, 100), radius 100): a right lane centre is 100 + |t| from the centre
    x, y, z, _ = road.world(np.array([550.0]), np.array([t]))
    assert math.hypot(x[0] - 500.0, y[0] - 100.0) == pytest.approx(100.0 - t, abs=1e-6)
    widths = [
        float(e.get("a"))
        for e in ET.parse(ESMINI / "curve_r100.xodr").getroot().iter("lane")
        if e.get("id") == "-1"
        for e in e.iter("width")
    ]
    assert w == pytest.approx(widths[0]) and t == pytest.approx(-widths[0] / 2)
    net, _ = load_network(ESMINI / "curves_elevation.xodr")
    road = next(iter(net.roads.values()))
    elev = next(ET.parse(ESMINI / "curves_elevation.xodr").getroot().iter("elevation"))
    a, b, c, d = (float(elev.get(k)) for k in "abcd")
    _, _, z, _ = road.world(np.array([3.0]), np.array([0.0]))
    assert z[0] == pytest.approx(a + b * 3 + c * 9 + d * 27)


def test_lane_path_crosses_a_junction_towards_its_goal():
    net, _ = load_network(ESMINI / "fabriksgatan.xodr")
    path = net.lane_path("2", -1, 100.0, 300.0, toward=["1"])
    assert path.road[0] == "2" and "1" in path.road
    assert any(net.roads[r].junction != "-1" for r in set(path.road))
    steps = np.linalg.norm(np.diff(path.xyz[:, :2], axis=0), axis=1)
    assert steps.max() < 1.0  # no jumps where roads meet


def test_meshes_cover_lanes_and_markings():
    net, _ = load_network(ESMINI / "straight_500m.xodr")
    meshes = road_meshes(net)
    v = np.array(
        [[float(c) for c in line.split()[1:]] for line in meshes["asphalt"].splitlines() if line.startswith("v ")]
    )
    assert v[:, 0].min() == pytest.approx(0.0) and v[:, 0].max() == pytest.approx(500.0)
    marks = np.array(
        [[float(c) for c in line.split()[1:]] for line in meshes["markings"].splitlines() if line.startswith("v ")]
    )
    assert (marks[:, 2] > v[:, 2].max()).all()  # markings above the asphalt
