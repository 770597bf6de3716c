"""Ray casting backends: analytic ranges, agreement with each other, scene updates, determinism, memory."""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest

import simgen
from simgen.core.transforms import invert, pose_matrix
from simgen.errors import SimgenError
from simgen.scenario.sampling import sample
from simgen.sensors.geometry import world_from_mount
from simgen.sensors.lidar.runtime import Lidar, ray_pattern
from simgen.sensors.raycast import make_raycaster
from simgen.sensors.scene_mesh import TESSELLATION_TOLERANCE, circle_sections, sphere_subdivisions
from simgen.sim.world import World
from tests.conftest import REPO

from .conftest import make_world, rng

pytest.importorskip("embreex")

BACKENDS = ["embree", "bullet"]

BOX = """
version: 1
name: analytic
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [wall, box, ball, can]
objects:
  - {name: wall, type: box, class: wall, size: [0.2, 40, 40], position: [-8.1, 0, 0], mass: 0}
  - {name: box, type: box, class: box, size: [1.0, 0.6, 0.8], position: [3, 0.4, 0.6], rpy: [10, 20, 30], mass: 0}
  - {name: ball, type: sphere, class: ball, radius: 0.5, position: [0, 4, 0.5], mass: 0}
  - {name: can, type: cylinder, class: can, radius: 0.3, length: 1.0, position: [0, -4, 0.5], mass: 0}
cameras: [{position: [0, 0, 1], look_at: [1, 0, 1], width: 8, height: 8}]
"""


def _rays(n_el: int = 40, n_az: int = 720) -> tuple[np.ndarray, np.ndarray]:
    dirs, _, _ = ray_pattern(tuple(np.linspace(-40, 40, n_el)), tuple(np.arange(n_az) * 360.0 / n_az))
    d = dirs.reshape(-1, 3)
    return np.zeros_like(d) + [0.0, 0.0, 0.5], d


def _box_range(o: np.ndarray, d: np.ndarray, world_from_box: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Exact entry distance of rays into an oriented box (slab method); inf where missed."""
    inv = invert(world_from_box)
    ol = o @ inv[:3, :3].T + inv[:3, 3]
    dl = d @ inv[:3, :3].T
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (-half - ol) / dl, (half - ol) / dl
    tmin = np.nanmax(np.minimum(t1, t2), axis=1)
    tmax = np.nanmin(np.maximum(t1, t2), axis=1)
    return np.where((tmax >= tmin) & (tmin > 0), tmin, np.inf)


def _sphere_range(o: np.ndarray, d: np.ndarray, c: np.ndarray, r: float) -> np.ndarray:
    oc = o - c
    b = np.sum(oc * d, axis=1)
    disc = b * b - (np.sum(oc * oc, axis=1) - r * r)
    return np.where(disc > 0, -b - np.sqrt(np.maximum(disc, 0)), np.inf)


@pytest.mark.parametrize("backend", BACKENDS)
def test_wall_and_box_ranges_are_exact(client, backend):
    world, spec = make_world(client, BOX)
    caster = make_raycaster(backend, world)
    caster.update()
    o, d = _rays()
    hits = caster.cast(o, d, 0.0, 50.0)
    box = spec.objects[1]
    expect_box = _box_range(o, d, pose_matrix(box.position, box.orientation), np.array([0.5, 0.3, 0.4]))
    on_box = np.isfinite(expect_box)
    assert on_box.sum() > 100
    uid_box = world.uid_of[box.instance_id]
    # Rays whose exact entry point lies 5 cm or more from every box edge: flat-face hits.
    inv = invert(pose_matrix(box.position, box.orientation))
    p_local = (o + d * np.where(on_box, expect_box, 0)[:, None]) @ inv[:3, :3].T + inv[:3, 3]
    near_edge = np.sum(np.abs(np.abs(p_local) - [0.5, 0.3, 0.4]) < 0.05, axis=1) >= 2
    face = on_box & ~near_edge
    assert np.all(hits.uid[face] == uid_box)
    err = np.abs(hits.distance[face] - expect_box[face])
    assert np.percentile(err, 99) < 1e-4  # Embree: float32; Bullet: float64 for most rays
    # Bullet's convex ray cast (GJK) stops within a tolerance now and then: up to 1.5 mm seen.
    assert err.max() < (1e-4 if backend == "embree" else 3e-3)
    # The wall at x = -8: rays going -x that miss the objects hit it at 8 / |dx|.
    wall = (d[:, 0] < -0.3) & (hits.uid == world.uid_of[spec.objects[0].instance_id])
    assert wall.sum() > 1000
    assert np.max(np.abs(hits.distance[wall] - 8.0 / -d[wall, 0])) < 1e-4
    normal_x = np.abs(hits.normal[wall, 0])
    assert np.allclose(normal_x, 1.0, atol=1e-6)


def test_embree_curved_primitives_within_tessellation_tolerance(client):
    world, spec = make_world(client, BOX)
    caster = make_raycaster("embree", world)
    caster.update()
    o, d = _rays(80, 1440)
    hits = caster.cast(o, d, 0.0, 50.0)
    ball = spec.objects[2]
    exact = _sphere_range(o, d, np.asarray(ball.position), 0.5)
    on = np.isfinite(exact) & (hits.uid == world.uid_of[ball.instance_id])
    cos_inc = np.abs(np.sum(hits.normal * d, axis=1))
    facing = on & (cos_inc > 0.5)
    assert facing.sum() > 50
    err = hits.distance[facing] - exact[facing]
    assert err.min() > -1e-4  # the facets lie inside the sphere: hits never before the surface
    assert err.max() < 2 * TESSELLATION_TOLERANCE / 0.5
    assert sphere_subdivisions(0.5) >= 3 and circle_sections(0.3) >= 24


def _agreement(world: World, spec) -> dict[str, float]:
    """Both backends on the first LiDAR's pattern (64 rings x 1800 columns) from its mount."""
    s = next(x for x in spec.sensors if x.type == "lidar")
    pose = world_from_mount(world, s.mount) @ s.mount_from_sensor
    dirs, _, _ = ray_pattern(tuple(np.linspace(-30, 30, 64)), tuple(np.arange(1800) * 0.2))
    d = dirs.reshape(-1, 3) @ pose[:3, :3].T
    o = pose[:3, 3]
    out = {}
    for b in BACKENDS:
        c = make_raycaster(b, world)
        c.update()
        out[b] = c.cast(o, d, s.min_range, s.max_range)
    e, u = out["embree"], out["bullet"]
    both = (e.uid >= 0) & (u.uid >= 0) & (e.uid == u.uid)
    flat_uids = [world.ground_uid] + [world.uid_of[o.instance_id] for o in spec.objects if o.type == "box"]
    # Flat faces: box or ground hits where both backends see the same face (Bullet rounds box
    # edges by its collision margin, so a grazing ray near an edge meets a different surface).
    same_face = np.abs(np.sum(e.normal * u.normal, axis=1)) > 0.9999
    flat = both & np.isin(e.uid, flat_uids) & same_face
    return {
        "hit_agreement": float(np.mean((e.uid >= 0) == (u.uid >= 0))),
        "owner_agreement": float(np.mean(e.uid == u.uid)),
        "flat": int(flat.sum()),
        "flat_max_diff": float(np.max(np.abs(e.distance[flat] - u.distance[flat]))),
    }


@pytest.mark.parametrize("episode", [0, 1])
def test_backends_agree_on_the_shipped_lidar_scenario(client, episode):
    spec = sample(simgen.load(REPO / "scenarios" / "sensor_suite.yaml"), episode)
    world = World(client, spec)
    world.step(spec.world.settle_steps + 10)
    a = _agreement(world, spec)
    assert a["hit_agreement"] > 0.999, a
    assert a["owner_agreement"] > 0.998, a
    assert a["flat"] > 30_000, a
    assert a["flat_max_diff"] < 0.01, a


HEIGHTFIELD = """
version: 1
name: terrain
world:
  gravity: [0, 0, 0]
  settle_time: 0
  ground:
    type: heightfield
    heightfield: {source: noise, size: [40, 40], height: 1.5, resolution: 33, feature: 6}
classes: [person]
objects:
  - {name: person, type: humanoid, class: person, height: 1.8, mass: 0, position: [3, 0, 1.6],
     joints: {left_knee: 0.6}}
  - {name: duck, type: urdf, class: person, path: "pybullet_data:duck_vhacd.urdf", scale: 6,
     position: [-3, 1, 2], mass: 0}
cameras: [{position: [0, 0, 1], look_at: [1, 0, 1], width: 8, height: 8}]
sensors:
  - {name: velo, type: lidar, channels: 64, position: [0, 0, 3], max_range: 60}
"""


def test_backends_agree_on_heightfield_humanoid_and_urdf(client):
    world, spec = make_world(client, HEIGHTFIELD)
    a = _agreement(world, spec)
    assert a["hit_agreement"] > 0.999, a
    assert a["owner_agreement"] > 0.995, a  # the duck's collision is its convex decomposition
    assert a["flat"] > 30_000 and a["flat_max_diff"] < 0.01, a


MOVING = """
version: 1
name: moving
world: {gravity: [0, 0, 0], settle_time: 0}
classes: [cart, crate]
objects:
  - {name: crate, type: box, class: crate, size: [1, 1, 1], position: [5, 0, 0.5], mass: 0}
  - {name: cart, type: box, class: cart, size: [1, 1, 1], position: [-5, 0, 0.5], mass: 1}
  - {name: pusher, type: box, class: crate, size: [1, 1, 1], position: [0, 5, 0.5], mass: 0,
     behavior: {type: waypoints, points: [[0, 5, 0.5], [0, 20, 0.5]], speed: 5}}
  - {name: rock, type: sphere, class: crate, radius: 1, position: [-10, -10, 1], mass: 0}
cameras: [{position: [0, 0, 1], look_at: [1, 0, 1], width: 8, height: 8}]
"""


@pytest.fixture(params=["packets", "single"])
def embree_mode(request, monkeypatch):
    """Each test that takes it runs with Embree packet queries (moving bodies as instances) and without."""
    from simgen.sensors import embree_packets

    monkeypatch.setenv("SIMGEN_EMBREE_PACKETS", "1" if request.param == "packets" else "0")
    if request.param == "packets" and not embree_packets.packets_available():
        pytest.skip("no Embree packet queries here")
    return request.param


def test_embree_rebuilds_only_what_moved_and_follows_it(client, embree_mode):
    world, spec = make_world(client, MOVING)
    caster = make_raycaster("embree", world)
    assert caster.rebuilds == {"static": 1, "dynamic": 1, "merged": 0, "moves": 0}
    caster.update()
    assert caster.rebuilds == {"static": 1, "dynamic": 1, "merged": 0, "moves": 0}  # nothing moved
    cart = world.uid_of[spec.objects[1].instance_id]
    client.p.resetBaseVelocity(cart, [2.0, 0, 0], [0, 0, 0], physicsClientId=client.id)
    world.step(60)
    caster.update()
    # The kinematic pusher moved and left the static scene: both scenes rebuilt.
    assert caster.rebuilds["dynamic"] == 2 and caster.rebuilds["static"] == 2
    caster.update()
    assert caster.rebuilds["static"] == 2
    client.p.resetBaseVelocity(cart, [1.0, 1.0, 0], [0, 0, 2.0], physicsClientId=client.id)  # driving and turning
    world.step(30)
    caster.update()
    if embree_mode == "packets":  # the cart and the pusher re-posed as instances: nothing rebuilt
        assert caster.rebuilds == {"static": 2, "dynamic": 2, "merged": 0, "moves": 1}
    else:  # one flat scene of the moving bodies, rebuilt
        assert caster.rebuilds == {"static": 2, "dynamic": 3, "merged": 0, "moves": 0}
    bullet = make_raycaster("bullet", world)
    o = np.zeros((3, 3)) + [0, 0, 0.5]
    d = np.array([[-1.0, 0, 0], [0, 1.0, 0], [1.0, 0, 0]])
    e, b = caster.cast(o, d, 0.0, 40.0), bullet.cast(o, d, 0.0, 40.0)
    assert np.array_equal(e.uid, b.uid)
    assert np.allclose(e.distance, b.distance, atol=1e-4)
    # Normals turned with the bodies: each hit's normal equals Bullet's (either side).
    hit = e.uid >= 0
    cos = np.abs(np.sum(e.normal[hit] * b.normal[hit], axis=1))
    assert np.all(cos > 1 - 1e-5)
    world.remove("cart_0")
    caster.update()
    assert caster.cast(o[:1], d[:1], 0.0, 40.0).uid[0] == -1


def test_embree_merges_the_scenes_when_little_stands_still(client, embree_mode):
    text = MOVING.replace("mass: 0}", "mass: 1}").replace("  - {name: rock", "  - {name: rock, count: 0")
    world, spec = make_world(client, text)  # only the ground is static
    caster = make_raycaster("embree", world)
    assert caster.merged and caster.static_scene is not None and caster.dynamic_scene is None
    before = dict(caster.rebuilds)
    caster.update()
    assert caster.rebuilds == before  # nothing moved: no rebuild
    crate = world.uid_of[spec.objects[0].instance_id]
    client.p.resetBaseVelocity(crate, [0, 3.0, 0], [0, 0, 0], physicsClientId=client.id)
    world.step(30)
    caster.update()
    assert caster.rebuilds["merged"] == before["merged"] + 1  # the kinematic pusher started moving
    world.step(30)
    caster.update()
    if embree_mode == "packets":  # the crate and the pusher re-posed as instances in the merged scene
        assert caster.rebuilds == {**before, "merged": before["merged"] + 1, "moves": 1}
    else:
        assert caster.rebuilds["merged"] == before["merged"] + 2
    bullet = make_raycaster("bullet", world)
    o = np.zeros((4, 3)) + [0, 0, 0.5]
    d = np.array([[-1.0, 0, 0], [0, 1.0, 0], [1.0, 0, 0], [0.6, 0.8, 0]])
    e, b = caster.cast(o, d, 0.0, 40.0), bullet.cast(o, d, 0.0, 40.0)
    assert np.array_equal(e.uid, b.uid) and np.allclose(e.distance, b.distance, atol=1e-4)


def test_lidar_sweep_is_deterministic_and_reflectivity_sets_intensity(client):
    text = BOX.replace("mass: 0}\n  - {name: ball", "mass: 0, reflectivity: 0.25}\n  - {name: ball")
    text += "sensors: [{name: velo, type: lidar, channels: 32, position: [0, 0, 0.5], range_noise: 0.02, "
    text += "dropout: 0.1}]\n"
    world, spec = make_world(client, text)
    s = spec.sensors[0]
    assert s.backend == "embree"  # auto with embreex installed
    a = Lidar(s, world, np.random.default_rng(3)).capture(0)
    b = Lidar(s, world, np.random.default_rng(3)).capture(0)
    for k in ("xyz", "range", "intensity", "ring", "column", "instance", "semantic"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k
    quiet = dataclasses.replace(s, range_noise=0.0, dropout=0.0)
    scan = Lidar(quiet, world, rng()).capture(0)
    on_box = scan.instance == spec.objects[1].instance_id
    assert on_box.sum() > 20
    cos = scan.intensity[on_box] / 0.25
    assert np.all((cos > 0) & (cos <= 1 + 1e-6))
    on_wall = scan.instance == spec.objects[0].instance_id
    d = scan.xyz[on_wall] / np.linalg.norm(scan.xyz[on_wall], axis=1, keepdims=True)
    assert np.allclose(scan.intensity[on_wall], 0.8 * np.abs(d[:, 0]), atol=1e-4)  # default 0.8, no colour


def test_64_by_2048_sweep_stays_within_bounded_memory(client):
    text = BOX + "sensors: [{name: velo, type: lidar, channels: 64, horizontal_resolution: 0.17578125, "
    text += "position: [0, 0, 0.5]}]\n"
    world, spec = make_world(client, text)
    lidar = Lidar(spec.sensors[0], world, rng())
    lidar.capture(0)  # warm caches
    n = 64 * 2048
    assert len(lidar.rays.dirs) == n
    tracemalloc.start()
    try:
        scan = lidar.capture(1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(scan.range) > n // 4
    # 13.9 MB measured (106 bytes per ray: the ray, hit and point arrays); 200 bytes/ray = 26 MB.
    assert peak < 200 * n, f"peak {peak / 1e6:.1f} MB for {n} rays"


def test_unknown_backend_is_a_user_error(client):
    world, _ = make_world(client, BOX)
    with pytest.raises(SimgenError, match="unknown ray casting backend 'embre'") as err:
        make_raycaster("embre", world)
    assert "did you mean 'embree'" in str(err.value)
    with pytest.raises(SimgenError) as bad:
        simgen.loads(BOX + "sensors: [{name: v, type: lidar, backend: embre}]\n")
    assert "backend" in str(bad.value)


MESH = """
version: 1
name: mesh
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [ring]
objects:
  - {name: ring, type: mesh, class: ring, path: "assets:meshes/torus.obj", scale: 10, position: [4, 0.3, 0.5],
     rpy: [70, 10, 30], mass: 0}
cameras: [{position: [0, 0, 1], look_at: [1, 0, 1], width: 8, height: 8}]
"""


def _first_hits(o: np.ndarray, d: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Distance to the nearest of triangles ``tri`` (F, 3, 3) along each ray (Moller-Trumbore); inf if none."""
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    out = np.full(len(d), np.inf)
    for a in range(0, len(d), 256):
        dd = d[a : a + 256, None, :]
        p = np.cross(dd, e2[None])
        det = np.sum(e1[None] * p, axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / det
            s = o - tri[None, :, 0]
            u = np.sum(s * p, axis=2) * inv
            q = np.cross(s, e1[None])
            v = np.sum(dd * q, axis=2) * inv
            t = np.sum(e2[None] * q, axis=2) * inv
        ok = (np.abs(det) > 1e-12) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        out[a : a + 256] = np.where(ok, t, np.inf).min(axis=1)
    return out


def test_embree_sees_mesh_objects_as_loaded(client):
    from simgen.scenario.assets import load_mesh, resolve_asset

    world, spec = make_world(client, MESH)
    obj = spec.objects[0]
    caster = make_raycaster("embree", world)
    dirs, _, _ = ray_pattern(tuple(np.linspace(-15, 15, 60)), tuple(np.linspace(-10, 20, 120)))
    d = dirs.reshape(-1, 3)
    o = np.array([0.0, 0.0, 0.5])
    hits = caster.cast(o, d, 0.0, 20.0)
    # The same mesh (as trimesh loads it) posed by the object's pose, intersected in plain numpy.
    mesh = load_mesh(resolve_asset(obj.shape["path"], REPO / "scenarios"), obj.shape["scale"])
    t = pose_matrix(obj.position, obj.orientation)
    tri = (np.asarray(mesh.vertices) @ t[:3, :3].T + t[:3, 3])[np.asarray(mesh.faces)]
    expect = _first_hits(o, d, tri)
    hit = hits.uid == world.uid_of[obj.instance_id]
    assert hit.sum() > 1000, hit.sum()
    assert np.mean(hit == np.isfinite(expect)) > 0.999  # the hole is a hole (the collision hull has none)
    both = hit & np.isfinite(expect)
    assert np.max(np.abs(hits.distance[both] - expect[both])) < 1e-4


ROOF = """
version: 1
name: roof
world: {gravity: [0, 0, 0], settle_time: 0}
classes: [car, wall]
objects:
  - {name: car, type: box, class: car, size: [4.0, 1.8, 1.4], position: [0, 0, 0.7], mass: 1}
  - {name: wall, type: box, class: wall, size: [0.2, 20, 6], position: [9.1, 0, 3], mass: 0}
cameras: [{position: [-6, 0, 3], look_at: [0, 0, 1], width: 8, height: 8}]
sensors:
  - {name: velo, type: lidar, channels: 32, vertical_fov: [-40, 10], horizontal_resolution: 2,
     mount: {body: car_0}, position: [1.0, 0, 1.6], min_range: 0.05}
"""


def test_own_rigid_mount_blocks_rays_without_being_cast_each_sweep(client):
    """The roof LiDAR's car is cast once in the sensor frame: the same rays drop as on rayTestBatch."""
    world, spec = make_world(client, ROOF)
    s = spec.sensors[0]
    e = Lidar(dataclasses.replace(s, backend="embree"), world, rng())
    car = world.uid_of[spec.objects[0].instance_id]
    assert car in e.caster.detached and car not in e.caster.bodies
    assert e.caster.dynamic_scene is None  # the car was the only moving body
    blocked = np.asarray(e.far) < s.max_range
    assert 0.1 < blocked.mean() < 0.5  # rays pointing down at the roof and bonnet
    b = Lidar(dataclasses.replace(s, backend="bullet"), world, rng())
    se, sb = e.capture(0), b.capture(0)
    key = lambda sc: set(zip(sc.ring.tolist(), sc.column.tolist(), strict=True))  # noqa: E731
    ke, kb = key(se), key(sb)
    assert len(ke ^ kb) <= 0.001 * len(kb)  # the same returns survive; none seen through the car
    assert not np.any(se.instance == spec.objects[0].instance_id)
    # Driven elsewhere and turned, the car blocks the same rays, on both backends.
    quat = [0, 0, 0.3826834, 0.9238795]
    client.p.resetBasePositionAndOrientation(car, [2.0, 3.0, 0.7], quat, physicsClientId=client.id)
    se2, sb2 = e.capture(1), b.capture(1)
    assert len(key(se2) ^ key(sb2)) <= 0.001 * len(key(sb2))
    assert not key(se2) & set(zip(*np.nonzero(blocked.reshape(-1, 32).T), strict=True))
