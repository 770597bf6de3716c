"""Asset paths stay inside their roots: no '..', no absolute paths, no symlink escapes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import simgen
from simgen.errors import AssetError, ScenarioError
from simgen.scenario.assets import check_asset_path, resolve_asset


@pytest.fixture
def scene_dir(tmp_path: Path) -> Path:
    base = tmp_path / "scene"
    (base / "meshes").mkdir(parents=True)
    (base / "meshes" / "cube.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    (tmp_path / "secret.obj").write_text("v 0 0 0\n")
    return base


def test_relative_shipped_and_pybullet_paths_resolve(scene_dir: Path) -> None:
    assert resolve_asset("meshes/cube.obj", scene_dir) == (scene_dir / "meshes" / "cube.obj").resolve()
    assert resolve_asset("assets:meshes/torus.obj", scene_dir).name == "torus.obj"
    assert resolve_asset("pybullet_data:duck_vhacd.urdf", scene_dir).name == "duck_vhacd.urdf"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../secret.obj", "'..' in asset path"),
        ("meshes/../../secret.obj", "'..' in asset path"),
        ("assets:../pyproject.toml", "'..' in asset path"),
        ("pybullet_data:../../etc/passwd", "'..' in asset path"),
        ("/etc/passwd", "absolute path"),
        ("assets:/etc/passwd", "absolute path"),
        ("~/secret.obj", "absolute path"),
        ("meshes/cub.obj", "asset file not found"),
    ],
)
def test_escapes_and_missing_files_are_refused(scene_dir: Path, path: str, message: str) -> None:
    with pytest.raises(AssetError, match=message):
        resolve_asset(path, scene_dir)


def test_missing_file_suggests_a_neighbour(scene_dir: Path) -> None:
    with pytest.raises(AssetError) as err:
        resolve_asset("meshes/cube.ob", scene_dir)
    assert "did you mean 'cube.obj'?" in str(err.value)


def test_symlink_out_of_the_root_is_refused(scene_dir: Path) -> None:
    os.symlink(scene_dir.parent / "secret.obj", scene_dir / "meshes" / "link.obj")
    os.symlink(scene_dir.parent, scene_dir / "up")
    with pytest.raises(AssetError, match="leaves its root through a symlink"):
        resolve_asset("meshes/link.obj", scene_dir)
    with pytest.raises(AssetError, match="leaves its root through a symlink"):
        resolve_asset("up/secret.obj", scene_dir)
    # A symlink that stays inside the root is fine.
    os.symlink(scene_dir / "meshes" / "cube.obj", scene_dir / "inside.obj")
    assert resolve_asset("inside.obj", scene_dir).name == "cube.obj"


def test_wrong_suffix_for_kind(scene_dir: Path) -> None:
    assert check_asset_path("meshes/cube.obj", scene_dir, "urdf")[0].startswith("a urdf path must end in .urdf")
    assert check_asset_path("meshes/cube.obj", scene_dir, "mesh") is None


def test_scenario_with_escaping_asset_is_located(scene_dir: Path) -> None:
    text = """\
version: 1
name: esc
objects:
  - name: m
    type: mesh
    class: thing
    path: ../secret.obj
cameras:
  - {position: [1, 0, 1], look_at: [0, 0, 0]}
"""
    (scene_dir / "s.yaml").write_text(text)
    with pytest.raises(ScenarioError) as err:
        simgen.load(scene_dir / "s.yaml")
    msg = str(err.value)
    assert msg.startswith(f"{scene_dir / 's.yaml'}:7:5: objects[0].path: '..' in asset path")


def test_load_mesh_memo_gives_what_a_fresh_parse_gives_at_any_scale():
    """Mesh files are parsed once per process; every scale of the memo equals a fresh parse scaled."""
    import numpy as np
    import trimesh

    from simgen.resources import data_dir, pybullet_data_dir
    from simgen.scenario.assets import load_mesh

    for path in (pybullet_data_dir() / "duck.obj", data_dir("assets") / "meshes" / "torus.obj"):
        for scale in (1.0, 0.8123, 1.37):
            fresh = trimesh.load(str(path), force="mesh", process=True)
            fresh.apply_scale(scale)
            memo = load_mesh(path, scale)
            np.testing.assert_array_equal(memo.vertices, fresh.vertices)
            np.testing.assert_array_equal(memo.faces, fresh.faces)
            np.testing.assert_array_equal(memo.vertex_normals, fresh.vertex_normals)
            memo.apply_scale(2.0)  # the caller owns its copy
            np.testing.assert_array_equal(load_mesh(path, scale).vertices, fresh.vertices)
