"""LiDAR against analytic geometry on every ray casting backend: walls, box faces, ordering, labels, skew."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simgen.core.transforms import invert, pose_matrix
from simgen.sensors.lidar.runtime import MAX_BATCH, Lidar, cast_rays

from .conftest import make_world, rng, set_velocity

BACKENDS = ["embree", "bullet"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Every test that takes it runs once per ray casting backend."""
    if request.param == "embree":
        pytest.importorskip("embreex")
    return request.param


def make_lidar(spec, world, backend, gen=None):
    """The LiDAR of ``spec`` (a LidarSpec) on ``backend``."""
    return Lidar(dataclasses.replace(spec, backend=backend), world, rng() if gen is None else gen)


WALL = """
version: 1
name: wall
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [wall, box]
objects:
  - {name: wall, type: box, class: wall, size: [0.2, 40, 40], position: [5.1, 0, 0], mass: 0, color: [0.5, 0.5, 0.5]}
cameras: [{position: [0, 0, 0], look_at: [1, 0, 0], width: 8, height: 8}]
sensors:
  - name: lidar
    type: lidar
    pattern: solid_state
    channels: 21
    vertical_fov: [-30, 30]
    horizontal_fov: 90
    horizontal_resolution: 1.5
    min_range: 0.05
    max_range: 50
"""


def test_wall_ranges_within_1cm(client, backend):
    world, spec = make_world(client, WALL)
    scan = make_lidar(spec.sensors[0], world, backend).capture(0)
    assert len(scan.range) == 21 * 60
    x = scan.xyz[:, 0].astype(float)
    assert np.max(np.abs(x - 5.0)) < 0.01
    d = scan.xyz / np.linalg.norm(scan.xyz, axis=1, keepdims=True)
    expected = 5.0 / d[:, 0]
    assert np.max(np.abs(scan.range - expected)) < 0.01
    # Intensity = reflectivity (mean colour 0.5) * cos(incidence); the wall normal is -x.
    assert np.allclose(scan.intensity, 0.5 * d[:, 0], atol=1e-3)
    assert np.all(scan.instance == 1) and np.all(scan.semantic == 1)


ROOM = """
version: 1
name: room
world: {gravity: [0, 0, 0], settle_time: 0}
classes: [wall]
objects:  # walls stand on the ground (a body's bottom under a plane ground is refused)
  - {name: north, type: box, class: wall, size: [0.2, 20, 20], position: [4.1, 0, 10], mass: 0}
  - {name: south, type: box, class: wall, size: [0.2, 20, 20], position: [-4.1, 0, 10], mass: 0}
  - {name: east, type: box, class: wall, size: [20, 0.2, 20], position: [0, 3.1, 10], mass: 0}
  - {name: west, type: box, class: wall, size: [20, 0.2, 20], position: [0, -3.1, 10], mass: 0}
  - {name: roof, type: box, class: wall, size: [20, 20, 0.2], position: [0, 0, 5.1], mass: 0}
cameras: [{position: [0, 0, 1], look_at: [1, 0, 1], width: 8, height: 8}]
sensors:
  - {name: velo, type: lidar, channels: 32, vertical_fov: [-40, 40], horizontal_resolution: 0.5, position: [0, 0, 1]}
"""


def test_scan_over_16384_rays_returns_every_ray(client, backend):
    world, spec = make_world(client, ROOM)
    lidar = make_lidar(spec.sensors[0], world, backend)
    n = 32 * 720
    assert n > 16_384
    scan = lidar.capture(0)
    assert len(scan.range) == n  # closed room: every ray hits something


def test_cast_rays_batches_below_the_pybullet_limit(client):
    make_world(client, ROOM)
    for n in (MAX_BATCH, 16_384, 16_385, 40_000):
        origins = np.zeros((n, 3)) + [0, 0, 1]
        ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
        ends = origins + 30 * np.stack([np.cos(ang), np.sin(ang), np.zeros(n)], axis=1)
        uid, frac, _ = cast_rays(client, origins, ends)
        assert np.all(uid >= 0), n
        assert np.all(frac < 1), n


def test_ring_and_azimuth_ordering(client, backend):
    world, spec = make_world(client, ROOM)
    s = spec.sensors[0]
    scan = make_lidar(s, world, backend).capture(0)
    x, y, z = scan.xyz.astype(float).T
    elev = np.degrees(np.arctan2(z, np.hypot(x, y)))
    az = np.degrees(np.arctan2(y, x)) % 360
    assert np.allclose(elev, np.asarray(s.elevations_deg)[scan.ring], atol=1e-3)
    daz = (az - np.asarray(s.azimuths_deg)[scan.column] + 180) % 360 - 180
    assert np.max(np.abs(daz)) < 1e-3
    assert s.elevations_deg[0] == -40 and s.elevations_deg[-1] == 40  # ring 0 is the lowest
    order = scan.column.astype(np.int64) * 32 + scan.ring
    assert np.all(np.diff(order) > 0)  # firing order: columns, rings inside
    assert np.all(np.diff(scan.time) >= 0)
    assert np.isclose(scan.time.max(), 719 / 720 / s.rate)
    assert np.all(np.diff(np.asarray(s.azimuths_deg)) > 0)  # counter-clockwise about +z


BOX = """
version: 1
name: box
world: {gravity: [0, 0, 0], settle_time: 0}
classes: [thing, crate]
objects:
  - {name: crate, type: box, class: crate, size: [1.0, 0.6, 0.8], position: [3, 0.4, 0.6], rpy: [0, 0, 30], mass: 0}
cameras: [{position: [0, 0, 1], look_at: [1, 0, 1], width: 8, height: 8}]
sensors:
  - {name: velo, type: lidar, channels: 64, vertical_fov: [-25, 15], horizontal_resolution: 0.2, position: [0, 0, 1]}
"""


def test_points_on_box_faces_with_box_labels(client, backend):
    world, spec = make_world(client, BOX)
    scan = make_lidar(spec.sensors[0], world, backend).capture(0)
    on_box = scan.instance == 1
    assert on_box.sum() > 200
    assert np.all(scan.semantic[on_box] == 2)  # class 'crate' is category 2
    assert np.all(scan.semantic[~on_box] == 0)
    obj = spec.objects[0]
    world_from_box = pose_matrix(obj.position, obj.orientation)
    world_pts = scan.xyz[on_box].astype(float) @ scan.world_from_sensor[:3, :3].T + scan.world_from_sensor[:3, 3]
    local = world_pts @ invert(world_from_box)[:3, :3].T + invert(world_from_box)[:3, 3]
    half = np.array([0.5, 0.3, 0.4])
    dist_to_face = np.min(np.abs(np.abs(local) - half), axis=1)
    assert np.max(dist_to_face) < 2e-3
    assert np.all(np.abs(local) <= half + 2e-3)
    # Ground points (not the box) lie on z = 0.
    ground = world_pts_all(scan)[~on_box]
    assert np.max(np.abs(ground[:, 2])) < 2e-3


def world_pts_all(scan):
    return scan.xyz.astype(float) @ scan.world_from_sensor[:3, :3].T + scan.world_from_sensor[:3, 3]


MOVING = """
version: 1
name: moving
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [wall, cart]
objects:
  - {name: wall, type: box, class: wall, size: [0.2, 40, 40], position: [10.1, 0, 0], mass: 0}
  - {name: cart, type: box, class: cart, size: [0.1, 0.1, 0.1], position: [0, 0, 0], mass: 1, angular_damping: 0}
cameras: [{position: [0, 0, 0], look_at: [1, 0, 0], width: 8, height: 8}]
sensors:
  - name: velo
    type: lidar
    channels: 1
    vertical_fov: [0, 0]
    horizontal_resolution: 1
    min_range: 0.3
    mount: {body: cart_0}
    deskew: DESKEW
"""


@pytest.mark.parametrize("deskew", [False, True])
def test_motion_distortion_and_deskew(client, deskew, backend):
    world, spec = make_world(client, MOVING.replace("DESKEW", str(deskew).lower()))
    v = 20.0  # m/s along +x, towards the wall at x = 10
    set_velocity(world, "cart_0", linear=(v, 0, 0))
    scan = make_lidar(spec.sensors[0], world, backend).capture(0)
    front = np.abs(np.degrees(np.arctan2(scan.xyz[:, 1], scan.xyz[:, 0]))) < 40
    assert front.sum() > 40
    x = scan.xyz[front, 0].astype(float)
    t = scan.time[front].astype(float)
    late = t > 0.05  # columns near 360 degrees fire at the end of the sweep
    assert late.any() and (~late).any()
    if deskew:
        assert np.max(np.abs(x - 10.0)) < 0.01  # every point in the sweep-start frame
    else:
        assert np.max(np.abs(x - (10.0 - v * t))) < 0.01  # each point seen from where the sensor was
        assert np.min(x[late]) < 9.0


def test_noise_dropout_and_determinism(client, backend):
    text = WALL.replace("max_range: 50", "max_range: 50\n    range_noise: 0.05\n    dropout: 0.3")
    world, spec = make_world(client, text)
    s = spec.sensors[0]
    a = make_lidar(s, world, backend, np.random.default_rng(7)).capture(0)
    b = make_lidar(s, world, backend, np.random.default_rng(7)).capture(0)
    assert np.array_equal(a.range, b.range) and np.array_equal(a.ring, b.ring)
    n = 21 * 60
    assert 0.6 * n < len(a.range) < 0.8 * n
    d = a.xyz / np.linalg.norm(a.xyz, axis=1, keepdims=True)
    err = a.range - 5.0 / d[:, 0]
    assert 0.04 < np.std(err) < 0.06


def test_max_range_returns_dropped(client, backend):
    world, spec = make_world(client, WALL.replace("max_range: 50", "max_range: 5.5"))
    scan = make_lidar(spec.sensors[0], world, backend).capture(0)
    d = scan.xyz / np.linalg.norm(scan.xyz, axis=1, keepdims=True)
    assert np.all(scan.range <= 5.5)
    assert np.all(5.0 / d[:, 0] <= 5.5 + 1e-3)
    assert 0 < len(scan.range) < 21 * 60
