"""Embree packet queries answer as embreex's single-ray ``run`` does, and the LiDAR gives the same sweeps either way."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simgen.sensors import embree_packets as ep
from simgen.sensors.lidar.runtime import Lidar

from .conftest import make_world
from .test_lidar import WALL

pytest.importorskip("embreex")
pytest.importorskip("numba")
if not ep.packets_available():
    pytest.skip("no Embree packet queries here (no libembree4 in the embreex wheel)", allow_module_level=True)

FIELDS = ("xyz", "range", "intensity", "ring", "column", "time", "instance", "semantic")


def box(centre, size):
    """Vertices (8, 3) and faces (12, 3) of an axis-aligned box."""
    c, h = np.asarray(centre, float), np.asarray(size, float) / 2
    v = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float) * h + c
    f = [[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
         [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]]  # fmt: skip
    return v, np.array(f)


def scene_arrays():
    """A ground quad, 40 boxes at random and a sphere: (vertices float32, faces int32), no coplanar overlaps."""
    import trimesh

    rng = np.random.default_rng(5)
    verts = [np.array([[-60, -60, 0], [60, -60, 0], [60, 60, 0], [-60, 60, 0]], float)]
    faces = [np.array([[0, 1, 2], [0, 2, 3]])]
    base = 4
    for _ in range(40):
        v, f = box(rng.uniform([-20, -20, 0.5], [20, 20, 3]), rng.uniform(0.3, 2.0, 3))
        verts.append(v)
        faces.append(f + base)
        base += len(v)
    s = trimesh.creation.icosphere(subdivisions=3, radius=1.5)
    verts.append(s.vertices + [4.0, -3.0, 2.0])
    faces.append(s.faces + base)
    return np.concatenate(verts).astype(np.float32), np.concatenate(faces).astype(np.int32)


def single_ray(vertices, faces, start, dirs, limits):
    """embreex's own answer: (primID, tfar)."""
    from embreex import rtcore, rtcore_scene
    from embreex.mesh_construction import TriangleMesh

    scene = rtcore_scene.EmbreeScene(rtcore.EmbreeDevice(), robust=True)
    TriangleMesh(scene, vertices, faces)
    res = scene.run(start, dirs, dists=limits.copy(), output=1)
    return res["primID"], res["tfar"]


def lidar_rays(n_cols=361, n_rings=23):
    """A spinning pattern from 1.8 m up (n_cols x n_rings rays: never a whole number of packets)."""
    el = np.radians(np.linspace(-30, 10, n_rings))
    az = np.radians(np.linspace(0, 360, n_cols, endpoint=False))
    ce, se = np.cos(el)[None], np.sin(el)[None]
    d = np.stack(np.broadcast_arrays(ce * np.cos(az)[:, None], ce * np.sin(az)[:, None], se + 0 * az[:, None]), -1)
    d = d.reshape(-1, 3).astype(np.float32)
    return np.broadcast_to(np.float32([0.5, 0.2, 1.8]), d.shape).copy(), d


def test_packets_hit_what_single_rays_hit_at_the_same_distance():
    v, f = scene_arrays()
    start, dirs = lidar_rays()
    rng = np.random.default_rng(1)
    limits = rng.uniform(2.0, 80.0, len(start)).astype(np.float32)  # per-ray limits, some short of the hit
    ref_prim, ref_t = single_ray(v, f, start, dirs, limits)
    t = limits.copy()
    prim = ep.PacketScene(v, f).first_hits(start, dirs, t)
    assert len(start) % ep.packet_width() != 0  # a partial last packet is cast too
    assert 0.3 < np.mean(ref_prim >= 0) < 0.95  # hits and misses both
    np.testing.assert_array_equal(prim, ref_prim)
    np.testing.assert_array_equal(t, ref_t)  # the same float32 distances
    np.testing.assert_array_equal(t[prim < 0], limits[prim < 0])  # misses keep their limit


def test_packets_match_on_incoherent_rays_and_on_the_ground_analytically():
    v, f = scene_arrays()
    rng = np.random.default_rng(2)
    n = 5003
    start = rng.uniform([-30, -30, 0.2], [30, 30, 6], (n, 3)).astype(np.float32)
    d = rng.normal(size=(n, 3))
    dirs = (d / np.linalg.norm(d, axis=1, keepdims=True)).astype(np.float32)
    limits = np.full(n, 200.0, np.float32)
    ref_prim, ref_t = single_ray(v, f, start, dirs, limits)
    t = limits.copy()
    prim = ep.PacketScene(v, f).first_hits(start, dirs, t)
    np.testing.assert_array_equal(prim, ref_prim)
    np.testing.assert_array_equal(t, ref_t)
    ground = prim <= 1  # rows 0 and 1: the ground quad at z = 0
    ground &= prim >= 0
    assert ground.sum() > 100
    expect = -start[ground, 2].astype(np.float64) / dirs[ground, 2]
    np.testing.assert_allclose(t[ground], expect, rtol=2e-6, atol=1e-5)


def test_coplanar_overlapping_triangles_give_either_one_at_the_right_distance():
    v = np.float32([[-1, -1, 0], [1, -1, 0], [0, 1, 0], [-1, -1, 0], [1, -1, 0], [0, 1, 0]])
    f = np.int32([[0, 1, 2], [3, 4, 5]])
    start = np.float32([[x, y, 2.0] for x in np.linspace(-0.3, 0.3, 9) for y in np.linspace(-0.8, 0.2, 9)])
    dirs = np.broadcast_to(np.float32([0, 0, -1]), start.shape).copy()
    t = np.full(len(start), 10.0, np.float32)
    prim = ep.PacketScene(v, f).first_hits(start, dirs, t)
    assert set(prim.tolist()) <= {0, 1} and (prim >= 0).all()
    np.testing.assert_array_equal(t, np.float32(2.0))


def test_no_rays_and_bad_faces():
    v, f = scene_arrays()
    scene = ep.PacketScene(v, f)
    assert scene.first_hits(
        np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32), np.zeros(0, np.float32)
    ).shape == (0,)
    with pytest.raises(ValueError, match="face index"):
        ep.PacketScene(v, f + len(v))


def test_lidar_sweeps_are_the_same_with_packets_or_single_rays(client, monkeypatch):
    world, spec = make_world(client, WALL.replace("max_range: 50", "max_range: 50\n    range_noise: 0.02"))
    s = dataclasses.replace(spec.sensors[0], backend="embree")
    packed = Lidar(s, world, np.random.default_rng(3))
    assert packed.caster.static_scene.packets is not None
    monkeypatch.setenv("SIMGEN_EMBREE_PACKETS", "0")
    assert not ep.packets_available()
    single = Lidar(s, world, np.random.default_rng(3))
    assert single.caster.static_scene.packets is None
    a, b = packed.capture(0), single.capture(0)
    assert len(a.range) > 100
    for field in FIELDS:
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes(), field


FALLING = """
version: 1
name: falling
world: {gravity: [0, 0, -9.81], settle_time: 0}
classes: [crate, ball, post]
objects:
  - {name: crate, type: box, class: crate, count: 12, size: [0.6, 0.4, 0.5],
     position: [{uniform: [-6, 6]}, {uniform: [-6, 6]}, {uniform: [1, 4]}],
     rpy: [{uniform: [0, 90]}, {uniform: [0, 90]}, {uniform: [0, 180]}], mass: 1}
  - {name: ball, type: sphere, class: ball, count: 6, radius: 0.3,
     position: [{uniform: [-6, 6]}, {uniform: [-6, 6]}, {uniform: [1, 4]}], mass: BALL_MASS}
  - {name: post, type: box, class: post, count: 4, size: [0.3, 0.3, 2],
     position: [{uniform: [-8, 8]}, {uniform: [-8, 8]}, 1], mass: 0}
cameras: [{position: [-8, -8, 4], look_at: [0, 0, 0], width: 8, height: 8}]
sensors:
  - {name: velo, type: lidar, channels: 32, vertical_fov: [-30, 10], horizontal_resolution: 0.5,
     max_range: 60, position: [0, 0, 2.5]}
"""


@pytest.mark.parametrize(
    ("ball_mass", "merged"),
    [(1, True), (0, False)],  # falling balls: one scene of instances; balls standing: still + moving scenes
)
def test_moving_bodies_reposed_as_instances_see_what_rebuilt_scenes_see(client, monkeypatch, ball_mass, merged):
    """Tumbling crates (and balls) over 15 sweeps: instances moved in place against scenes rebuilt each tick."""
    world, spec = make_world(client, FALLING.replace("BALL_MASS", str(ball_mass)))
    rng = np.random.default_rng(1)
    for o in spec.objects:
        if o.name.startswith(("crate", "ball")) and (ball_mass or o.name.startswith("crate")):
            lin, ang = rng.uniform(-2, 2, 3), rng.uniform(-4, 4, 3)  # thrown, spinning
            client.p.resetBaseVelocity(int(world.uid_of[o.instance_id]), lin.tolist(), ang.tolist(),
                                       physicsClientId=client.id)  # fmt: skip
    s = dataclasses.replace(spec.sensors[0], backend="embree")
    posed = Lidar(s, world, np.random.default_rng(3))
    assert posed.caster.merged == merged
    monkeypatch.setenv("SIMGEN_EMBREE_PACKETS", "0")
    rebuilt = Lidar(s, world, np.random.default_rng(3))
    seen = 0
    for _ in range(15):
        world.step(6)
        a, b = posed.capture(0), rebuilt.capture(0)
        assert a.range.shape == b.range.shape  # the same rays hit
        np.testing.assert_array_equal(a.instance, b.instance)
        # Instance transforms are float32: ranges agree to 20 microns, and to 1 mm at grazing incidence.
        err = np.abs(a.range.astype(float) - b.range)
        assert np.quantile(err, 0.999) < 2e-5 and err.max() < 1e-3
        np.testing.assert_allclose(a.intensity, b.intensity, atol=1e-4)  # normals turned with the bodies
        seen += int((a.semantic == 1).sum())
    assert seen > 500  # the crates were seen
    c = posed.caster.rebuilds
    assert c["moves"] >= 14 and c["merged"] + c["dynamic"] <= 2  # re-posed, not rebuilt
    assert rebuilt.caster.rebuilds["merged"] + rebuilt.caster.rebuilds["dynamic"] >= 15
