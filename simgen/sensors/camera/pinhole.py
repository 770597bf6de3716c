"""Pinhole maths of a camera in OpenCV conventions: view and projection matrices, depth, projection.

numpy only; the renderers (:mod:`simgen.sensors.render`) and tests read it.
"""

from __future__ import annotations

import numpy as np

from simgen.sensors.camera.model import CameraSpec

GL_FROM_CV = np.diag([1.0, -1.0, -1.0, 1.0])


def view_matrix(cam: CameraSpec) -> np.ndarray:
    """(4, 4) OpenGL view matrix (gl_camera_from_world) for a world_from_camera pose in OpenCV axes."""
    return GL_FROM_CV @ np.linalg.inv(cam.world_from_camera)


# Window coordinate (x right, y up) at which each renderer samples pixel column i / row j
# (counted from the top): OpenGL samples pixel centres (i + 0.5, H - j - 0.5); pybullet's
# TinyRenderer samples integer coordinates (i, H - 1 - j). Measured against ray-cast depth of a
# tilted plane (tests/sensors/test_camera_outputs.py); without this TinyRenderer images sit half
# a pixel off the recorded K.
PIXEL_SAMPLE_OFFSET = {"egl": (0.5, 0.5), "tiny": (0.0, 1.0)}


def projection_matrix(cam: CameraSpec, renderer: str = "egl") -> np.ndarray:
    """(4, 4) OpenGL projection reproducing K exactly, principal point included.

    OpenCV puts pixel centres at integers; the renderer samples at the window coordinates
    given by :data:`PIXEL_SAMPLE_OFFSET`, hence the shift of the principal point.
    """
    (fx, _, cx), (_, fy, cy), _ = cam.K
    w, h, n, f = cam.width, cam.height, cam.near, cam.far
    ox, oy = PIXEL_SAMPLE_OFFSET.get(renderer, (0.5, 0.5))
    return np.array(
        [
            [2 * fx / w, 0.0, 1.0 - 2.0 * (cx + ox) / w, 0.0],
            [0.0, 2 * fy / h, 2.0 * (cy + oy) / h - 1.0, 0.0],
            [0.0, 0.0, -(f + n) / (f - n), -2.0 * f * n / (f - n)],
            [0.0, 0.0, -1.0, 0.0],
        ]
    )


def metric_depth(buffer: np.ndarray, near: float, far: float) -> np.ndarray:
    """Convert an OpenGL depth buffer in [0, 1] to metres along the optical axis (float32).

    Pixels at the far plane (nothing hit) become 0. Computed in float32 in place (the buffer is
    float32 already); rounding adds about 6e-8 * depth / near relative error (1e-5 at 10 m with near 0.05).
    """
    d = np.asarray(buffer, dtype=np.float32)
    z = d * np.float32(far - near)
    np.subtract(np.float32(far), z, out=z)
    np.divide(np.float32(far * near), z, out=z)
    z[d >= 1.0] = 0.0
    return z


def project_points(cam: CameraSpec, points_world: np.ndarray) -> np.ndarray:
    """Project (N, 3) world points to (N, 2) pixel coordinates (OpenCV convention) with K."""
    cam_from_world = np.linalg.inv(cam.world_from_camera)
    pts = points_world @ cam_from_world[:3, :3].T + cam_from_world[:3, 3]
    uv = pts @ cam.K.T
    return uv[:, :2] / uv[:, 2:3]
