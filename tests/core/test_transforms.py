"""Rotations, quaternions, poses and projection of the leaf layer, against analytic values."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simgen.core.transforms import (
    invert,
    look_at_rotation,
    matrix_from_quaternion,
    pose_matrix,
    pose_to_vector,
    project,
    quaternion_from_matrix,
    rotation_from_rpy,
    transform_points,
)

quats = st.tuples(*[st.floats(-1, 1, allow_nan=False)] * 4).filter(lambda q: np.linalg.norm(q) > 0.1)


@given(quats)
def test_quaternion_matrix_round_trip(q):
    q = np.array(q) / np.linalg.norm(q)
    r = matrix_from_quaternion(q)
    assert np.allclose(r @ r.T, np.eye(3), atol=1e-9) and math.isclose(np.linalg.det(r), 1.0, abs_tol=1e-9)
    q2 = quaternion_from_matrix(r)
    assert np.allclose(q2, q, atol=1e-7) or np.allclose(q2, -q, atol=1e-7)


def test_quaternion_convention_matches_pybullet_order():
    # 90 degrees about z, (x, y, z, w): x axis goes to y.
    r = matrix_from_quaternion((0.0, 0.0, math.sin(math.pi / 4), math.cos(math.pi / 4)))
    assert np.allclose(r @ [1, 0, 0], [0, 1, 0])


def test_rpy_rotation_and_quaternion() -> None:
    r = rotation_from_rpy((10.0, -35.0, 120.0))
    assert np.allclose(r @ r.T, np.eye(3)) and math.isclose(np.linalg.det(r), 1.0)
    assert np.allclose(rotation_from_rpy((0, 0, 90)) @ [1, 0, 0], [0, 1, 0])
    assert np.allclose(rotation_from_rpy((90, 0, 0)) @ [0, 1, 0], [0, 0, 1])
    x, y, z, w = quaternion_from_matrix(rotation_from_rpy((0, 0, 90)))
    assert np.allclose([x, y, z, w], [0, 0, math.sin(math.pi / 4), math.cos(math.pi / 4)])
    rng = np.random.default_rng(3)
    for _ in range(50):
        rpy = tuple(rng.uniform(-180, 180, 3))
        q = np.array(quaternion_from_matrix(rotation_from_rpy(rpy)))
        assert math.isclose(np.linalg.norm(q), 1.0) and q[3] >= 0
        qx, qy, qz, qw = q
        back = np.array(
            [
                [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)],
                [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)],
                [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)],
            ]
        )
        assert np.allclose(back, rotation_from_rpy(rpy))


def test_look_at_is_orthonormal_and_points_at_target() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        pos, target = rng.uniform(-5, 5, 3), rng.uniform(-5, 5, 3)
        r = look_at_rotation(pos, target, np.array([0.0, 0.0, 1.0]))
        assert np.allclose(r.T @ r, np.eye(3)) and math.isclose(np.linalg.det(r), 1.0)
        assert np.allclose(r[:, 2], (target - pos) / np.linalg.norm(target - pos))  # optical axis
        assert r[:, 1] @ [0, 0, 1] <= 1e-12  # image 'down' never points up
        assert abs(r[:, 0] @ [0, 0, 1]) < 1e-12  # image rows stay level
    assert look_at_rotation(np.zeros(3), np.zeros(3), np.array([0, 0, 1.0])) is None
    assert look_at_rotation(np.zeros(3), np.array([0, 0, -1.0]), np.array([0, 0, 1.0])) is None


def test_normalize_makes_any_nonzero_quaternion_a_rotation() -> None:
    q = (0.0, 0.0, 2 * math.sin(math.pi / 4), 2 * math.cos(math.pi / 4))  # norm 2
    assert np.allclose(matrix_from_quaternion(q, normalize=True) @ [1, 0, 0], [0, 1, 0])
    assert not np.allclose(matrix_from_quaternion(q) @ matrix_from_quaternion(q).T, np.eye(3))


def test_pose_inverse_and_vector_round_trip() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        q = rng.normal(size=4)
        t = pose_matrix(rng.normal(size=3), q / np.linalg.norm(q))
        assert np.allclose(invert(t) @ t, np.eye(4))
        v = pose_to_vector(t)
        assert np.allclose(pose_matrix(v[:3], v[3:]), t)
        pts = rng.normal(size=(5, 3))
        assert np.allclose(transform_points(pts, t), pts @ t[:3, :3].T + t[:3, 3])
        assert np.allclose(transform_points(transform_points(pts, t), invert(t)), pts)


def test_pinhole_projection_known_values_and_points_behind() -> None:
    k = np.array([[100.0, 0.0, 50.0], [0.0, 200.0, 40.0], [0.0, 0.0, 1.0]])
    uv = project(k, np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [1.0, 1.0, -2.0]]))
    assert np.allclose(uv[:2], [[75.0, 140.0], [50.0, 40.0]])
    assert np.isnan(uv[2:]).all()  # at or behind the camera: no pixel
