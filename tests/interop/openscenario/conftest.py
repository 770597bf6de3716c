"""Scenarios written by the scenariogeneration package (a third-party OpenSCENARIO writer)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenariogeneration import xodr, xosc

ESMINI = Path(__file__).resolve().parents[2] / "data" / "openscenario" / "esmini"


def write_cut_in(folder: Path) -> Path:
    """A curved 2+2 lane road; Target changes from lane -2 into Ego's lane -1, then brakes; a walker."""
    road = xodr.create_road(
        [xodr.Line(100), xodr.Spiral(0.0001, 0.02, 30), xodr.Arc(0.02, 40), xodr.Line(200)],
        id=0,
        left_lanes=2,
        right_lanes=2,
        lane_width=3.5,
    )
    odr = xodr.OpenDrive("sgroad")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(folder / "sg_road.xodr"))
    params = xosc.ParameterDeclarations()
    params.add_parameter(xosc.Parameter("EgoSpeed", xosc.ParameterType.double, "15"))
    bb = xosc.BoundingBox(2, 5, 1.8, 2.0, 0, 0.9)
    axle_f, axle_r = xosc.Axle(0.5, 0.8, 1.68, 2.98, 0.4), xosc.Axle(0, 0.8, 1.68, 0, 0.4)
    car = xosc.Vehicle("car", xosc.VehicleCategory.car, bb, axle_f, axle_r, 69, 10, 10)
    ped = xosc.Pedestrian("walker", 80, xosc.PedestrianCategory.pedestrian, xosc.BoundingBox(0.5, 0.6, 1.7, 0, 0, 0.85))
    box = xosc.MiscObject("cone", 5, xosc.MiscObjectCategory.obstacle, xosc.BoundingBox(0.4, 0.4, 0.7, 0, 0, 0.35))
    ents = xosc.Entities()
    for name, obj in (("Ego", car), ("Target", car), ("Walker", ped), ("Cone", box)):
        ents.add_scenario_object(name, obj)
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(25, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction("$EgoSpeed", step))
    init.add_init_action("Target", xosc.TeleportAction(xosc.LanePosition(45, 0, -2, 0)))
    init.add_init_action("Target", xosc.AbsoluteSpeedAction(20, step))
    init.add_init_action("Walker", xosc.TeleportAction(xosc.WorldPosition(90, -12, 0, 1.57)))
    init.add_init_action("Cone", xosc.TeleportAction(xosc.RoadPosition(60, 9.0, 0)))
    lc = xosc.Event("cutin", xosc.Priority.override)
    lc.add_action(
        "lc",
        xosc.AbsoluteLaneChangeAction(
            -1, xosc.TransitionDynamics(xosc.DynamicsShapes.sinusoidal, xosc.DynamicsDimension.time, 4)
        ),
    )
    lc.add_trigger(
        xosc.ValueTrigger("t2", 0, xosc.ConditionEdge.rising, xosc.SimulationTimeCondition(2, xosc.Rule.greaterThan))
    )
    brake = xosc.Event("brake", xosc.Priority.override)
    brake.add_action(
        "br",
        xosc.AbsoluteSpeedAction(
            5, xosc.TransitionDynamics(xosc.DynamicsShapes.linear, xosc.DynamicsDimension.rate, 4)
        ),
    )
    brake.add_trigger(
        xosc.ValueTrigger(
            "after",
            0.5,
            xosc.ConditionEdge.rising,
            xosc.StoryboardElementStateCondition(
                xosc.StoryboardElementType.event, "cutin", xosc.StoryboardElementState.endTransition
            ),
        )
    )
    man = xosc.Maneuver("m")
    man.add_event(lc)
    man.add_event(brake)
    walk = xosc.Event("walk", xosc.Priority.override)
    walk.add_action("w", xosc.AbsoluteSpeedAction(1.5, step))
    walk.add_trigger(
        xosc.EntityTrigger(
            "near",
            0,
            xosc.ConditionEdge.rising,
            xosc.DistanceCondition(2.0, xosc.Rule.lessThan, xosc.WorldPosition(60, -1.75)),
            "Ego",
        )
    )
    man2 = xosc.Maneuver("m2")
    man2.add_event(walk)
    stop = xosc.ValueTrigger(
        "stop", 0, xosc.ConditionEdge.rising, xosc.SimulationTimeCondition(8, xosc.Rule.greaterThan), "stop"
    )
    sb = xosc.StoryBoard(init, stop)
    sb.add_maneuver(man, "Target")
    sb.add_maneuver(man2, "Walker")
    sce = xosc.Scenario("sg_cutin", "simgen tests", params, ents, sb, xosc.RoadNetwork("sg_road.xodr"), xosc.Catalog())
    path = folder / "sg_cutin.xosc"
    sce.write_xml(str(path))
    return path


@pytest.fixture
def sg_cut_in(tmp_path: Path) -> Path:
    """The scenariogeneration cut-in scenario, written to a temporary folder."""
    return write_cut_in(tmp_path)


@pytest.fixture
def sg_distribution(tmp_path: Path) -> Path:
    """A ParameterValueDistribution over the cut-in's EgoSpeed (a set of 3 values)."""
    write_cut_in(tmp_path)
    values = xosc.DistributionSet()
    for v in ("10", "15", "20"):
        values.add_value(v)
    det = xosc.Deterministic()
    det.add_single_distribution("EgoSpeed", values)
    pvd = xosc.ParameterValueDistribution("speeds", "simgen tests", "sg_cutin.xosc", det)
    path = tmp_path / "sg_speeds.xosc"
    pvd.write_xml(str(path))
    return path
