"""Actor behaviours against analytic kinematics and Newton's laws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simgen.scenario.world_models import BEHAVIOR_TYPES
from simgen.sim.actors import CONTROLLERS

DT = 0.01
WORLD = f"""
world: {{gravity: [0, 0, 0], time_step: {DT}, settle_time: 0}}
"""


def test_every_yaml_behavior_has_a_controller():
    assert set(CONTROLLERS) == set(BEHAVIOR_TYPES)


def test_every_yaml_trigger_and_action_is_registered():
    from typing import get_args

    from simgen.scenario import world_models as wm
    from simgen.sim.events import ACTIONS, TRIGGERS, _fault, action_run

    assert set(TRIGGERS) == set(wm.TRIGGER_TYPES)
    assert set(ACTIONS) == set(wm.BASE_ACTION_TYPES)
    assert all(action_run(name) is _fault for name in wm.fault_types())  # declared by the sensor types
    actions = wm.Event.model_fields["actions"].annotation
    union_names = {get_args(m.model_fields["type"].annotation)[0] for m in get_args(get_args(get_args(actions)[0])[0])}
    assert union_names == set(wm.action_types())
    assert set(wm.fault_types()) >= {"camera_freeze", "lidar_dropout", "imu_bias_jump"}
    union_names = {get_args(m.model_fields["type"].annotation)[0] for m in get_args(get_args(wm.Behavior)[0])}
    assert union_names == set(wm.BEHAVIOR_TYPES)


def test_waypoint_actor_is_where_constant_speed_puts_it(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: car, class: car, type: box, size: [1, 1, 1],
     behavior: {type: waypoints, points: [[0, 0, 0.5], [10, 0, 0.5]], speed: 2, start: 0.5}}
""",
    )
    iid = w.iid_by_name("car")
    for t in (0.3, 1.5, 3.5):
        w.step(round(t / DT) - w.steps)
        x = w.base_pose(iid)[0][0]
        assert x == pytest.approx(max(0.0, 2.0 * (t - 0.5)), abs=1e-6)


def test_speed_profile_and_turn_follow_segments(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: kid, class: person, type: sphere, radius: 0.1,
     behavior: {type: waypoints, points: [[0, 0, 1], [2, 0, 1], [2, 4, 1]], speeds: [1, 2]}}
""",
    )
    w.step(300)  # 2 s on the first segment at 1 m/s, then 1 s at 2 m/s
    pos, orn = w.base_pose(w.iid_by_name("kid"))
    assert pos == pytest.approx((2.0, 2.0, 1.0), abs=1e-6)
    yaw = math.degrees(2 * math.atan2(orn[2], orn[3]))
    assert yaw == pytest.approx(90.0, abs=1e-4)  # faces its direction of travel (+y)


def test_trajectory_actor_interpolates_timed_points_and_holds_the_ends(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: car, class: car, type: box, size: [1, 1, 1],
     behavior: {type: trajectory, points: [[0, 0, 0.5], [0, 0, 0.5], [4, 0, 0.5], [4, 3, 0.5]],
                times: [0, 1, 2, 3.5], yaw: [0, 0, 0, 90]}}
""",
    )
    iid = w.iid_by_name("car")
    for t, want, yaw in ((0.5, (0, 0), 0.0), (1.5, (2, 0), 0.0), (2.75, (4, 1.5), 45.0), (5.0, (4, 3), 90.0)):
        w.step(round(t / DT) - w.steps)
        pos, orn = w.base_pose(iid)
        assert pos[:2] == pytest.approx(want, abs=1e-6)
        assert math.degrees(2 * math.atan2(orn[2], orn[3])) == pytest.approx(yaw, abs=1e-4)


def test_proximity_trigger_fires_at_the_step_predicted_from_speed(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: car, class: car, type: box, size: [0.5, 0.5, 0.5],
     behavior: {type: waypoints, points: [[0, 0, 0.25], [20, 0, 0.25]], speed: 2}}
  - {name: kid, class: kid, type: box, size: [0.5, 0.5, 0.5], position: [10, 0, 0.25], behavior: {type: static}}
events:
  - name: brake
    trigger: {type: proximity, a: car, b: kid, distance: 3}
    actions: [{type: set_speed, actor: car, speed: 0}]
""",
    )
    w.step(500)
    (fired,) = w.spec.event_log
    # 10 - 2 t <= 3  ->  t = 3.5 s
    assert fired["event"] == "brake"
    assert fired["step"] == 350
    assert fired["time"] == pytest.approx(3.5)
    assert w.base_pose(w.iid_by_name("car"))[0][0] == pytest.approx(7.0, abs=1e-6)  # stopped there


def test_impulse_changes_velocity_by_j_over_m(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: ball, class: ball, type: sphere, radius: 0.1, mass: 2, position: [0, 0, 1]}
events:
  - {name: kick, trigger: {type: at, at: 0.1}, actions: [{type: impulse, object: ball, impulse: [3, -1, 0.5]}]}
""",
    )
    w.step(50)
    v, _ = client.p.getBaseVelocity(w.uid_by_name("ball"), physicsClientId=client.id)
    assert v == pytest.approx((1.5, -0.5, 0.25), abs=1e-9)


def test_force_for_a_duration_gives_f_t_over_m(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: cart, class: cart, type: box, size: [0.2, 0.2, 0.2], mass: 0.5, position: [0, 0, 1],
     behavior: {type: force, force: [1, 0, 0], start: 0.2, duration: 0.5}}
""",
    )
    w.step(100)
    v, _ = client.p.getBaseVelocity(w.uid_by_name("cart"), physicsClientId=client.id)
    assert v[0] == pytest.approx(1.0 * 0.5 / 0.5, abs=1e-9)


def test_initial_velocity_moves_body_linearly_without_gravity(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: puck, class: puck, type: sphere, radius: 0.1, position: [0, 0, 1],
     behavior: {type: physics, velocity: [1, 2, 0]}}
""",
    )
    w.step(100)
    pos, _ = w.base_pose(w.iid_by_name("puck"))
    assert pos == pytest.approx((1.0, 2.0, 1.0), abs=1e-6)


def test_drop_from_height_lands_at_free_fall_time(client, build):
    dt = 1 / 240
    w = build(
        f"""
world: {{time_step: {dt}, settle_time: 0}}
objects:
  - {{name: ball, class: ball, type: sphere, radius: 0.1, position: [0, 0, 0.1],
     behavior: {{type: drop, height: 2.0, at: 0.5}}}}
events:
  - {{name: landed, trigger: {{type: contact, a: ball, b: ground}}, actions: [{{type: remove, object: ball}}]}}
""",
    )
    assert w.base_pose(w.iid_by_name("ball"))[0][2] == pytest.approx(2.1)
    w.step(120)
    assert w.base_pose(w.iid_by_name("ball"))[0][2] == pytest.approx(2.1)  # still held before release
    w.step(300)
    (landed,) = w.spec.event_log
    expected = 0.5 + math.sqrt(2 * 2.0 / 9.81)
    assert landed["time"] == pytest.approx(expected, abs=3 * dt)
    assert w.iid_by_name("ball") is None  # removed by the event


def test_follow_keeps_offset_in_target_frame(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: lead, class: car, type: box, size: [1, 1, 1],
     behavior: {type: waypoints, points: [[0, 0, 0.5], [0, 10, 0.5]], speed: 1}}
  - {name: chase, class: car, type: box, size: [1, 1, 1], behavior: {type: follow, target: lead, offset: [-3, 0, 0]}}
""",
    )
    w.step(200)
    lead = np.array(w.base_pose(w.iid_by_name("lead"))[0])
    chase = np.array(w.base_pose(w.iid_by_name("chase"))[0])
    # lead drives along +y (yaw 90 deg): 3 m behind it is -y
    assert lead == pytest.approx((0, 2, 0.5), abs=1e-6)
    assert chase == pytest.approx((0, -1, 0.5), abs=1e-6)


def test_spawn_and_remove_events_change_the_live_bodies(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: a, class: box, type: box, size: [0.2, 0.2, 0.2], position: [0, 0, 1]}
  - {name: late, class: box, type: box, count: 2, size: [0.2, 0.2, 0.2], position: [1, 0, 1], spawn: false,
     placement: {region: box, min: [0, 2, 1], max: [3, 3, 1]}}
events:
  - {name: appear, trigger: {type: at, at: 0.2}, actions: [{type: spawn, object: late}]}
  - {name: vanish, trigger: {type: window, start: 0.3, end: 0.4}, actions: [{type: remove, object: a}]}
""",
    )
    assert sorted(w.poses()) == [1]
    w.step(25)
    assert sorted(w.poses()) == [1, 2, 3]
    w.step(25)
    assert sorted(w.poses()) == [2, 3]
    log = w.spec.event_log
    assert [e["event"] for e in log] == ["appear", "vanish"]
    drawn = w.spec.scene.events[1]["trigger"]["at"]
    assert 0.3 <= drawn <= 0.4
    assert log[1]["time"] == pytest.approx(math.ceil(drawn / DT - 1e-9) * DT)


def test_mounted_camera_rides_on_its_actor(client, build):
    w = build(
        WORLD
        + """
objects:
  - {name: ego, class: car, type: box, size: [2, 1, 1],
     behavior: {type: waypoints, points: [[0, 0, 0.5], [0, 10, 0.5]], speed: 5}}
cameras:
  - {name: dash, width: 32, height: 24, position: [0, 0, 0], rpy: [0, 0, 0],
     mount: {actor: ego, offset: [0.5, 0, 0.8], rpy: [0, 10, 0]}}
"""
    )
    w.step(100)  # 5 m along +y, facing +y
    cam = w.camera(w.spec.cameras[0])
    pose = cam.world_from_camera
    assert pose[:3, 3] == pytest.approx((0.0, 5.5, 1.3), abs=1e-6)
    # optical axis (camera z) points forward (+y) and 10 degrees down
    assert pose[:3, 2] == pytest.approx((0.0, math.cos(math.radians(10)), -math.sin(math.radians(10))), abs=1e-6)


def test_fault_windows_are_queryable_by_sensor_and_time(client, build):
    w = build(
        WORLD
        + """
sensors:
  - {name: roof, type: lidar, channels: 2, horizontal_resolution: 10}
  - {name: imu0, type: imu}
events:
  - name: lidar_out
    trigger: {type: at, at: 0.2}
    actions: [{type: lidar_dropout, sensor: roof, duration: 0.3, fraction: 0.5},
              {type: imu_bias_jump, duration: 1, accel: [0.1, 0, 0]}]
""",
    )
    w.step(10)
    assert w.active_faults("roof") == []
    w.step(15)
    (drop,) = w.active_faults("roof", kind="lidar_dropout")
    assert (drop.start, drop.end, drop.params["fraction"]) == (pytest.approx(0.2), pytest.approx(0.5), 0.5)
    assert [f.kind for f in w.active_faults("imu0")] == ["imu_bias_jump"]  # no sensor given: every sensor
    assert w.active_faults("roof", kind="lidar_dropout", t=0.55) == []


def test_looping_waypoints_return_to_start_after_one_lap(build):
    w = build(
        WORLD
        + """
objects:
  - {name: bot, class: bot, type: sphere, radius: 0.1,
     behavior: {type: waypoints, points: [[0, 0, 0.1], [2, 0, 0.1], [2, 1, 0.1]], speed: 1, loop: true}}
"""
    )
    perimeter = 2 + 1 + math.sqrt(5)
    w.step(round(2.5 / DT))
    assert w.base_pose(w.iid_by_name("bot"))[0] == pytest.approx((2.0, 0.5, 0.1), abs=1e-6)
    w.step(round((perimeter + 0.5) / DT) - w.steps)
    assert w.base_pose(w.iid_by_name("bot"))[0] == pytest.approx((w.time - perimeter, 0.0, 0.1), abs=1e-6)


def test_set_light_event_changes_the_light_and_contact_with_anything_fires(build):
    w = build(
        """
world: {settle_time: 0, time_step: 0.01}
objects:
  - {name: ball, class: ball, type: sphere, radius: 0.1, position: [0, 0, 1.0]}
  - {name: pad, class: pad, type: box, size: [1, 1, 0.2], position: [0, 0, 0.1], behavior: {type: static}}
events:
  - {name: dim, trigger: {type: contact, a: ball}, actions: [{type: set_light, intensity: 0.2, color: [1, 0.5, 0.5]}]}
"""
    )
    assert w.light["intensity"] == 1.0
    w.step(100)
    (hit,) = w.spec.event_log
    # falls 1.0 - 0.1 - 0.2 = 0.7 m onto the pad: t = sqrt(2 * 0.7 / 9.81)
    assert hit["time"] == pytest.approx(math.sqrt(1.4 / 9.81), abs=0.02)
    assert w.light["intensity"] == 0.2 and w.light["color"] == (1, 0.5, 0.5)
