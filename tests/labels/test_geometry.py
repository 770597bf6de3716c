"""Round trips and analytic checks of the label conventions (no simulator)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simgen.labels.geometry import (
    box_corners,
    box_truncation,
    cxcywh_to_xywh,
    kitti_alpha,
    kitti_box,
    kitti_corners,
    level_from_camera,
    occlusion_level,
    xywh_to_cxcywh,
    xywh_to_xyxy,
    xyxy_to_xywh,
)
from simgen.labels.instances import decode_mask, encode_masks, tight_boxes

finite = st.floats(-1e4, 1e4, allow_nan=False)
positive = st.floats(1e-3, 1e4, allow_nan=False)
boxes = st.tuples(finite, finite, positive, positive)


@given(boxes)
def test_xywh_xyxy_cxcywh_round_trip(b):
    b = np.array(b)
    assert np.allclose(xyxy_to_xywh(xywh_to_xyxy(b)), b, rtol=1e-9, atol=1e-6)
    assert np.allclose(cxcywh_to_xywh(xywh_to_cxcywh(b)), b, rtol=1e-9, atol=1e-6)
    x0, y0, x1, y1 = xywh_to_xyxy(b)
    cx, cy, w, h = xywh_to_cxcywh(b)
    assert math.isclose(cx, (x0 + x1) / 2, rel_tol=1e-9, abs_tol=1e-6) and math.isclose(
        w, x1 - x0, rel_tol=1e-9, abs_tol=1e-6
    )


def test_box_conversions_known_values():
    assert xywh_to_cxcywh(np.array([10, 20, 4, 6])).tolist() == [12, 23, 4, 6]
    assert xywh_to_xyxy(np.array([10, 20, 4, 6])).tolist() == [10, 20, 14, 26]


@settings(max_examples=50, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 24), st.integers(1, 24), st.integers(1, 3))))
def test_mask_rle_round_trip(masks):
    rles = encode_masks(masks)
    for k, rle in enumerate(rles):
        assert isinstance(rle["counts"], str)
        assert np.array_equal(decode_mask(rle), masks[:, :, k])


def test_tight_boxes_of_known_masks():
    m = np.zeros((10, 12, 2), bool)
    m[2:5, 3:9, 0] = True
    assert tight_boxes(m).tolist() == [[3, 2, 6, 3], [0, 0, 0, 0]]


@given(
    st.floats(-math.pi, math.pi),
    st.tuples(st.floats(-5, 5), st.floats(-1, 2), st.floats(1, 30)),
    st.tuples(st.floats(0.1, 3), st.floats(0.1, 3), st.floats(0.1, 3)),
)
def test_kitti_box_round_trip_for_upright_boxes(ry, loc, hwl):
    corners = kitti_corners(np.array(loc), np.array(hwl), ry)
    heading = corners[1] - corners[0]  # along the length axis
    loc2, hwl2, ry2 = kitti_box(corners, heading / np.linalg.norm(heading))
    assert np.allclose(loc2, loc, atol=1e-6) and np.allclose(hwl2, hwl, atol=1e-6)
    assert math.isclose(math.remainder(ry2 - ry, 2 * math.pi), 0.0, abs_tol=1e-6)


def test_kitti_alpha_equals_rotation_y_straight_ahead_and_wraps():
    assert math.isclose(kitti_alpha(0.3, 0.0, 10.0), 0.3)
    assert math.isclose(kitti_alpha(0.0, 10.0, 10.0), -math.pi / 4)
    assert -math.pi <= kitti_alpha(3.0, -10.0, 1.0) < math.pi


def test_occlusion_buckets():
    assert [occlusion_level(v) for v in (1.0, 0.95, 0.7, 0.5, 0.49, 0.0, None)] == [0, 0, 1, 1, 2, 2, 3]


def test_truncation_of_half_outside_box():
    k = np.array([[100.0, 0, 49.5], [0, 100.0, 49.5], [0, 0, 1]])
    # A box whose projection spans x in [-0.5 - 20, -0.5 + 20] at z=1: half outside on the left.
    corners = box_corners(np.array([-0.5, 0.0, 1.0]), np.array([0.4, 0.2, 1e-6]), np.eye(3))
    assert math.isclose(box_truncation(corners, k, 100, 100, 0.05), 0.5, abs_tol=1e-3)
    assert box_truncation(corners + [0.5, 0, 0], k, 100, 100, 0.05) == 0.0
    assert box_truncation(corners - [0, 0, 2], k, 100, 100, 0.05) == 1.0


def test_level_frame_of_pitched_camera_has_y_down():
    pitch = math.radians(30)
    # OpenCV camera looking along world +x, pitched down by 30 degrees.
    fwd = np.array([math.cos(pitch), 0, -math.sin(pitch)])
    right = np.array([0.0, -1.0, 0.0])
    down = np.cross(fwd, right)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([right, down, fwd], axis=1)
    r0 = level_from_camera(pose)
    world_down_cam = pose[:3, :3].T @ [0, 0, -1]
    assert np.allclose(r0 @ world_down_cam, [0, 1, 0])
    assert np.allclose(r0 @ r0.T, np.eye(3))
