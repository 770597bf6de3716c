"""Photoreal renderer: Blender's pixels line up with pybullet's ground truth.

The alignment tests need the optional ``bpy`` wheel (``simgen[blender]``) and are marked
``blender``; without it they skip, and the missing-extra error is tested instead.
"""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import pytest

import simgen
from simgen.errors import SimgenError
from simgen.sensors.blender import camera_settings
from simgen.sim.client import BulletClient
from simgen.sim.world import World

HAS_BPY = importlib.util.find_spec("bpy") is not None

SCENE = """\
version: 1
name: align
world: {settle_time: 0.0}
objects:
  - {name: box, type: box, class: thing, size: [0.3, 0.2, 0.25], position: [0.0, -0.45, 0.125], rpy: [0, 0, 25]}
  - {name: ball, type: sphere, class: thing, radius: 0.14, position: [0.45, 0.1, 0.14]}
  - {name: can, type: cylinder, class: thing, radius: 0.08, length: 0.3, position: [-0.45, 0.2, 0.15]}
  - {name: duck, type: urdf, class: thing, path: "pybullet_data:duck_vhacd.urdf", scale: 3, position: [0.05, 0.45, 0.1]}
cameras:
  - {name: cam, width: 160, height: 120, position: [1.1, -0.85, 0.9], look_at: [0, 0, 0.1], near: 0.05, far: 10}
"""


def _camera(spec, pitch_deg: float | None, cx_shift: float):
    cam = spec.cameras[0]
    K = np.array(cam.K, dtype=float)
    K[0, 2] += cx_shift
    if pitch_deg is not None:  # look down at the scene from straight in front, pitched by pitch_deg
        p = np.radians(pitch_deg)
        dist = 1.6
        eye = np.array([-dist * np.cos(p), 0.0, 0.1 + dist * np.sin(p)])
        fwd = (np.array([0.0, 0.0, 0.1]) - eye) / dist
        right = np.cross(fwd, [0, 0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        m = np.eye(4)
        m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = right, down, fwd, eye
        return dataclasses.replace(cam, K=K, world_from_camera=m)
    return dataclasses.replace(cam, K=K)


def test_camera_settings_reproduce_the_principal_point_and_focal_length():
    spec = simgen.sample(simgen.loads(SCENE), 0)
    cam = _camera(spec, None, cx_shift=7.0)
    s = camera_settings(cam)
    (fx, _, cx), (_, fy, cy), _ = cam.K
    big = max(cam.width, cam.height)
    assert s["lens"] / s["sensor_width"] * big == pytest.approx(fx)
    # Blender's shift moves the frustum by shift * max(W, H) pixels; pixel i spans [i, i+1]
    assert cam.width / 2 - s["shift_x"] * big == pytest.approx(cx + 0.5)
    assert cam.height / 2 + s["shift_y"] * big == pytest.approx(cy + 0.5)
    assert s["resolution_x"] == cam.width and s["pixel_aspect_x"] == s["pixel_aspect_y"] == 1.0
    doubled = camera_settings(cam, scale=2.0)
    assert doubled["resolution_x"] == 2 * cam.width and doubled["lens"] == pytest.approx(s["lens"])


def test_photoreal_renderer_without_bpy_is_a_one_line_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_bpy(name, *args, **kwargs):
        if name == "bpy":
            raise ImportError("No module named 'bpy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_bpy)
    from simgen.sensors.render import resolve_renderer

    with pytest.raises(SimgenError) as err:
        resolve_renderer("cycles")
    assert "simgen[blender]" in str(err.value) or "simgen[blender]" in (err.value.hint or "")


def test_cli_without_bpy_exits_2_and_writes_nothing(tmp_path, monkeypatch):
    import subprocess
    import sys

    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "bpy.py").write_text("raise ImportError('No module named bpy')\n")
    out = tmp_path / "out"
    env = {**__import__("os").environ, "PYTHONPATH": f"{blocker}:{__import__('os').environ.get('PYTHONPATH', '')}"}
    r = subprocess.run(
        [sys.executable, "-m", "simgen", "render", "quickstart", "--out", str(out), "--renderer", "cycles"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 2, r.stderr
    assert "pip install 'simgen[blender]'" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists() or not any(out.iterdir())


def _truth(world: World, cam) -> tuple[np.ndarray, np.ndarray]:
    from simgen.sensors.render import render

    raw = render(world.client, cam, "tiny", light=world.render_light())
    lut = np.concatenate([[0], world.instance_of_uid, [0]]).astype(np.int32)
    return np.take(lut, raw.body_uid + 1, mode="clip"), raw.depth


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


@pytest.mark.blender
@pytest.mark.skipif(not HAS_BPY, reason="needs the simgen[blender] extra (bpy)")
@pytest.mark.parametrize("pitch, cx_shift", [(None, 0.0), (15.0, 6.0), (40.0, -5.0)])
def test_blender_passes_align_with_pybullet_ground_truth(pitch, cx_shift):
    from simgen.sensors.blender import RenderSettings, blender_scene

    spec = simgen.sample(simgen.loads(SCENE), 0)
    cam = _camera(spec, pitch, cx_shift)
    with BulletClient() as client:
        world = World(client, spec)
        instance, depth = _truth(world, cam)
        scene = blender_scene("cycles")
        scene.build(world, RenderSettings(samples=1))
        b_instance, b_depth = scene.render_passes(world, cam)
    checked = 0
    for iid in range(1, 5):
        a, b = instance == iid, b_instance == iid
        if a.sum() < 30:
            continue
        checked += 1
        iou = (a & b).sum() / (a | b).sum()
        assert iou >= 0.98, (iid, iou)
        assert np.abs(np.subtract(_box(a), _box(b))).max() <= 1, (iid, _box(a), _box(b))
        both = a & b
        rel = np.abs(b_depth[both] - depth[both]) / depth[both]
        assert np.median(rel) < 0.01 and np.percentile(rel, 95) < 0.01, (iid, np.percentile(rel, 95))
    assert checked == 4


@pytest.mark.blender
@pytest.mark.skipif(not HAS_BPY, reason="needs the simgen[blender] extra (bpy)")
def test_photoreal_frames_are_seeded_and_labels_unchanged(tmp_path):
    from simgen.batch.runner import render_dataset as render_run

    scenario = simgen.loads(SCENE.replace("width: 160, height: 120", "width: 64, height: 48"))
    outs = []
    for name, renderer in (("a", "cycles"), ("b", "cycles"), ("t", "tiny")):
        out = tmp_path / name
        render_run(scenario, out, episodes=1, frames=1, renderer=renderer, formats=["coco"])
        outs.append(out)
    img = sorted((outs[0] / "coco" / "images").rglob("*.png"))[0]
    twin = outs[1] / img.relative_to(outs[0])
    assert img.read_bytes() == twin.read_bytes()  # same seed, same machine: same pixels
    ann = [(o / "coco" / "annotations" / "instances_train.json").read_text() for o in outs]
    strip = [__import__("json").loads(a)["annotations"] for a in ann]
    assert strip[0] == strip[2]  # labels come from the same pybullet pass whatever the renderer


TOPDOWN = """\
version: 1
name: blur
world: {settle_time: 0.0, gravity: [0, 0, 0], ground: {type: none}, sky: [0, 0, 0]}
objects:
  - {name: box, type: box, class: thing, size: [0.2, 0.2, 0.2], position: [0, 0, 0], color: [0.25, 0.25, 0.25]}
cameras:
  - {name: cam, width: 96, height: 96, fov_y: 40, position: [0, 0, 2], look_at: [0, 0, 0], up: [0, 1, 0],
     near: 0.05, far: 10}
"""


@pytest.mark.blender
@pytest.mark.skipif(not HAS_BPY, reason="needs the simgen[blender] extra (bpy)")
def test_motion_blur_streak_matches_the_true_velocity():
    """A box moving at 2 m/s for a 0.1 s exposure smears 0.2 m back along its motion."""
    from simgen.sensors.blender import RenderSettings, blender_scene

    spec = simgen.sample(simgen.loads(TOPDOWN), 0)
    cam = spec.cameras[0]
    fx = cam.K[0][0]
    profiles = {}
    with BulletClient() as client:
        world = World(client, spec)
        uid = world.uid_of[1]
        client.p.resetBaseVelocity(uid, [2.0, 0.0, 0.0], [0, 0, 0], physicsClientId=client.id)
        scene = blender_scene("cycles")
        for blur in (0.0, 0.1):
            scene.build(world, RenderSettings(samples=16, motion_blur=blur, denoise=False, view_transform="Standard"))
            srgb = scene.render(world, cam, seed=3).astype(float) / 255
            linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4).mean(axis=2)
            profiles[blur] = linear[40:56].mean(axis=0)  # rows through the box's middle, in linear light
    depth = 2.0 - 0.1  # the box's top face, the part the camera sees
    streak_px = 2.0 * 0.1 * fx / depth
    x = np.arange(cam.width)
    sharp, blurred = profiles[0.0], profiles[0.1]
    centroid = {k: (x * v).sum() / v.sum() for k, v in profiles.items()}
    # A uniform smear of length D back along the motion moves the centroid by D/2 and keeps the energy.
    # The image's +x is the world's +x for this camera (up = world +y), so the smear trails to the left.
    assert centroid[0.0] - centroid[0.1] == pytest.approx(streak_px / 2, abs=1.0)
    assert blurred.sum() == pytest.approx(sharp.sum(), rel=0.1)
    # ... and widens it: a uniform smear of length D adds D^2 / 12 to the profile's variance
    var = {k: (((x - centroid[k]) ** 2) * v).sum() / v.sum() for k, v in profiles.items()}
    assert var[0.1] - var[0.0] == pytest.approx(streak_px**2 / 12, rel=0.3)
