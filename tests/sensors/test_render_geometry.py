"""Rendered depth and boxes against analytic geometry, on every renderer.

A camera looking straight at a plane from a known distance must see that distance everywhere
(depth is along the optical axis, so it is constant over a plane perpendicular to the axis); a
static box of known size and pose must get a bbox within 1 px of its projected corners.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import simgen
from simgen.batch.episode import run_episode
from simgen.core.transforms import rotation_from_rpy
from simgen.labels.instances import instance_map, label_instances
from simgen.sensors.camera.pinhole import project_points
from simgen.sensors.render import attach, render
from simgen.sim.client import BulletClient
from simgen.sim.world import World

_CLIENTS: dict[str, BulletClient] = {}


@pytest.fixture(scope="module", autouse=True)
def _close_clients():
    """One client per renderer for this module (loading the EGL plugin costs ~0.5 s); closed at the end."""
    yield
    while _CLIENTS:
        _CLIENTS.popitem()[1].close()


def _render_first(text: str, renderer: str):
    """Episode 0 of a scenario given as YAML: its spec, the raw image of camera 0 and the instance map."""
    spec = simgen.sample(simgen.loads(text), 0)
    client = _CLIENTS.get(renderer) or _CLIENTS.setdefault(renderer, BulletClient())
    attach(client, renderer)
    world = World(client, spec)
    world.step(spec.world.settle_steps)
    raw = render(client, spec.cameras[0], renderer)
    inst = instance_map(raw.body_uid, world.instance_of_uid)
    return spec, raw, inst


def _plane_scene(height: float, camera: str) -> str:
    return f"""
version: 1
name: plane
world: {{settle_time: 0}}
cameras:
  - width: 160
    height: 120
    near: 0.05
    far: 20
    position: [0.3, -0.2, {height}]
{camera}
"""


@pytest.mark.parametrize(
    ("height", "camera"),
    [
        (2.0, "    look_at: [0.3, -0.2, 0]\n    up: [0, 1, 0]\n    fov_y: 60"),
        (3.7, "    rpy: [0, 90, 25]\n    fov_y: 45"),
        (1.3, "    look_at: [0.3, -0.2, 0]\n    up: [1, 0, 0]\n    intrinsics: {fx: 140, fy: 120, cx: 60.5, cy: 70}"),
    ],
    ids=["look_at", "rpy", "explicit_K"],
)
def test_depth_of_ground_plane_seen_straight_down(renderer: str, height: float, camera: str) -> None:
    spec, raw, _ = _render_first(_plane_scene(height, camera), renderer)
    cam = spec.cameras[0]
    # The optical axis points straight down, so every pixel sees the plane at depth == height.
    assert np.allclose(cam.world_from_camera[:3, 2], [0, 0, -1], atol=1e-9)
    depth = raw.depth
    assert depth.shape == (120, 160) and depth.dtype == np.float32
    rel = np.abs(depth.astype(np.float64) - height) / height
    # Centre, corners and off-centre pixels: all within 0.1 %.
    for v, u in [(60, 80), (0, 0), (0, 159), (119, 0), (119, 159), (17, 131), (101, 23)]:
        assert rel[v, u] < 1e-3, (v, u, float(depth[v, u]), height)
    assert float(rel.max()) < 1e-3


def test_depth_of_wall_in_front_of_camera(renderer: str) -> None:
    # A static box wall whose front face lies 1.5 m in front of a horizontal camera.
    text = """
version: 1
name: wall
world: {settle_time: 0, ground: {type: none}}
objects:
  - {name: wall, type: box, class: wall, mass: 0, size: [0.2, 20, 20], position: [1.6, 0, 1]}
cameras:
  - {width: 160, height: 120, fov_y: 70, near: 0.1, far: 10, position: [0, 0.2, 1.1], rpy: [0, 0, 0]}
"""
    _, raw, inst = _render_first(text, renderer)
    assert (inst == 1).all(), "the wall fills the whole image"
    rel = np.abs(raw.depth.astype(np.float64) - 1.5) / 1.5
    assert float(rel.max()) < 1e-3


def test_empty_view_has_zero_depth_and_no_instances(renderer: str) -> None:
    text = _plane_scene(2.0, "    look_at: [0.3, -0.2, 5]\n    up: [0, 1, 0]")
    _, raw, inst = _render_first(text, renderer)
    assert (raw.depth == 0).all()
    assert (inst == 0).all()


def _box_scene(camera: str) -> str:
    return f"""
version: 1
name: box
world: {{settle_time: 0}}
objects:
  - name: crate
    type: box
    class: crate
    mass: 0
    size: [0.4, 0.25, 0.3]
    position: [0.1, -0.05, 0.15]
    rpy: [0, 0, 33]
cameras:
  - width: 160
    height: 120
    near: 0.05
    far: 10
    position: [1.2, -0.9, 0.8]
    look_at: [0.1, -0.05, 0.15]
{camera}
"""


def _projected_box(spec) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of the box's 8 projected corners in pixel-corner (COCO/OpenGL) coordinates."""
    obj = spec.objects[0]
    half = np.asarray(obj.shape["size"]) / 2
    corners = np.array(list(itertools.product(*[(-h, h) for h in half])))
    world = corners @ rotation_from_rpy(obj.rpy_deg).T + np.asarray(obj.position)
    uv = project_points(spec.cameras[0], world) + 0.5  # OpenCV centres at integers -> pixel corners
    return float(uv[:, 0].min()), float(uv[:, 1].min()), float(uv[:, 0].max()), float(uv[:, 1].max())


@pytest.mark.parametrize(
    "camera",
    ["    fov_y: 50", "    intrinsics: {fx: 150, fy: 165, cx: 92.3, cy: 51.7}"],
    ids=["fov", "off_centre_principal_point"],
)
def test_box_bbox_matches_projected_corners(renderer: str, camera: str) -> None:
    spec, _, inst = _render_first(_box_scene(camera), renderer)
    labels = label_instances(inst, spec.objects, min_pixels=1)
    assert [lab.class_name for lab in labels] == ["crate"]
    x, y, w, h = labels[0].bbox
    px0, py0, px1, py1 = _projected_box(spec)
    assert 0 < px0 and px1 < 160 and 0 < py0 and py1 < 120, "box must be fully in view for this test"
    got = np.array([x, y, x + w, y + h])
    want = np.array([px0, py0, px1, py1])
    assert np.abs(got - want).max() <= 1.0, (got, want)


def test_principal_point_moves_the_box(renderer: str) -> None:
    # Shifting cx by +20 px must shift the rendered box by +20 px (guards the half-pixel/flip maths).
    a, _, inst_a = _render_first(_box_scene("    intrinsics: {fx: 150, fy: 150, cx: 79.5, cy: 59.5}"), renderer)
    b, _, inst_b = _render_first(_box_scene("    intrinsics: {fx: 150, fy: 150, cx: 99.5, cy: 44.5}"), renderer)
    la = label_instances(inst_a, a.objects, 1)[0].bbox
    lb = label_instances(inst_b, b.objects, 1)[0].bbox
    assert abs((lb[0] - la[0]) - 20) <= 1 and abs((lb[1] - la[1]) + 15) <= 1
    assert abs(lb[2] - la[2]) <= 1 and abs(lb[3] - la[3]) <= 1


def test_free_fall_matches_half_g_t_squared() -> None:
    g, dt, z0 = 9.81, 1 / 240, 20.0
    text = f"""
version: 1
name: fall
frames: 5
world: {{gravity: [0, 0, -{g}], time_step: {dt}, settle_time: 0.25, frame_rate: 5, ground: {{type: none}}}}
objects:
  - {{name: ball, type: sphere, class: ball, radius: 0.1, mass: 2, position: [0, 0, {z0}]}}
cameras:
  - {{width: 16, height: 12, position: [5, 0, 1], look_at: [0, 0, 1]}}
"""
    spec = simgen.sample(simgen.loads(text), 0)
    assert spec.objects[0].linear_damping == 0.0
    with BulletClient() as client:
        frames = list(run_episode(client, spec, "tiny"))
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    for f in frames:
        t = f.time
        assert math.isclose(t, spec.frame_time(f.index))
        (x, y, z), _ = f.poses[1]
        exact = z0 - 0.5 * g * t * t
        # Semi-implicit Euler lags the exact curve by g*dt*t/2.
        assert abs(z - exact) <= 0.5 * g * dt * t + 1e-6, (t, z, exact)
        assert abs(x) < 1e-9 and abs(y) < 1e-9
    assert frames[-1].time == pytest.approx(0.25 + 4 * 0.2)
    # The ball really fell (guards against a frozen clock).
    assert frames[-1].poses[1][0][2] < z0 - 5
