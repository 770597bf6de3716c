"""Radar against analytic answers: Doppler of moving bodies and of a moving sensor, RCS of a plate, labels."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simgen.sensors.radar.runtime import Radar, cluster
from simgen.sensors.registry import get_sensor
from simgen.sensors.stream import SensorStream

from .conftest import make_world, set_velocity

BACKENDS = ["embree", "bullet"]

SCENE = """
version: 1
name: radar
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [plate, car]
objects:
  - {name: plate, type: box, class: plate, size: [0.1, 2, 2], position: [10.05, -4, 0], mass: 0}
  - {name: car, type: box, class: car, size: [1, 1, 1], position: [15, 4, 0], mass: 1, angular_damping: 0}
cameras: [{position: [0, 0, 0], look_at: [1, 0, 0], width: 8, height: 8}]
sensors:
  - {name: radar, type: radar, horizontal_fov: 60, vertical_fov: 14, ray_resolution: 0.12}
"""


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every test that takes it runs once per ray casting backend."""
    if request.param == "embree":
        pytest.importorskip("embreex")
    return request.param


def radar(spec, world, backend, seed=0, **changes):
    """The radar of ``spec`` on ``backend`` with field ``changes``."""
    return Radar(dataclasses.replace(spec, backend=backend, **changes), world, np.random.default_rng(seed))


def _direction(scan):
    return np.stack(
        [
            np.cos(scan.elevation) * np.cos(scan.azimuth),
            np.cos(scan.elevation) * np.sin(scan.azimuth),
            np.sin(scan.elevation),
        ],
        axis=1,
    ).astype(float)


@pytest.mark.parametrize("heading", [0, 60, 90, 150, 180, 270])
def test_doppler_of_a_body_moving_at_a_known_velocity(client, backend, heading):
    world, spec = make_world(client, SCENE)
    v = 5.0 * np.array([np.cos(np.radians(heading)), np.sin(np.radians(heading)), 0.0])
    set_velocity(world, "car_0", linear=v)
    scan = radar(spec.sensors[0], world, backend).capture(0)
    on_car = scan.instance == 2
    assert on_car.sum() >= 1 and np.all(scan.semantic[on_car] == 2)
    # Radial velocity = v . (unit line of sight); each detection averages rays a few tenths of a
    # degree apart, so the check uses the detection's own direction.
    expected = _direction(scan)[on_car] @ v
    assert np.max(np.abs(scan.velocity[on_car] - expected)) < 0.01
    centre = np.array([15.0, 4.0, 0.0]) / np.linalg.norm([15.0, 4.0, 0.0])
    assert np.median(scan.velocity[on_car]) == pytest.approx(float(centre @ v), abs=0.1)
    assert np.all(np.abs(scan.velocity[scan.instance == 1]) < 1e-6)  # the static plate


def test_doppler_of_a_spinning_body(client, backend):
    world, spec = make_world(client, SCENE)
    set_velocity(world, "car_0", angular=(0, 0, 2.0))  # spinning in place: the near face sweeps sideways
    scan = radar(spec.sensors[0], world, backend).capture(0)
    on_car = scan.instance == 2
    pts = _direction(scan)[on_car] * scan.range[on_car, None]
    v = np.cross([0, 0, 2.0], pts - [15.0, 4.0, 0.0])
    expected = np.sum(v * _direction(scan)[on_car], axis=1)
    assert np.max(np.abs(scan.velocity[on_car] - expected)) < 0.05
    assert np.ptp(scan.velocity[on_car]) > 0.1  # one face approaches, the other recedes


MOVING = """
version: 1
name: radar_cart
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [wall, cart]
objects:
  - {name: wall, type: box, class: wall, size: [0.2, 60, 20], position: [20.1, 0, 0], mass: 0}
  - {name: cart, type: box, class: cart, size: [0.5, 0.5, 0.5], position: [0, 0, 0], mass: 1, angular_damping: 0}
cameras: [{position: [0, 0, 0], look_at: [1, 0, 0], width: 8, height: 8}]
sensors:
  - {name: radar, type: radar, horizontal_fov: 90, vertical_fov: 6, ray_resolution: 0.5, mount: {body: cart_0},
     position: [0.5, 0, 0], max_detections: 10000}
"""


@pytest.mark.parametrize("yaw_rate", [0.0, 0.5])
def test_doppler_includes_the_sensors_own_motion(client, backend, yaw_rate):
    world, spec = make_world(client, MOVING)
    v = np.array([8.0, 0.0, 0.0])
    set_velocity(world, "cart_0", linear=v, angular=(0, 0, yaw_rate))
    scan = radar(spec.sensors[0], world, backend).capture(0)
    wall = scan.instance == 1
    assert wall.sum() > 20
    # The sensor sits 0.5 m ahead of the cart's centre: it moves at v + w x (0.5, 0, 0).
    v_sensor = v + np.cross([0, 0, yaw_rate], [0.5, 0, 0])
    expected = -(_direction(scan)[wall] @ v_sensor)  # approaching a static wall: the range shrinks
    assert np.max(np.abs(scan.velocity[wall] - expected)) < 0.01
    assert np.all(scan.velocity[wall] < 0)


def test_rcs_of_a_facing_plate_is_its_area_and_positions_match(client, backend):
    world, spec = make_world(client, SCENE)
    scan = radar(spec.sensors[0], world, backend).capture(0)
    plate = scan.instance == 1
    # Every ray on the 2 m x 2 m plate adds r^2 dOmega cos(incidence) = dA cos^2(incidence): its
    # area times cos^2 of the angle it is seen at (atan(4 / 10), varying little across the plate).
    assert scan.rcs[plate].sum() == pytest.approx(4.0 * np.cos(np.arctan2(4, 10)) ** 2, rel=0.02)
    x = scan.xyz[plate, 0].astype(float)
    assert np.max(np.abs(x - 10.0)) < 0.05  # no noise: detections lie on the plate's face
    assert np.all(scan.returns[plate] >= 1)
    assert scan.rcs.dtype == np.float32 and scan.instance.dtype == np.int32


def test_noise_dropout_limits_and_determinism(client, backend):
    world, spec = make_world(client, SCENE)
    set_velocity(world, "car_0", linear=(-3, 1, 0))
    noisy = {"range_noise": 0.1, "azimuth_noise": 0.5, "velocity_noise": 0.2, "dropout": 0.2}
    a = radar(spec.sensors[0], world, backend, seed=5, **noisy).capture(0)
    b = radar(spec.sensors[0], world, backend, seed=5, **noisy).capture(0)
    c = radar(spec.sensors[0], world, backend, seed=6, **noisy).capture(0)
    clean = radar(spec.sensors[0], world, backend).capture(0)
    for k in ("xyz", "range", "azimuth", "elevation", "velocity", "rcs", "returns", "instance", "semantic"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k
    assert not np.array_equal(a.range, c.range)
    assert 0.6 * len(clean.range) < len(a.range) < len(clean.range)
    few = radar(spec.sensors[0], world, backend, max_detections=3).capture(0)
    assert len(few.range) == 3
    assert np.allclose(np.sort(few.rcs), np.sort(clean.rcs)[-3:])  # the strongest three
    none = radar(spec.sensors[0], world, backend, min_rcs=100.0).capture(0)
    assert len(none.range) == 0 and none.xyz.shape == (0, 3)


def test_cluster_merges_cells_and_picks_the_dominant_owner():
    keys = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [2, 0, 0, 0]])
    weights = np.array([1.0, 2.0, 2.0, 0.5])
    values = np.array([[1.0], [2.0], [4.0], [7.0]])
    owner = np.array([5, 9, 5, 9])
    total, means, count, dominant = cluster(keys, weights, values, owner)
    assert total.tolist() == [5.0, 0.5]
    assert means[:, 0].tolist() == pytest.approx([(1 + 4 + 8) / 5, 7.0])
    assert count.tolist() == [3, 1]
    assert dominant.tolist() == [5, 9]  # owner 5 carries 3.0 of the first cell's 5.0


def test_radar_is_registered_and_streams_to_npz(client):
    world, spec = make_world(client, SCENE)
    assert get_sensor("radar") is Radar
    r = Radar(spec.sensors[0], world, np.random.default_rng(0))
    stream = SensorStream(episode=0, sensors={"radar": spec.sensors[0].to_json()})
    stream.add(r.capture(0))
    stream.add(r.capture(1))
    arrays = stream.arrays("radar")
    assert arrays["detection_offsets"].tolist()[0] == 0 and len(arrays["scan_index"]) == 2
    assert arrays["velocity"].shape == arrays["rcs"].shape == (arrays["detection_offsets"][-1],)
    assert "radar_radar.npz" in stream.files()


KINEMATIC = """
version: 1
name: radar_kinematic
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [car, cart]
objects:
  - {name: car, type: box, class: car, size: [4, 1.8, 1.4], position: [30, 0, 0],
     behavior: {type: waypoints, points: [[30, 0, 0], [0, 0, 0]], speed: 6}}
  - {name: cart, type: box, class: cart, size: [1, 1, 1], position: [0, 0, 0],
     behavior: {type: waypoints, points: [[0, 0, 0], [30, 0, 0]], speed: 4}}
cameras: [{position: [0, 0, 0], look_at: [1, 0, 0], width: 8, height: 8}]
sensors:
  - {name: radar, type: radar, horizontal_fov: 20, vertical_fov: 6, ray_resolution: 0.25, mount: {body: cart_0},
     position: [0.6, 0, 0]}
"""


def test_kinematic_actors_get_their_velocity_from_the_previous_tick(client, backend):
    world, spec = make_world(client, KINEMATIC)
    r = radar(spec.sensors[0], world, backend)
    assert r.prime_each_capture
    world.step(50)
    r.prime()  # what the episode runner does one tick before every capture
    world.step(1)
    scan = r.capture(world.steps)
    car = scan.instance == 1
    assert car.sum() >= 1
    closing = np.array([-6.0 - 4.0, 0, 0])  # car towards -x at 6 m/s, radar towards +x at 4 m/s
    assert np.max(np.abs(scan.velocity[car] - _direction(scan)[car] @ closing)) < 0.01
    unprimed = radar(spec.sensors[0], world, backend).capture(world.steps)
    assert np.all(unprimed.velocity == 0)  # pybullet reports teleported bodies at rest


def test_group_rows_matches_numpy_unique():
    from simgen.sensors.radar.runtime import group_rows

    keys = np.random.default_rng(1).integers(-3, 3, size=(500, 4))
    cells, inv = group_rows(keys)
    ref, ref_inv = np.unique(keys, axis=0, return_inverse=True)
    assert np.array_equal(cells, ref) and np.array_equal(inv, ref_inv.reshape(-1))


def test_bad_radar_fields_are_located_user_errors():
    import simgen
    from simgen.errors import SimgenError

    base = SCENE.replace("ray_resolution: 0.12}", "ray_resolution: 0.12, RADAR_EXTRA}")
    with pytest.raises(SimgenError) as info:
        simgen.loads(base.replace("RADAR_EXTRA", "min_range: 5, max_range: 2"), file="r.yaml")
    assert "sensors[0].min_range: min_range 5 must be below max_range 2" in str(info.value)
    with pytest.raises(SimgenError) as info:
        simgen.loads(base.replace("RADAR_EXTRA", "velocity_resolutoin: 0.5"), file="r.yaml")
    assert "velocity_resolutoin" in str(info.value) and "did you mean 'velocity_resolution'" in str(info.value)
    with pytest.raises(SimgenError) as info:
        simgen.loads(SCENE.replace("ray_resolution: 0.12", "ray_resolution: 0.001"), file="r.yaml")
    assert "raw rays per scan is more than" in str(info.value)
