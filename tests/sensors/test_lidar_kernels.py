"""The compiled LiDAR loops and their numpy twin give byte-identical sweeps, and match the analytic answer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simgen.sensors import lidar_kernels as lk
from simgen.sensors.lidar.runtime import Lidar

from .conftest import make_world, set_velocity
from .test_lidar import MOVING, WALL

pytest.importorskip("numba")
FIELDS = ("xyz", "range", "intensity", "ring", "column", "time", "instance", "semantic")


def both_paths(monkeypatch, make):
    """``make()`` run on the numba path, then on the numpy path (``SIMGEN_NUMBA=0``)."""
    monkeypatch.setenv("SIMGEN_NUMBA", "1")
    assert lk.use_numba()
    fast = make()
    monkeypatch.setenv("SIMGEN_NUMBA", "0")
    assert not lk.use_numba()
    slow = make()
    return fast, slow


def assert_same(a, b):
    for f in FIELDS:
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype and x.shape == y.shape, f
        assert x.tobytes() == y.tobytes(), f


@pytest.mark.parametrize("backend", ["embree", "bullet"])
@pytest.mark.parametrize("extra", ["", "\n    range_noise: 0.05\n    dropout: 0.3"])
def test_static_sweeps_identical_on_both_paths(client, monkeypatch, backend, extra):
    if backend == "embree":
        pytest.importorskip("embreex")
    world, spec = make_world(client, WALL.replace("max_range: 50", "max_range: 50" + extra))
    s = dataclasses.replace(spec.sensors[0], backend=backend)
    fast, slow = both_paths(monkeypatch, lambda: Lidar(s, world, np.random.default_rng(3)).capture(0))
    assert len(fast.range) > 0
    assert_same(fast, slow)


@pytest.mark.parametrize("deskew", [False, True])
def test_moving_sweeps_identical_on_both_paths(client, monkeypatch, deskew):
    pytest.importorskip("embreex")
    world, spec = make_world(client, MOVING.replace("DESKEW", str(deskew).lower()))
    set_velocity(world, "cart_0", linear=(20.0, 0, 0), angular=(0, 0, 3.0))
    s = dataclasses.replace(spec.sensors[0], backend="embree", range_noise=0.01)
    fast, slow = both_paths(monkeypatch, lambda: Lidar(s, world, np.random.default_rng(3)).capture(0))
    assert len(fast.range) > 40
    assert_same(fast, slow)


def synthetic(n=5000, seed=0):
    """Random hits on a small primitive table: prim, t, owner, normals, directions, rays, labels."""
    g = np.random.default_rng(seed)
    prim = np.where(g.random(n) < 0.6, g.integers(0, 40, n), -1).astype(np.int32)
    t = (g.random(n) * 30).astype(np.float32)
    owner = g.integers(0, 5, 40).astype(np.int32)
    normals = g.normal(size=(40, 3)).astype(np.float32)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    d = g.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    rays = lk.RayTables(
        dirs=d.astype(np.float32),
        dirs64=d,
        ring=(np.arange(n) % 16).astype(np.uint16),
        column=(np.arange(n) // 16).astype(np.uint32),
        time=((np.arange(n) // 16) * 1e-4).astype(np.float32),
    )
    labels = lk.LabelTables(
        instance=np.array([0, 11, 12, 13, 14], np.int32),
        category=np.array([0, 1, 1, 2, 2], np.uint16),
        reflectivity=np.array([0.3, 0.5, 0.9, 0.1, 0.7]),
    )
    return prim, t, owner, normals, d.astype(np.float32), rays, labels


def test_assemble_keeps_drops_and_labels_like_the_definition(monkeypatch):
    prim, t, owner, normals, dw, rays, labels = synthetic()
    keep = np.random.default_rng(1).random(len(prim)) > 0.2

    def run():
        return lk.assemble(prim, t, 0.25, owner, normals, dw, rays, labels, exclude=3, keep=keep)

    fast, slow = both_paths(monkeypatch, run)
    assert_same(fast, slow)
    # Against the definition, ray by ray.
    hit = (prim >= 0) & keep
    hit[hit] &= owner[prim[hit]] != 3
    idx = np.flatnonzero(hit)
    uid = owner[prim[idx]]
    assert np.array_equal(fast.instance, labels.instance[uid])
    assert np.array_equal(fast.semantic, labels.category[uid])
    assert np.allclose(fast.range, t[idx] + 0.25, atol=1e-5)
    cos = np.abs(np.sum(normals[prim[idx]] * dw[idx], axis=1))
    assert np.allclose(fast.intensity, labels.reflectivity[uid] * cos, atol=1e-6)
    assert np.allclose(fast.xyz, rays.dirs[idx] * fast.range[:, None], atol=1e-5)
    assert np.array_equal(fast.ring, rays.ring[idx]) and np.array_equal(fast.column, rays.column[idx])


def test_noise_is_the_generators_own_normal_stream(monkeypatch):
    prim, t, owner, normals, dw, rays, labels = synthetic(seed=4)

    def run():
        return lk.assemble(prim, t, 0.0, owner, normals, dw, rays, labels, noise=0.02, rng=np.random.default_rng(9))

    fast, slow = both_paths(monkeypatch, run)
    assert_same(fast, slow)
    idx = np.flatnonzero(prim >= 0)
    expect = (t[idx].astype(np.float64) + np.random.default_rng(9).normal(0.0, 0.02, len(idx))).astype(np.float32)
    assert np.array_equal(fast.range, expect)


def test_world_rays_identical_on_both_paths(monkeypatch):
    _, _, _, _, _, rays, _ = synthetic(n=3200)
    g = np.random.default_rng(2)
    q, _ = np.linalg.qr(g.normal(size=(200, 3, 3)))
    org = g.normal(size=(200, 3)) * 10
    for rot, o in ((q[:1], org[:1]), (q, org)):
        (fs, fd), (ss, sd) = both_paths(
            monkeypatch, lambda rot=rot, o=o: lk.world_rays(rays.dirs, rot, o, rays.column, 0.3)
        )
        assert fs.tobytes() == ss.tobytes() and fd.tobytes() == sd.tobytes()
        c = rays.column if len(rot) > 1 else np.zeros(len(rays.column), np.int64)
        expect = np.einsum("nij,nj->ni", rot[c], rays.dirs64)
        assert np.allclose(fd, expect, atol=1e-6)
        assert np.allclose(fs, o[c] + 0.3 * expect, atol=1e-4)
