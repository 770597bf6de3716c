"""Labels of a fisheye camera: amodal masks, visibility and truncation go through the same lens."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import simgen
from simgen.batch.episode import run_episode
from simgen.labels.geometry import box_corners
from simgen.labels.instances import decode_mask
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout

LENS = (0.05, -0.012, 0.002, -0.0003)
SCENE = """
version: 1
name: fisheye_labels
world: {gravity: [0, 0, 0], settle_time: 0, ground: {type: none}}
classes: [a]
objects:
  - {name: front, type: box, class: a, size: [0.3, 0.3, 0.3], mass: 0, position: [1.2, -0.6, -0.5]}
  - {name: back, type: box, class: a, size: [0.4, 0.6, 0.4], mass: 0, position: [2.2, -0.85, -0.85]}
  - {name: side, type: box, class: a, size: [0.3, 0.3, 0.3], mass: 0, position: [1.2, 1.5, 0.0]}
cameras:
  - {name: cam, position: [0, 0, 0], rpy: [0, 0, 0], width: 160, height: 120,
     intrinsics: {fx: 80, fy: 80, cx: 79.5, cy: 59.5},
     distortion: {model: fisheye, k1: 0.05, k2: -0.012, k3: 0.002, k4: -0.0003}}
labels: {min_visible_pixels: 1}
"""


def _edges(lab, n: int = 300) -> np.ndarray:
    """(12 n, 3) camera-frame points along the 12 edges of a label's 3D box."""
    c = box_corners(np.array(lab.center_cam), np.array(lab.box_size), np.array(lab.R_cam))
    pairs = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4), (0, 4), (1, 5), (2, 6), (3, 7)]
    t = np.linspace(0, 1, n)[:, None]
    return np.concatenate([c[a] * (1 - t) + c[b] * t for a, b in pairs])


def _fisheye_box(frame, lab) -> np.ndarray:
    """[x, y, w, h] (pixel edges) of the box's edges projected by cv2.fisheye, clipped to the image."""
    k = frame.camera.K
    uv, _ = cv2.fisheye.projectPoints(_edges(lab).reshape(-1, 1, 3), np.zeros(3), np.zeros(3), k, np.array(LENS))
    uv = uv.reshape(-1, 2)
    x0, y0 = np.maximum(uv.min(axis=0) + 0.5, 0)
    x1, y1 = np.minimum(uv.max(axis=0) + 0.5, [frame.camera.width, frame.camera.height])
    return np.array([x0, y0, x1 - x0, y1 - y0])


@pytest.fixture(scope="module")
def labels():
    spec = simgen.sample(simgen.loads(SCENE), 0)
    assert spec.cameras[0].distortion_model == "fisheye"
    with quiet_stdout(), BulletClient() as client:
        (frame,) = list(run_episode(client, spec, "tiny"))
    return frame, {lab.object_name: lab for lab in frame.labels}


def test_unoccluded_fisheye_object_has_amodal_equal_to_visible(labels):
    frame, labs = labels
    lab = labs["front_0"]
    visible, amodal = decode_mask(lab.rle), decode_mask(lab.amodal_rle)
    assert (visible & amodal).sum() / (visible | amodal).sum() > 0.98
    assert lab.visibility > 0.98 and lab.occlusion == 0 and lab.truncation == 0.0


def test_occluded_fisheye_object_amodal_box_follows_the_lens(labels):
    frame, labs = labels
    back = labs["back_0"]
    assert back.amodal_area > back.area and 0.1 < back.visibility < 0.95
    assert (decode_mask(back.rle) & ~decode_mask(back.amodal_rle)).sum() == 0
    assert np.allclose(_fisheye_box(frame, back), back.amodal_bbox, atol=1.5)


def test_fisheye_object_at_the_border_is_truncated_through_the_lens(labels):
    frame, labs = labels
    side = labs["side_0"]
    assert side.bbox[0] == 0  # cut by the left border
    # In a pinhole camera with this K the box would lie entirely outside the image.
    corners = box_corners(np.array(side.center_cam), np.array(side.box_size), np.array(side.R_cam))
    assert (corners[:, 0] / corners[:, 2] * 80 + 79.5 < -0.5).all()
    assert 0.0 < side.truncation < 1.0
    assert np.allclose(_fisheye_box(frame, side), side.amodal_bbox, atol=1.5)
