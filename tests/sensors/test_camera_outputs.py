"""Camera outputs against analytic geometry: tilted plane depth/normals, flow, distortion, stereo."""

from __future__ import annotations

import cv2
import numpy as np

from simgen.core.lens import pixel_grid
from simgen.core.transforms import matrix_from_quaternion, pose_matrix, project
from simgen.sensors.camera.runtime import Camera

from .conftest import make_world, rng, set_velocity

TILTED = """
version: 1
name: tilted
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [plate]
objects:
  - {name: plate, type: box, class: plate, size: [6, 6, 0.02], position: [0, 0, 0], rpy: [10, 30, 0], mass: 0}
cameras:
  - {position: [0.3, 0.2, 3], look_at: [0, 0, 0], up: [1, 0, 0], width: 160, height: 120, fov_y: 50,
     outputs: [rgb, depth, instance, normals, object_coords]}
"""


def _interior(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` whose 4-neighbours are in the mask too (no silhouette edges)."""
    return cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)


def test_depth_and_normals_on_tilted_plane(client):
    world, spec = make_world(client, TILTED)
    frame = Camera(spec.cameras[0], world, rng()).capture(0)
    obj = spec.objects[0]
    n_world = matrix_from_quaternion(obj.orientation) @ [0, 0, 1]
    c = np.asarray(obj.position) + 0.01 * n_world  # top face
    cam = frame.camera
    rot, origin = cam.world_from_camera[:3, :3], cam.world_from_camera[:3, 3]
    u, v = pixel_grid(cam.width, cam.height)
    rays = np.stack([(u - cam.K[0, 2]) / cam.K[0, 0], (v - cam.K[1, 2]) / cam.K[1, 1], np.ones_like(u)], -1)
    t = (n_world @ (c - origin)) / (rays @ rot.T @ n_world)
    inside = _interior(frame.instance == 1)
    assert inside.mean() > 0.9
    depth_err = np.abs(frame.depth - t)[inside]
    assert np.median(depth_err) < 1e-3 and depth_err.max() < 5e-3
    n_cam = rot.T @ n_world
    n_cam = n_cam if n_cam[2] < 0 else -n_cam  # facing the camera
    cos = np.clip(frame.normals[inside] @ n_cam, -1, 1)
    ang = np.degrees(np.arccos(cos))
    assert np.median(ang) < 0.2 and np.percentile(ang, 99) < 1.0
    # Object coordinates: on the plate's top face (local z = +0.01), inside its extent.
    oc = frame.object_coords[inside]
    assert np.allclose(oc[:, 2], 0.01, atol=2e-3)
    assert np.all(np.abs(oc[:, :2]) <= 3.0 + 1e-3)
    assert np.all(np.isnan(frame.object_coords[frame.instance == 0]))


FLOW = """
version: 1
name: flow
world: {gravity: [0, 0, 0], settle_time: 0, time_step: 0.01}
classes: [cart, crate]
objects:
  - {name: cart, type: box, class: cart, size: [0.2, 0.2, 0.2], position: [0, 0, 3], mass: 1, angular_damping: 0}
  - {name: crate, type: box, class: crate, size: [0.5, 0.5, 0.1], position: [-5, 0, 1], mass: 1, angular_damping: 0}
cameras:
  - {name: down, mount: {body: cart_0}, position: [0, 0, -0.15], look_at: [0, 0, -1], up: [1, 0, 0],
     width: 160, height: 120, fov_y: 60, outputs: [rgb, depth, instance, flow]}
  - {name: fixed, position: [-5, 0, 3], look_at: [-5, 0, 0], up: [1, 0, 0],
     width: 160, height: 120, fov_y: 60, outputs: [rgb, depth, instance, flow]}
"""


def test_flow_of_translating_camera_over_plane(client):
    world, spec = make_world(client, FLOW)
    v = np.array([1.5, 0.8, 0.0])
    set_velocity(world, "cart_0", linear=v)
    cam = Camera(spec.cameras[0], world, rng())
    assert cam.capture(0) is None  # held back until the next capture's poses are known
    world.step(10)
    frame = cam.capture(10)
    assert frame is not None and frame.index == 0
    cart = spec.objects[0]
    assert np.allclose(
        frame.camera.world_from_camera, pose_matrix(cart.position, cart.orientation) @ cam.spec.mount_from_camera
    )
    dt = 10 * 0.01
    rot = frame.camera.world_from_camera[:3, :3]
    d_cam = rot.T @ (v * dt)
    h = frame.camera.world_from_camera[2, 3]
    k = frame.camera.K
    expected = np.array([-k[0, 0] * d_cam[0] / h, -k[1, 1] * d_cam[1] / h])
    ground = frame.depth > 0
    assert ground.mean() > 0.99
    err = np.linalg.norm(frame.flow[ground] - expected, axis=1)
    assert np.median(err) < 0.5
    assert np.linalg.norm(expected) > 5  # the motion is large enough to matter


def test_flow_of_moving_object_seen_by_fixed_camera(client):
    world, spec = make_world(client, FLOW)
    v = np.array([0.5, 0.0, 0.0])
    set_velocity(world, "crate_0", linear=v)
    cam = Camera(spec.cameras[1], world, rng())
    cam.capture(0)
    world.step(10)
    frame = cam.capture(10)
    rot = frame.camera.world_from_camera[:3, :3]
    d_cam = rot.T @ (v * 0.1)
    z_top = 3 - 1.05
    expected = np.array([frame.camera.K[0, 0] * d_cam[0] / z_top, frame.camera.K[1, 1] * d_cam[1] / z_top])
    box = _interior(frame.instance == 2)
    assert box.sum() > 100
    assert np.median(np.linalg.norm(frame.flow[box] - expected, axis=1)) < 0.5
    ground = _interior(frame.instance == 0) & (frame.depth > 0)
    assert np.median(np.linalg.norm(frame.flow[ground], axis=1)) < 1e-3


def test_projection_matches_cv2_project_points():
    k = np.array([[400.0, 0, 161.3], [0, 390.0, 118.7], [0, 0, 1]])
    dist = (-0.28, 0.09, 0.0012, -0.0008, -0.015)
    gen = np.random.default_rng(0)
    pts = np.column_stack([gen.uniform(-1, 1, 200), gen.uniform(-0.8, 0.8, 200), gen.uniform(1, 4, 200)])
    ours = project(k, pts, dist)
    ref, _ = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), k, np.asarray(dist))
    assert np.max(np.abs(ours - ref.reshape(-1, 2))) < 1e-9


DISTORTED = """
version: 1
name: distorted
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [ball]
objects:
  - {name: ball, type: sphere, class: ball, radius: 0.08, position: [2, 0.9, 0.55], mass: 0}
cameras:
  - {position: [0, 0, 0], rpy: [0, 0, 0], width: 160, height: 120, fov_y: 60,
     distortion: {k1: -0.3, k2: 0.08, p1: 0.002, p2: -0.001, k3: 0.0}}
"""


def test_distorted_image_and_labels_match_projection(client):
    world, spec = make_world(client, DISTORTED)
    frame = Camera(spec.cameras[0], world, rng()).capture(0)
    cam = frame.camera
    center_world = np.array([2, 0.9, 0.55])
    cw = np.linalg.inv(cam.world_from_camera)
    pc = cw[:3, :3] @ center_world + cw[:3, 3]
    expected = project(cam.K, pc[None], cam.distortion)[0]
    ideal = project(cam.K, pc[None])[0]
    assert np.linalg.norm(expected - ideal) > 4  # the lens moves the ball by several pixels
    ys, xs = np.nonzero(frame.instance == 1)
    assert len(xs) > 20
    centroid = np.array([xs.mean(), ys.mean()])
    assert np.linalg.norm(centroid - expected) < 0.5
    ref, _ = cv2.projectPoints(pc[None], np.zeros(3), np.zeros(3), cam.K, np.asarray(cam.distortion))
    assert np.linalg.norm(ref.reshape(2) - expected) < 1e-9
    # Labels are computed from the distorted mask.
    from simgen.labels.instances import label_frame

    label_frame(frame, 1)
    x, y, w, h = frame.labels[0].bbox
    assert x <= expected[0] <= x + w and y <= expected[1] <= y + h
    assert frame.labels[0].area == len(xs)


STEREO = """
version: 1
name: stereo
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [plate]
objects:
  - {name: plate, type: box, class: plate, size: [0.02, 0.5, 0.5], position: [2.01, 0.1, 0.05], mass: 0}
cameras:
  - {name: eye, position: [0, 0, 0], rpy: [0, 0, 0], width: 160, height: 120, stereo: {baseline: 0.2},
     intrinsics: {fx: 100, fy: 100, cx: 79.5, cy: 59.5}}
"""


def test_stereo_disparity_of_plane_is_fx_b_over_z(client):
    world, spec = make_world(client, STEREO)
    left, right = spec.cameras
    assert (left.name, right.name) == ("eye_left", "eye_right")
    fl = Camera(left, world, rng()).capture(0)
    fr = Camera(right, world, rng()).capture(0)
    ul = np.nonzero(fl.instance == 1)[1].mean()
    ur = np.nonzero(fr.instance == 1)[1].mean()
    fx = left.K[0, 0]
    assert fx * 0.2 / 2.0 == 10.0
    assert abs((ul - ur) - fx * 0.2 / 2.0) < 0.1
    assert np.allclose(fl.depth[fl.instance == 1], 2.0, atol=2e-3)


def test_empty_pixels_have_no_depth_normal_or_flow(client):
    # Regression: TinyRenderer leaves empty pixels just short of the far plane, not at 1.0.
    text = DISTORTED.replace(
        "distortion: {k1: -0.3, k2: 0.08, p1: 0.002, p2: -0.001, k3: 0.0}",
        "outputs: [rgb, depth, instance, normals, flow]",
    )
    world, spec = make_world(client, text)
    cam = Camera(spec.cameras[0], world, rng())
    cam.capture(0)
    world.step(1)
    frame = cam.capture(1)
    empty = frame.instance == 0
    assert empty.mean() > 0.9
    assert np.all(frame.depth[empty] == 0)
    assert np.all(np.isnan(frame.normals[empty])) and np.all(np.isnan(frame.flow[empty]))
    assert not np.isnan(frame.flow[_interior(~empty)]).any()
