"""Sampling of world extras: placement without interpenetration, sun from time of day, references."""

from __future__ import annotations

import itertools
import textwrap

import numpy as np
import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario.sample_world import daylight, sky_color, sun_elevation, sun_light, world_half_extents

CAM = "cameras: [{width: 8, height: 8, position: [5, 5, 5], look_at: [0, 0, 0]}]\n"


def load(body: str) -> simgen.Scenario:
    return simgen.loads("name: t\n" + textwrap.dedent(body) + CAM)


def boxes(spec):
    base = spec.base_dir
    from pathlib import Path

    return [(np.array(o.position), world_half_extents(o, Path(base)), o) for o in spec.objects]


def test_crowded_box_region_has_no_overlapping_aabbs():
    sc = load(
        """
objects:
  - {name: crate, class: crate, type: box, count: 15, size: [0.3, 0.2, 0.2], rpy: [0, 0, {uniform: [0, 90]}],
     placement: {region: box, min: [-1, -1, 0.1], max: [1, 1, 0.1], max_tries: 500}}
  - {name: ball, class: ball, type: sphere, radius: 0.1, count: 10,
     placement: {region: disc, center: [0, 0, 0], radius: 1.2}}
"""
    )
    for episode in range(3):
        spec = simgen.sample(sc, episode)
        placed = boxes(spec)
        assert len(placed) == 25
        for (c1, h1, a), (c2, h2, b) in itertools.combinations(placed, 2):
            assert np.any(np.abs(c1 - c2) >= h1 + h2 - 1e-9), (a.name, b.name)
        for c, _, _o in placed[:15]:
            assert -1 <= c[0] <= 1 and -1 <= c[1] <= 1 and c[2] == pytest.approx(0.1 + 0.1)  # bottom at the box's z
        for c, h, _o in placed[15:]:
            assert np.hypot(c[0], c[1]) <= 1.2 and c[2] == pytest.approx(h[2])  # resting on the disc


def test_placement_is_deterministic_per_episode_and_recorded():
    sc = load(
        """
objects:
  - {name: crate, class: crate, type: box, count: 5, size: [0.3, 0.3, 0.3],
     placement: {region: box, min: [-1, -1, 0.15], max: [1, 1, 0.15]}}
"""
    )
    a, b = simgen.sample(sc, 4), simgen.sample(sc, 4)
    assert [o.position for o in a.objects] == [o.position for o in b.objects]
    assert a.sampled["objects[0][2].placement"] == list(a.objects[2].position)
    assert [o.position for o in simgen.sample(sc, 5).objects] != [o.position for o in a.objects]


def test_impossible_placement_names_object_and_region():
    sc = load(
        """
objects:
  - {name: crate, class: crate, type: box, count: 4, size: [1, 1, 1],
     placement: {region: box, min: [0, 0, 0.5], max: [0.5, 0.5, 0.5], max_tries: 20}}
"""
    )
    with pytest.raises(ScenarioError) as err:
        simgen.sample(sc, 0)
    text = str(err.value)
    assert "could not place 'crate_1' in its box region" in text
    assert "after 20 tries" in text and "objects[0][1].placement" in text


def test_surface_placement_rests_on_the_support_top():
    sc = load(
        """
objects:
  - {name: table, class: table, type: box, size: [1.2, 0.8, 0.7], position: [2, 1, 0.35], mass: 0}
  - {name: mug, class: mug, type: cylinder, radius: 0.04, length: 0.1, count: 6,
     placement: {region: surface, support: table, margin: 0.05, lift: 0}}
"""
    )
    spec = simgen.sample(sc, 0)
    for o in spec.objects[1:]:
        x, y, z = o.position
        assert z == pytest.approx(0.7 + 0.05)
        assert 2 - 0.6 + 0.09 - 1e-9 <= x <= 2 + 0.6 - 0.09 + 1e-9
        assert 1 - 0.4 + 0.09 - 1e-9 <= y <= 1 + 0.4 - 0.09 + 1e-9


def test_path_placement_lies_on_the_polyline():
    sc = load(
        """
objects:
  - {name: cone, class: cone, type: sphere, radius: 0.05, count: 8,
     placement: {region: path, points: [[0, 0, 0], [4, 0, 0], [4, 3, 0]]}}
"""
    )
    for o in simgen.sample(sc, 1).objects:
        x, y, z = o.position
        on_first = abs(y) < 1e-9 and 0 <= x <= 4
        on_second = abs(x - 4) < 1e-9 and 0 <= y <= 3
        assert on_first or on_second
        assert z == pytest.approx(0.05)


def test_unknown_actor_reference_suggests_a_name():
    # Found when the scenario is loaded (see tests/scenario/test_names.py), not first when sampling.
    with pytest.raises(ScenarioError, match=r"events\[0\].trigger.a: no object or instance named 'vann'.*did you mean"):
        load(
            """
objects:
  - {name: van, class: van, type: box, size: [1, 1, 1]}
events:
  - {name: e, trigger: {type: proximity, a: vann, b: van, distance: 2}, actions: [{type: remove, object: van}]}
"""
        )


def test_unknown_behavior_type_is_a_load_error():
    with pytest.raises(ScenarioError, match="behavior"):
        load(
            """
objects:
  - {name: van, class: van, type: box, size: [1, 1, 1], behavior: {type: teleport}}
"""
        )


def test_sun_is_brightest_at_midday_and_dark_at_night():
    assert sun_elevation(13) == pytest.approx(70)
    assert sun_elevation(6) == pytest.approx(0, abs=1e-9) and sun_elevation(20) == pytest.approx(0, abs=1e-9)
    assert sun_elevation(1) < 0
    noon, dusk, night = sun_light(13), sun_light(19.5), sun_light(23)
    assert noon["intensity"] == pytest.approx(1.0)
    assert noon["intensity"] > dusk["intensity"] > night["intensity"] == pytest.approx(0.15)
    assert noon["direction"][2] > 0.9 and dusk["direction"][2] > 0  # lit from above
    assert dusk["color"][2] < dusk["color"][0]  # warm at dusk
    assert daylight(23) == 0 and sum(sky_color(23)) < sum(sky_color(19.5)) < sum(sky_color(13)) + 1


def test_time_of_day_fills_light_and_explicit_fields_win():
    sc = load("world: {time_of_day: 19.5, light: {ambient: 0.9}}\n")
    scene = simgen.sample(sc, 0).scene
    assert scene.time_of_day == 19.5
    assert scene.light["ambient"] == 0.9
    assert scene.light["intensity"] == pytest.approx(sun_light(19.5)["intensity"])
    assert scene.sky == pytest.approx(sky_color(19.5))


def test_window_trigger_time_is_drawn_in_range_and_recorded():
    sc = load(
        """
events:
  - {name: glare, trigger: {type: window, start: 1, end: 2}, actions: [{type: exposure_spike, duration: 0.2}]}
"""
    )
    times = {simgen.sample(sc, i).scene.events[0]["trigger"]["at"] for i in range(5)}
    assert len(times) == 5 and all(1 <= t <= 2 for t in times)
    spec = simgen.sample(sc, 0)
    assert spec.sampled["events[0].trigger.at"] == spec.scene.events[0]["trigger"]["at"]
    assert spec.to_json()["scene"]["events"][0]["actions"][0] == {
        "type": "exposure_spike",
        "duration": 0.2,
        "gain": 4.0,
    }


def test_surface_placement_on_ground_stays_in_its_area():
    sc = load(
        """
objects:
  - {name: rock, class: rock, type: box, size: [0.2, 0.2, 0.1], count: 6,
     placement: {region: surface, support: ground, area: [2, -1, 4, 1], lift: 0}}
"""
    )
    for o in simgen.sample(sc, 0).objects:
        x, y, z = o.position
        assert 2.1 <= x <= 3.9 and -0.9 <= y <= 0.9 and z == pytest.approx(0.05)


def test_sampling_shipped_world_scenarios_imports_no_pybullet_or_opencv():
    import subprocess
    import sys

    code = (
        "import sys, simgen\n"
        "from simgen.resources import scenario_path\n"
        "for n in ['drone_yard_haze', 'tabletop_6d_pose', 'sensor_faults', 'urban_dusk_child_runout']:\n"
        "    simgen.sample(simgen.load(scenario_path(n)), 0, require=False)\n"  # require: reads the simulator
        "print(sorted(m for m in ('pybullet', 'cv2') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
