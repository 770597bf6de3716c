"""Beam divergence and multi-return: echoes merged and picked as defined, and at analytic edges on both backends."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import simgen
from simgen.errors import SimgenError
from simgen.sensors.lidar.runtime import Lidar
from simgen.sensors.lidar_echoes import beam_offsets, beam_rays, merge_echoes, pick

from .conftest import make_world

INF = np.inf


def echoes_of(distance, energy, separation=0.5):
    d = np.asarray(distance, float)
    e = np.asarray(energy, float)
    uid = np.arange(d.size).reshape(d.shape)  # each ray its own owner, to see which one leads
    return merge_echoes(d, e, uid, separation)


# Five beams of three rays (distance, energy): two surfaces; nothing; a chain of near surfaces
# that merges; the strongest nearest; the strongest farthest.
DIST = [[10, 20, 10], [INF, INF, INF], [5.0, 5.2, 5.4], [30, 8, INF], [12, 40, INF]]
ENERGY = [[0.2, 0.1, 0.3], [0, 0, 0], [0.1, 0.2, 0.1], [0.05, 0.3, 0], [0.1, 0.5, 0]]


def test_rays_merge_into_echoes_by_range():
    beam, rng, energy, uid, rank = echoes_of(DIST, ENERGY)
    assert beam.tolist() == [0, 0, 2, 3, 3, 4, 4]
    assert rank.tolist() == [0, 1, 0, 0, 1, 0, 1]
    np.testing.assert_allclose(rng, [10, 20, (0.5 + 1.04 + 0.54) / 0.4, 8, 30, 12, 40])
    np.testing.assert_allclose(energy, [0.5, 0.1, 0.4, 0.3, 0.05, 0.1, 0.5])
    assert uid.tolist() == [2, 1, 7, 10, 9, 12, 13]  # the most energetic ray of each echo


def test_separation_decides_what_merges():
    beam, rng, *_ = echoes_of([[10.0, 10.4]], [[0.1, 0.3]], separation=0.5)
    np.testing.assert_allclose(rng, [10.3])
    beam, rng, *_ = echoes_of([[10.0, 10.4]], [[0.1, 0.3]], separation=0.3)
    np.testing.assert_allclose(rng, [10.0, 10.4])


@pytest.mark.parametrize(
    ("mode", "rows", "tags"),
    [
        ("first", [0, 2, 3, 5], [0, 0, 0, 0]),
        ("last", [1, 2, 4, 6], [0, 0, 0, 0]),
        ("strongest", [0, 2, 3, 6], [0, 0, 0, 0]),
        ("dual", [0, 1, 2, 3, 4, 6], [0, 1, 0, 0, 1, 0]),  # beam 4: its strongest is its last, one point
    ],
)
def test_each_mode_picks_its_echoes(mode, rows, tags):
    beam, _, energy, _, rank = echoes_of(DIST, ENERGY)
    got, tag = pick(beam, energy, rank, 5, mode)
    assert got.tolist() == rows and tag.tolist() == tags


def test_beam_rays_fan_about_the_axis_at_the_stated_angles():
    axes = np.array([[1.0, 0, 0], [0, 0.6, 0.8], [0, 0, 1.0]])
    rays = beam_rays(axes, 10.0, 7).reshape(3, 7, 3)
    np.testing.assert_allclose(np.linalg.norm(rays, axis=2), 1.0)
    np.testing.assert_allclose(rays[:, 0], axes)  # the first ray is the axis
    off, _ = beam_offsets(10.0, 7)
    angle = np.arccos(np.clip(np.sum(rays * axes[:, None], axis=2), -1, 1))
    np.testing.assert_allclose(angle, np.broadcast_to(off, (3, 7)), atol=1e-9)
    # Equal shares of a top-hat beam of half-angle 5 mrad: the axis ray's disc holds 1/7 of the area.
    assert off[1] == pytest.approx(np.sqrt(((5e-3 / np.sqrt(7)) ** 2 + 5e-3**2) / 2))


EDGE = """
version: 1
name: edge
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [wall, box]
objects:
  - {name: wall, type: box, class: wall, size: [0.2, 40, 40], position: [20.1, 0, 0], mass: 0, color: [0.5, 0.5, 0.5]}
  - {name: box, type: box, class: box, size: [0.2, 5, 5], position: [10.1, -2.48, 0], mass: 0, color: [0.9, 0.9, 0.9]}
cameras: [{position: [0, 0, 0], look_at: [1, 0, 0], width: 8, height: 8}]
sensors:
  - name: lidar
    type: lidar
    pattern: solid_state
    channels: 1
    elevations: [0]
    horizontal_fov: 6
    horizontal_resolution: 0.8571428
    min_range: 0.05
    max_range: 50
    beam_divergence: 30
    returns: RETURNS
"""


@pytest.fixture(params=["embree", "bullet"])
def backend(request):
    if request.param == "embree":
        pytest.importorskip("embreex")
    return request.param


def sweep(client, backend, returns, **extra):
    world, spec = make_world(client, EDGE.replace("RETURNS", returns))
    s = dataclasses.replace(spec.sensors[0], backend=backend, **extra)
    return Lidar(s, world, np.random.default_rng(0)).capture(0)


def test_beam_across_an_edge_returns_both_surfaces(client, backend):
    """The box's edge runs 2 cm left of the x axis at 10 m, the wall 10 m behind: the middle beam sees both.

    Beams 1 degree apart (17 cm at 10 m), 30 mrad wide (its ring of rays 11 cm off the axis): only
    the one along +x straddles the edge, with its axis ray and 3 of its 6 ring rays on the box.
    """
    dual = sweep(client, backend, "dual")
    az = np.degrees(np.arctan2(dual.xyz[:, 1], dual.xyz[:, 0]))
    mid = np.abs(az) < 0.3  # the beam along +x, across the edge
    assert sorted(dual.echo[mid].tolist()) == [0, 1]
    near, far = np.sort(dual.range[mid])
    assert near == pytest.approx(10.0, abs=2e-3) and far == pytest.approx(20.0, abs=5e-3)
    inst = dual.instance[mid][np.argsort(dual.range[mid])]
    assert inst.tolist() == [2, 1]  # box, then wall
    # Energy shares: each surface's reflectivity times the share of the beam's rays it took.
    np.testing.assert_allclose(np.sort(dual.intensity[mid]), [0.5 * 3 / 7, 0.9 * 4 / 7], atol=1e-3)
    # Beams wholly on one surface: one point at the analytic range, the single-ray intensity.
    one = ~mid
    assert np.all(dual.echo[one] == 0)
    d = dual.xyz[one] / np.linalg.norm(dual.xyz[one], axis=1, keepdims=True)
    expect = np.where(dual.instance[one] == 2, 10.0, 20.0) / d[:, 0]
    np.testing.assert_allclose(dual.range[one], expect, atol=5e-3)
    refl = np.where(dual.instance[one] == 2, 0.9, 0.5)
    np.testing.assert_allclose(dual.intensity[one], refl * d[:, 0], atol=2e-3)
    # The other modes pick one echo of the straddling beam each.
    first, last = sweep(client, backend, "first"), sweep(client, backend, "last")
    for scan, want in ((first, 10.0), (last, 20.0)):
        a = np.abs(np.degrees(np.arctan2(scan.xyz[:, 1], scan.xyz[:, 0]))) < 0.3
        assert a.sum() == 1 and scan.range[a][0] == pytest.approx(want, abs=5e-3)
    strongest = sweep(client, backend, "strongest")
    a = np.abs(np.degrees(np.arctan2(strongest.xyz[:, 1], strongest.xyz[:, 0]))) < 0.3
    assert a.sum() == 1 and strongest.instance[a][0] == 2  # the box took more of the beam, and is brighter
    assert len(first.range) == len(last.range) == len(strongest.range) == len(dual.range) - 1


def test_close_surfaces_merge_into_one_mixed_echo(client):
    """With the surfaces closer than echo_separation the edge beam gives one point between them."""
    pytest.importorskip("embreex")
    text = EDGE.replace("RETURNS", "dual").replace("position: [20.1, 0, 0]", "position: [10.5, 0, 0]")
    world, spec = make_world(client, text)
    scan = Lidar(dataclasses.replace(spec.sensors[0], backend="embree"), world, np.random.default_rng(0)).capture(0)
    mid = np.abs(np.degrees(np.arctan2(scan.xyz[:, 1], scan.xyz[:, 0]))) < 0.3
    assert mid.sum() == 1 and 10.0 < scan.range[mid][0] < 10.4  # a mixed pixel, as real sensors give


def test_divergence_off_is_the_single_ray_sweep(client):
    pytest.importorskip("embreex")
    world, spec = make_world(client, EDGE.replace("RETURNS", "dual"))
    s = dataclasses.replace(spec.sensors[0], backend="embree", beam_divergence=0.0)
    scan = Lidar(s, world, np.random.default_rng(0)).capture(0)
    assert len(scan.range) == 7 and scan.echo.dtype == np.uint8 and not scan.echo.any()


def test_same_seed_same_bytes_with_noise_and_dropout(client):
    pytest.importorskip("embreex")
    a = sweep(client, "embree", "dual", range_noise=0.01, dropout=0.2)
    b = sweep(client, "embree", "dual", range_noise=0.01, dropout=0.2)
    for f in ("xyz", "range", "intensity", "instance", "echo"):
        assert getattr(a, f).tobytes() == getattr(b, f).tobytes()


def test_unknown_returns_mode_is_a_user_error():
    with pytest.raises(SimgenError) as err:
        simgen.loads(EDGE.replace("RETURNS", "second"))
    assert "returns" in str(err.value)
