"""Camera maths without rendering: GL matrices reproduce K, depth-buffer conversion, projection."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.core.transforms import look_at_rotation
from simgen.sensors.camera.model import CameraSpec
from simgen.sensors.camera.pinhole import metric_depth, project_points, projection_matrix, view_matrix


def _camera(K: np.ndarray, w: int = 160, h: int = 120, near: float = 0.1, far: float = 20.0) -> CameraSpec:
    pos = np.array([1.5, -1.0, 1.2])
    pose = np.eye(4)
    pose[:3, :3] = look_at_rotation(pos, np.array([0.0, 0.1, 0.2]), np.array([0.0, 0.0, 1.0]))
    pose[:3, 3] = pos
    return CameraSpec(name="c", width=w, height=h, K=K, near=near, far=far, world_from_camera=pose)


def _gl_pixels(cam: CameraSpec, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-corner coordinates (x right, y down from the top row) and NDC depth through the GL pipeline."""
    hom = np.c_[pts, np.ones(len(pts))]
    clip = hom @ (projection_matrix(cam) @ view_matrix(cam)).T
    ndc = clip[:, :3] / clip[:, 3:4]
    x = (ndc[:, 0] + 1) / 2 * cam.width
    y = (1 - ndc[:, 1]) / 2 * cam.height  # rows are stored top-down
    return np.c_[x, y], ndc[:, 2]


@pytest.mark.parametrize(
    "K",
    [
        np.array([[130.0, 0, 79.5], [0, 130.0, 59.5], [0, 0, 1]]),
        np.array([[150.0, 0, 92.3], [0, 165.0, 51.7], [0, 0, 1]]),
    ],
    ids=["centred", "off_centre"],
)
def test_gl_projection_matches_opencv_K(K: np.ndarray) -> None:
    cam = _camera(K)
    rng = np.random.default_rng(0)
    pts = rng.uniform([-0.5, -0.5, 0], [0.5, 0.5, 0.6], (50, 3))
    gl_xy, _ = _gl_pixels(cam, pts)
    cv_xy = project_points(cam, pts)
    # OpenCV pixel centres are at integers, GL pixel corners at integers: a half-pixel offset.
    np.testing.assert_allclose(gl_xy, cv_xy + 0.5, atol=1e-9)


def test_project_points_of_principal_axis_hits_principal_point() -> None:
    K = np.array([[150.0, 0, 92.3], [0, 165.0, 51.7], [0, 0, 1]])
    cam = _camera(K)
    on_axis = cam.world_from_camera[:3, 3] + 2.0 * cam.world_from_camera[:3, 2]
    np.testing.assert_allclose(project_points(cam, on_axis[None]), [[92.3, 51.7]], atol=1e-9)
    right = on_axis + 0.2 * cam.world_from_camera[:3, 0]  # 0.2 m right at 2 m -> fx * 0.1 px
    np.testing.assert_allclose(project_points(cam, right[None]), [[92.3 + 15.0, 51.7]], atol=1e-9)


def test_view_matrix_is_rigid_and_maps_camera_to_origin() -> None:
    cam = _camera(np.array([[100.0, 0, 79.5], [0, 100.0, 59.5], [0, 0, 1]]))
    v = view_matrix(cam)
    assert np.allclose(v[:3, :3] @ v[:3, :3].T, np.eye(3))
    assert np.allclose(v @ np.r_[cam.world_from_camera[:3, 3], 1], [0, 0, 0, 1])
    ahead = cam.world_from_camera[:3, 3] + cam.world_from_camera[:3, 2]
    assert np.allclose(v @ np.r_[ahead, 1], [0, 0, -1, 1])  # GL cameras look down -z


@pytest.mark.parametrize(("near", "far"), [(0.05, 10.0), (0.1, 100.0), (1.0, 2.0)])
def test_metric_depth_inverts_the_gl_depth_buffer(near: float, far: float) -> None:
    cam = _camera(np.array([[100.0, 0, 79.5], [0, 100.0, 59.5], [0, 0, 1]]), near=near, far=far)
    z = np.linspace(near, far, 200)[1:-1]
    pts = cam.world_from_camera[:3, 3] + z[:, None] * cam.world_from_camera[:3, 2]
    _, ndc_z = _gl_pixels(cam, pts)
    buffer = (ndc_z + 1) / 2  # window depth in [0, 1]
    got = metric_depth(buffer.astype(np.float32).reshape(2, -1), near, far).ravel()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, z, rtol=2e-4)
    np.testing.assert_array_equal(metric_depth(np.ones((2, 2), np.float32), near, far), 0)
    assert metric_depth(np.zeros((1, 1), np.float32), near, far)[0, 0] == pytest.approx(near)
