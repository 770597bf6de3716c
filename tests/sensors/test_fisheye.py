"""Fisheye (Kannala-Brandt) cameras against OpenCV's cv2.fisheye: projection, masks, bent lines."""

from __future__ import annotations

import cv2
import numpy as np

from simgen.core.lens import fisheye_theta_d, fisheye_theta_max, fisheye_undistort_points, lens_map
from simgen.core.transforms import project
from simgen.sensors.camera.runtime import Camera

from .conftest import make_world, rng

LENS = (0.05, -0.012, 0.002, -0.0003)


def _cv2_fisheye(k: np.ndarray, dist: tuple[float, ...], pts: np.ndarray) -> np.ndarray:
    ref, _ = cv2.fisheye.projectPoints(
        pts.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), k, np.asarray(dist), alpha=k[0, 1] / k[0, 0]
    )
    return ref.reshape(-1, 2)


def test_fisheye_projection_matches_cv2_fisheye_project_points():
    gen = np.random.default_rng(0)
    pts = np.column_stack([gen.uniform(-3, 3, 400), gen.uniform(-2, 2, 400), gen.uniform(0.3, 4, 400)])
    for k in (
        np.array([[90.0, 0, 81.2], [0, 88.0, 58.9], [0, 0, 1]]),
        np.array([[300.0, 1.5, 321.0], [0, 310.0, 243.0], [0, 0, 1]]),  # with skew
    ):
        ours = project(k, pts, LENS, "fisheye")
        assert not np.isnan(ours).any()
        assert np.max(np.abs(ours - _cv2_fisheye(k, LENS, pts))) < 1e-6
        # The plumb-bob model with the same numbers is a different lens.
        assert np.max(np.abs(project(k, pts, (*LENS, 0.0)) - ours)) > 10


def test_fisheye_points_behind_or_beyond_the_lens_are_nan():
    k = np.array([[100.0, 0, 80], [0, 100.0, 60], [0, 0, 1]])
    folding = (-0.3, 0.0, 0.0, 0.0)  # theta_d stops increasing at theta = 1/sqrt(0.9) rad
    theta_max = fisheye_theta_max(folding)
    assert abs(theta_max - 1 / np.sqrt(0.9)) < 1e-12
    inside, beyond = np.tan(theta_max - 0.01), np.tan(theta_max + 0.01)
    pts = np.array([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [inside, 0.0, 1.0], [beyond, 0.0, 1.0]])
    uv = project(k, pts, folding, "fisheye")
    assert np.isnan(uv[:2]).all() and np.isnan(uv[3]).all()
    assert np.isfinite(uv[2]).all()
    # Inverting the lens past its reach gives NaN too, never a folded-back angle.
    reach = float(fisheye_theta_d(np.float64(theta_max), folding))
    xy = fisheye_undistort_points(np.array([[reach * 0.99, 0.0], [reach * 1.01, 0.0]]), folding)
    assert np.isfinite(xy[0]).all() and np.isnan(xy[1]).all()
    theta = np.arctan(xy[0, 0])
    assert theta < theta_max and abs(fisheye_theta_d(theta, folding) - reach * 0.99) < 1e-12


def test_lens_map_inverts_the_fisheye_projection():
    k = np.array([[80.0, 0, 79.5], [0, 80.0, 59.5], [0, 0, 1]])
    from simgen.sensors.camera.model import CameraSpec

    cam = CameraSpec("c", 160, 120, k, 0.05, 50.0, np.eye(4), distortion=LENS, distortion_model="fisheye")
    lens = lens_map(cam)
    ideal = lens.ideal
    assert ideal.distortion is None and ideal.width < 3 * 2 * 160
    # Ideal pixel -> ray -> fisheye pixel must land back on the distorted pixel that samples it.
    ki = ideal.K
    rays = np.column_stack(
        [(lens.map_x.ravel() - ki[0, 2]) / ki[0, 0], (lens.map_y.ravel() - ki[1, 2]) / ki[1, 1], np.ones(160 * 120)]
    )
    back = project(k, rays.astype(np.float64), LENS, "fisheye")
    u, v = np.meshgrid(np.arange(160.0), np.arange(120.0))
    assert np.max(np.abs(back - np.column_stack([u.ravel(), v.ravel()]))) < 1e-3  # float32 tables


FISHEYE_BOX = """
version: 1
name: fisheye_box
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [crate]
objects:
  - {name: crate, type: box, class: crate, size: [0.4, 0.5, 0.3], position: [1.6, 1.1, 0.45], mass: 0,
     color: [0.9, 0.1, 0.1, 1]}
cameras:
  - {position: [0, 0, 0], rpy: [0, 0, 0], width: 160, height: 120,
     intrinsics: {fx: 80, fy: 80, cx: 79.5, cy: 59.5},
     distortion: {model: fisheye, k1: 0.05, k2: -0.012, k3: 0.002, k4: -0.0003}}
"""


def _box_edge_points(center: np.ndarray, size: np.ndarray, n: int = 400) -> np.ndarray:
    """(12 n, 3) world points densely along the 12 edges of an axis-aligned box."""
    half = size / 2
    t = np.linspace(-1, 1, n)
    out = []
    for axis in range(3):
        others = [a for a in range(3) if a != axis]
        for s0 in (-1, 1):
            for s1 in (-1, 1):
                p = np.zeros((n, 3))
                p[:, axis] = t * half[axis]
                p[:, others[0]] = s0 * half[others[0]]
                p[:, others[1]] = s1 * half[others[1]]
                out.append(center + p)
    return np.concatenate(out)


def _to_camera(frame, pts_world: np.ndarray) -> np.ndarray:
    cw = np.linalg.inv(frame.camera.world_from_camera)
    return pts_world @ cw[:3, :3].T + cw[:3, 3]


def test_fisheye_frame_mask_matches_cv2_fisheye_projection(client):
    world, spec = make_world(client, FISHEYE_BOX)
    cam_spec = spec.cameras[0]
    assert cam_spec.distortion_model == "fisheye" and cam_spec.distortion == LENS
    frame = Camera(cam_spec, world, rng()).capture(0)
    cam = frame.camera
    pc = _to_camera(frame, _box_edge_points(np.array([1.6, 1.1, 0.45]), np.array([0.4, 0.5, 0.3])))
    uv = _cv2_fisheye(cam.K, LENS, pc)
    ys, xs = np.nonzero(frame.instance == 1)
    assert len(xs) > 200
    got = np.array([xs.min(), ys.min(), xs.max(), ys.max()], dtype=float)
    want = np.array([uv[:, 0].min(), uv[:, 1].min(), uv[:, 0].max(), uv[:, 1].max()])
    assert np.max(np.abs(got - want)) < 1.5, (got, want)
    # A pinhole camera with the same K would put the box somewhere else entirely.
    pinhole = project(cam.K, pc)
    assert np.max(np.abs(np.array([*pinhole.min(axis=0), *pinhole.max(axis=0)]) - want)) > 10
    # RGB went through the same remap: red exactly on the mask (away from its edges), black elsewhere.
    mask = (frame.instance == 1).astype(np.uint8)
    inner = cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)
    outer = ~cv2.dilate(mask, np.ones((3, 3), np.uint8)).astype(bool)
    red = frame.rgb[..., 0].astype(int) - frame.rgb[..., 1].astype(int) > 40
    assert red[inner].mean() > 0.99 and red[outer].mean() < 0.01
    # Labels come from the distorted mask.
    from simgen.labels.instances import label_frame

    label_frame(frame, 1)
    x, y, w, h = frame.labels[0].bbox
    assert np.allclose([x, y, x + w - 1, y + h - 1], got, atol=1.0)
    assert frame.labels[0].area == len(xs)


FISHEYE_BAR = """
version: 1
name: fisheye_bar
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [bar]
objects:
  - {name: bar, type: box, class: bar, size: [0.08, 12, 0.08], position: [2, 0, 0.9], mass: 0}
cameras:
  - {position: [0, 0, 0], rpy: [0, 0, 0], width: 160, height: 120,
     intrinsics: {fx: 80, fy: 80, cx: 79.5, cy: 59.5},
     distortion: {model: fisheye, k1: 0.05, k2: -0.012, k3: 0.002, k4: -0.0003}}
"""


def test_fisheye_bends_a_straight_bar_as_predicted(client):
    world, spec = make_world(client, FISHEYE_BAR)
    frame = Camera(spec.cameras[0], world, rng()).capture(0)
    cam = frame.camera
    mask = frame.instance == 1
    cols = np.nonzero(mask.any(axis=0))[0]
    assert cols.min() == 0 and cols.max() == 159  # the bar crosses the whole image
    rows = np.arange(120)[:, None]
    centre = (rows * mask).sum(axis=0)[cols] / mask.sum(axis=0)[cols]
    # Prediction: the bar's four long edges projected by OpenCV; per column, middle of their span.
    edges = _box_edge_points(np.array([2.0, 0, 0.9]), np.array([0.08, 12, 0.08]), 20000)
    uv = _cv2_fisheye(cam.K, LENS, _to_camera(frame, edges))
    want = []
    for c in cols:
        near = np.abs(uv[:, 0] - c) < 0.5
        want.append(0.5 * (uv[near, 1].min() + uv[near, 1].max()))
    want = np.array(want)
    assert np.max(np.abs(centre - want)) < 1.0
    # Bent, not straight: the ends sag towards the centre row by several pixels.
    middle = centre[np.abs(cols - 79.5) < 3].mean()
    ends = 0.5 * (centre[cols < 5].mean() + centre[cols > 154].mean())
    assert ends - middle > 5
    line = np.polyfit(cols, centre, 1)
    assert np.max(np.abs(np.polyval(line, cols) - centre)) > 2


def test_fisheye_flow_is_the_difference_of_fisheye_projections():
    from simgen.sensors.camera.model import CameraSpec
    from simgen.sensors.camera.outputs import forward_flow

    k = np.array([[80.0, 0, 79.5], [0, 80.0, 59.5], [0, 0, 1]])
    cam = CameraSpec("c", 8, 6, k, 0.05, 50.0, np.eye(4), distortion=LENS, distortion_model="fisheye")
    gen = np.random.default_rng(1)
    pts = np.column_stack([gen.uniform(-2, 2, 48), gen.uniform(-1.5, 1.5, 48), gen.uniform(1, 3, 48)])
    moved = np.eye(4)
    moved[:3, 3] = (0.3, -0.1, 0.2)  # the camera moves; the scene (instance 0) stays
    flow = forward_flow(pts.reshape(6, 8, 3), np.zeros((6, 8), np.int32), cam, moved, {}, {})
    pts1 = pts - moved[:3, 3]
    want = _cv2_fisheye(k, LENS, pts1) - _cv2_fisheye(k, LENS, pts)
    assert np.max(np.abs(flow.reshape(-1, 2) - want)) < 1e-3  # float32 output
    pinhole = project(k, pts1) - project(k, pts)
    assert np.max(np.abs(pinhole - want)) > 1
