"""Ground contact as a rule: people and vehicles stand on their support whatever their behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.sim.ground import _lowest_visual

TWO_PEOPLE = """
world: {settle_time: 0.1, frame_rate: 10}
objects:
  - {name: still, class: person, type: humanoid, height: 1.8, position: [0, -2, 0], behavior: {type: static}}
  - {name: walker, class: person, type: humanoid, height: 1.8,
     behavior: {type: waypoints, points: [[0, 2, 0], [5, 2, 0]], speed: 1.4}}
  - {name: gaited, class: person, type: humanoid, height: 1.8, gait: true,
     behavior: {type: waypoints, points: [[0, 4, 0], [5, 4, 0]], speed: 3}}
"""


def _feet(world, name: str) -> float:
    """Distance (m) from a body's collision geometry to the ground plane (< 0: under it)."""
    p, cid = world.client.p, world.client.id
    uid = world.uid_by_name(name)
    return min(c[8] for c in p.getClosestPoints(uid, world.ground_uid, 5.0, physicsClientId=cid))


def test_walking_and_standing_people_both_have_their_feet_on_the_ground(build):
    w = build(TWO_PEOPLE)
    for _ in range(4):
        for name in ("still", "walker", "gaited"):
            assert _feet(w, name) > -0.002, name
        assert _feet(w, "still") == pytest.approx(0.0, abs=0.002)
        w.step(40)
    # the frames of the standing and the walking person are at the same height
    still = w.base_pose(w.iid_by_name("still"))[0][2]
    walker = w.base_pose(w.iid_by_name("walker"))[0][2]
    assert walker == pytest.approx(still, abs=1e-4) and still == pytest.approx(0.9, abs=1e-4)


def test_feet_height_is_the_z_of_every_behaviour(build):
    w = build(TWO_PEOPLE.replace("0, -2, 0]", "0, -2, 0.25]").replace("2, 0], [5, 2, 0]", "2, 0.25], [5, 2, 0.25]"))
    w.step(20)
    assert _feet(w, "still") == pytest.approx(0.25, abs=0.002)
    assert 0.248 < _feet(w, "walker") < 0.28  # a swinging leg lifts its foot a little


def test_a_sedan_on_waypoints_rolls_on_its_wheels(build):
    w = build(
        """
world: {settle_time: 0.1}
objects:
  - {name: car, class: car, type: sedan, behavior: {type: waypoints, points: [[0, 0, 0], [40, 0, 0]], speed: 9}}
"""
    )
    obj = next(o for o in w.spec.objects if o.source == "car")
    uid = w.uid_by_name("car")
    lows = []
    for _ in range(12):
        w.step(7)
        lows.append(min(float(v[2]) for v in _lowest_visual(w, obj, uid)))
    assert min(lows) > -0.001  # a rolling wheel never dips into the road
    assert max(lows) < 0.01  # and always touches it


def test_a_walker_steps_up_onto_a_kerb_and_down_again(build):
    w = build(
        """
world: {settle_time: 0, time_step: 0.01, gravity: [0, 0, 0]}
objects:
  - {name: kerb, class: thing, type: box, size: [2, 4, 0.15], position: [3, 0, 0.075], behavior: {type: static}}
  - {name: kid, class: person, type: humanoid, height: 1.2, gait: false,
     behavior: {type: waypoints, points: [[0, 0, 0], [6, 0, 0]], speed: 1}}
"""
    )
    iid = w.iid_by_name("kid")
    heights = {}
    for t in (1.0, 3.0, 5.5):
        w.step(round(t / 0.01) - w.steps)
        heights[t] = w.base_pose(iid)[0][2] - 0.6
    assert heights[1.0] == pytest.approx(0.0, abs=1e-3)
    assert heights[3.0] == pytest.approx(0.15, abs=1e-3)
    assert heights[5.5] == pytest.approx(0.0, abs=1e-3)


def test_a_physics_van_rests_on_its_wheels_not_its_floor(build):
    w = build(
        """
world: {settle_time: 0.5}
objects:
  - {name: van, class: van, type: van, mass: 2000, position: [0, 0, 0]}
"""
    )
    obj = w.spec.objects[0]
    uid = w.uid_by_name("van")
    w.step(w.spec.world.settle_steps)
    low = min(float(v[2]) for v in _lowest_visual(w, obj, uid))
    assert low == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize("region", ["box", "disc", "path"])
def test_a_placement_z_is_the_bottom_in_every_region_unless_anchored_at_the_centre(build, region):
    place = {
        "box": "{region: box, min: [0, 0, 0.3], max: [0, 0, 0.3]",
        "disc": "{region: disc, center: [0, 0, 0.3], radius: 0.01",
        "path": "{region: path, points: [[0, 0, 0.3], [0.01, 0, 0.3]]",
    }[region]
    for anchor, centre in (("", 0.4), (", anchor: bottom", 0.4), (", anchor: centre", 0.3)):
        w = build(
            f"""
world: {{settle_time: 0}}
objects:
  - {{name: b, class: thing, type: box, size: [0.2, 0.2, 0.2], behavior: {{type: static}},
     placement: {place}{anchor}}}}}
"""
        )
        assert w.base_pose(w.iid_by_name("b"))[0][2] == pytest.approx(centre, abs=1e-6), anchor


def test_a_placed_person_stands_on_the_table_under_it(build):
    w = build(
        """
world: {settle_time: 0}
objects:
  - {name: table, class: thing, type: box, size: [2, 2, 0.75], position: [0, 0, 0.375], behavior: {type: static}}
  - {name: p, class: person, type: humanoid, height: 1.5, behavior: {type: static},
     placement: {region: surface, support: table, lift: 0}}
"""
    )
    pos = np.asarray(w.base_pose(w.iid_by_name("p"))[0])
    assert pos[2] == pytest.approx(0.75 + 0.75, abs=1e-6)
