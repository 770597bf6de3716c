"""The asset cache: content-addressed by (type, generator version, params), atomic, shared by workers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simgen.assets import cache
from simgen.assets.registry import ASSETS

PARAMS = {"height": 1.0, "build": 1.0, "color": None, "seed": 7}


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "cache_dir", lambda: tmp_path)
    monkeypatch.setattr(cache, "_MEMORY", {})
    return tmp_path


def test_first_use_writes_one_file_and_a_new_process_reads_the_same_mesh(fresh):
    a = cache.asset_mesh("dog", PARAMS)
    files = list(fresh.iterdir())
    assert [f.suffix for f in files] == [".npz"] and files[0].name.startswith("dog-")
    cache._MEMORY.clear()  # as another worker would: only the disk is shared
    b = cache.asset_mesh("dog", PARAMS)
    assert b is not a
    for pa, pb in zip(a.parts, b.parts, strict=True):
        assert pa.name == pb.name and pa.material == pb.material and pa.joint == pb.joint
        assert np.array_equal(pa.mesh.vertices, pb.mesh.vertices) and np.array_equal(pa.mesh.faces, pb.mesh.faces)
    assert a.keypoints == b.keypoints and a.attributes == b.attributes


def test_key_covers_params_and_generator_version(fresh, monkeypatch):
    k = cache.asset_key("dog", PARAMS)
    assert cache.asset_key("dog", {**PARAMS, "seed": 8}) != k
    monkeypatch.setitem(ASSETS, "dog", dataclasses.replace(ASSETS["dog"], version=ASSETS["dog"].version + 1))
    assert cache.asset_key("dog", PARAMS) != k


def test_a_damaged_cache_file_is_regenerated(fresh):
    cache.asset_mesh("dog", PARAMS)
    (path,) = fresh.iterdir()
    path.write_bytes(b"not an npz")
    cache._MEMORY.clear()
    mesh = cache.asset_mesh("dog", PARAMS)
    assert mesh.parts[0].name == "body"
    assert path.stat().st_size > 1000


def test_no_temporary_files_are_left_behind(fresh):
    for seed in range(3):
        cache.asset_mesh("dog", {**PARAMS, "seed": seed})
    assert sorted(f.suffix for f in fresh.iterdir()) == [".npz"] * 3


def test_visual_meshes_per_link_as_plain_arrays():
    from simgen.scenario.spec import ObjectInstance

    params = {"length": 4.5, "width": 1.8, "height": 1.45, "wheel_radius": 0.32, "color": None, "wear": 0.1, "seed": 1}
    obj = ObjectInstance(
        1,
        "car_0",
        "car",
        "car",
        1,
        "sedan",
        {"params": params},
        (0, 0, 0),
        (0, 0, 0, 1),
        (0, 0, 0),
        1.0,
        None,
        0.6,
        0.0,
        0.0,
        0.04,
    )
    meshes = cache.asset_visual_meshes(obj)
    assert [m[0] for m in meshes] == list(range(-1, len(meshes) - 1))
    for _, v, f in meshes:
        assert v.dtype == np.float64 and v.shape[1] == 3 and f.dtype == np.int64 and f.max() < len(v)
