"""Lens models of cameras as pure numpy math: OpenCV plumb-bob and fisheye (Kannala-Brandt).

Shared by the scenario stage (which checks, when an episode is drawn, that a lens can be
rendered) and the sensors (which project points and build remap tables). Coordinates are
normalized image coordinates ``(x / z, y / z)`` of OpenCV camera axes (x right, y down, z forward).

- ``opencv``: (k1, k2, p1, p2, k3), as ``cv2.projectPoints``.
- ``fisheye``: (k1, k2, k3, k4), as ``cv2.fisheye.projectPoints``: with ``theta = atan(r)`` the
  angle from the optical axis, ``theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 +
  k4 theta^8)`` and the distorted point is ``(theta_d / r) (x, y)``.

A distorted camera is rendered as an ideal pinhole camera and remapped (:func:`lens_map`,
:func:`remap`; OpenCV is loaded only when a table is built or applied); the pinhole image may
reach at most ``MAX_IDEAL_SCALE`` image sizes either side of the principal point, which bounds
the field of view a fisheye may have (well below 180 degrees).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

LENS_MODELS: tuple[str, ...] = ("opencv", "fisheye")
COEFFICIENTS: dict[str, tuple[str, ...]] = {
    "opencv": ("k1", "k2", "p1", "p2", "k3"),
    "fisheye": ("k1", "k2", "k3", "k4"),
}
MAX_IDEAL_SCALE = 3.0  # the ideal render spans at most this many image widths/heights from the principal point


def fisheye_theta_max(k: tuple[float, ...]) -> float:
    """Largest angle from the optical axis (radians, <= pi/2) over which ``theta_d(theta)`` increases.

    Beyond it the polynomial folds back (two angles would land on one pixel), so angles past it
    are outside the lens's valid range.
    """
    k1, k2, k3, k4 = (float(v) for v in k)
    # d theta_d / d theta = 1 + 3 k1 s + 5 k2 s^2 + 7 k3 s^3 + 9 k4 s^4 with s = theta^2.
    coeffs = np.trim_zeros(np.array([9 * k4, 7 * k3, 5 * k2, 3 * k1, 1.0]), "f")
    limit = math.pi / 2
    if len(coeffs) > 1:
        for s in np.roots(coeffs):
            if abs(s.imag) < 1e-12 and s.real > 0:
                limit = min(limit, math.sqrt(s.real))
    return limit


def fisheye_theta_d(theta: np.ndarray, k: tuple[float, ...]) -> np.ndarray:
    """Distorted angle ``theta_d`` (radians) of angles ``theta`` from the optical axis."""
    k1, k2, k3, k4 = k
    t2 = theta * theta
    return theta * (1 + t2 * (k1 + t2 * (k2 + t2 * (k3 + t2 * k4))))


def fisheye_theta(theta_d: np.ndarray, k: tuple[float, ...]) -> np.ndarray:
    """Inverse of :func:`fisheye_theta_d` on ``[0, theta_max]``; NaN where ``theta_d`` is beyond the lens.

    Safeguarded Newton iteration (bisection when a step leaves the bracket), vectorised.
    """
    k1, k2, k3, k4 = k
    theta_max = fisheye_theta_max(k)
    td = np.asarray(theta_d, dtype=np.float64)
    lo = np.zeros_like(td)
    hi = np.full_like(td, theta_max)
    t = np.clip(td, 0.0, theta_max)
    for _ in range(100):
        t2 = t * t
        f = fisheye_theta_d(t, k) - td
        fp = 1 + t2 * (3 * k1 + t2 * (5 * k2 + t2 * (7 * k3 + t2 * 9 * k4)))
        lo = np.where(f < 0, t, lo)
        hi = np.where(f > 0, t, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = t - f / fp
        step = np.where((step > lo) & (step < hi), step, 0.5 * (lo + hi))
        step = np.where(f == 0, t, step)
        done = np.max(np.abs(step - t), initial=0.0) <= 1e-15
        t = step
        if done:
            break
    return np.where(td <= fisheye_theta_d(np.float64(theta_max), k) * (1 + 1e-12), t, np.nan)


def distort_points(xy: np.ndarray, model: str, dist: tuple[float, ...] | None) -> np.ndarray:
    """(N, 2) distorted normalized coordinates of (N, 2) ideal ones; NaN beyond a fisheye's range."""
    if dist is None:
        return xy
    x, y = xy[:, 0], xy[:, 1]
    r2 = x * x + y * y
    if model == "fisheye":
        r = np.sqrt(r2)
        theta = np.arctan(r)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(r > 1e-12, fisheye_theta_d(theta, dist) / r, 1.0)
        scale = np.where(theta <= fisheye_theta_max(dist), scale, np.nan)
        return np.stack([x * scale, y * scale], axis=1)
    if model != "opencv":
        raise ValueError(f"unknown lens model {model!r}")
    k1, k2, p1, p2, k3 = dist
    radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
    xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
    yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
    return np.stack([xd, yd], axis=1)


def fisheye_undistort_points(xy_d: np.ndarray, k: tuple[float, ...]) -> np.ndarray:
    """(N, 2) ideal normalized coordinates of (N, 2) fisheye-distorted ones; NaN beyond the lens's range."""
    theta_d = np.hypot(xy_d[:, 0], xy_d[:, 1])
    theta = fisheye_theta(theta_d, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(theta_d > 1e-12, np.tan(theta) / theta_d, 1.0)
    return xy_d * scale[:, None]


def border_pixels(width: int, height: int) -> np.ndarray:
    """(M, 2) float64 (u, v) of every pixel on the image border (pixel centres at integers)."""
    u = np.arange(width, dtype=np.float64)
    v = np.arange(height, dtype=np.float64)
    top = np.column_stack([u, np.zeros(width)])
    bottom = np.column_stack([u, np.full(width, height - 1.0)])
    left = np.column_stack([np.zeros(height), v])
    right = np.column_stack([np.full(height, width - 1.0), v])
    return np.concatenate([top, bottom, left, right])


def fisheye_problem(
    K: np.ndarray, width: int, height: int, k: tuple[float, ...], max_scale: float = MAX_IDEAL_SCALE
) -> str | None:
    """Why a fisheye camera cannot be rendered (None when it can).

    Every image pixel must see an angle inside the lens's valid range, and the ideal pinhole
    render covering the view must stay within ``max_scale`` image sizes of the principal point.
    For a radial lens the widest angles are on the image border, so only border pixels are checked.
    """
    uv = border_pixels(width, height)
    fx, skew, cx, fy, cy = K[0, 0], K[0, 1], K[0, 2], K[1, 1], K[1, 2]
    yd = (uv[:, 1] - cy) / fy
    xd = (uv[:, 0] - cx - skew * yd) / fx
    theta_d = np.hypot(xd, yd)
    theta_max = fisheye_theta_max(k)
    reach = float(fisheye_theta_d(np.float64(theta_max), k))
    if float(theta_d.max()) > reach:
        return (
            f"the image corners are {math.degrees(float(theta_d.max())):.1f} degrees of distorted angle from "
            f"the axis, but this lens reaches only {math.degrees(reach):.1f} (theta_d stops increasing at "
            f"theta = {math.degrees(theta_max):.1f} degrees)"
        )
    xy = fisheye_undistort_points(np.column_stack([xd, yd]), k)
    theta = np.degrees(np.arctan(np.hypot(xy[:, 0], xy[:, 1])))
    over = np.maximum(np.abs(fx * xy[:, 0]) / width, np.abs(fy * xy[:, 1]) / height)
    if float(over.max()) > max_scale:
        return (
            f"the view is too wide to render: the image border sees up to {float(theta.max()):.1f} degrees from "
            f"the optical axis, which needs a pinhole render {float(over.max()):.1f} image sizes wide either "
            f"side (at most {max_scale:g})"
        )
    return None


def pixel_grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(H, W) float64 pixel-centre coordinates u (column) and v (row), OpenCV convention."""
    return np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))


@dataclasses.dataclass(frozen=True)
class LensMap:
    """How to make a distorted image from an undistorted render of ``ideal`` (larger FOV/size).

    ``map_x``/``map_y`` (H, W) float32: for each distorted output pixel, where to sample the ideal
    render (``cv2.remap`` convention).
    """

    ideal: Any  # the camera spec (simgen.sensors.camera.model.CameraSpec) of the ideal pinhole render
    map_x: np.ndarray
    map_y: np.ndarray


_LENS_CACHE: dict[tuple[object, ...], LensMap] = {}


def lens_map(cam: Any, margin: int = 2, max_scale: float = MAX_IDEAL_SCALE) -> LensMap:
    """The ideal pinhole camera covering ``cam``'s distorted view, and the remap tables.

    ``cam`` is a camera spec (width, height, K, distortion_model, distortion, near, far; a
    dataclass, so the ideal camera is ``cam`` with another size, K and no distortion).

    Inverting the distortion for every pixel costs about as much as a render, so the tables are
    cached per process by (size, K, lens model, distortion); only the pose of the returned ideal
    camera changes between captures. The ideal image reaches at most ``max_scale`` image sizes
    either side of the principal point (a fisheye wider than that is refused when sampled).
    """
    key = (
        cam.width,
        cam.height,
        cam.K.tobytes(),
        cam.distortion_model,
        tuple(cam.distortion or ()),
        cam.near,
        cam.far,
        margin,
        max_scale,
    )
    if key not in _LENS_CACHE:
        if len(_LENS_CACHE) >= 64:
            _LENS_CACHE.clear()
        _LENS_CACHE[key] = _lens_map(cam, margin, max_scale)
    return _LENS_CACHE[key]


def _lens_map(cam: Any, margin: int, max_scale: float) -> LensMap:
    import cv2

    u, v = pixel_grid(cam.width, cam.height)
    if cam.distortion_model == "fisheye":
        k = cam.K
        yd = (v.ravel() - k[1, 2]) / k[1, 1]
        xd = (u.ravel() - k[0, 2] - k[0, 1] * yd) / k[0, 0]
        xy = fisheye_undistort_points(np.column_stack([xd, yd]), tuple(cam.distortion or (0.0,) * 4))
    else:
        pts = np.stack([u.ravel(), v.ravel()], axis=1).reshape(-1, 1, 2)
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
        und = cv2.undistortPointsIter(  # type: ignore[call-overload]  # None for R and P is OpenCV's default
            pts, cam.K, np.asarray(cam.distortion, dtype=np.float64), None, None, criteria
        )
        xy = und.reshape(-1, 2)
    fx, fy = cam.K[0, 0], cam.K[1, 1]
    px, py = fx * xy[:, 0], fy * xy[:, 1]
    lim_x, lim_y = max_scale * cam.width, max_scale * cam.height
    px = np.clip(px, -lim_x, lim_x)
    py = np.clip(py, -lim_y, lim_y)
    # Pixels past a fisheye's valid range (NaN) sample outside the ideal image and get the fill value.
    seen = np.isfinite(px) & np.isfinite(py)
    if not seen.all():
        px, py = np.where(seen, px, np.nan), np.where(seen, py, np.nan)
    x0, x1 = np.nanmin(px, initial=np.inf), np.nanmax(px, initial=-np.inf)
    y0, y1 = np.nanmin(py, initial=np.inf), np.nanmax(py, initial=-np.inf)
    if not seen.any():
        x0 = x1 = y0 = y1 = 0.0
    width = int(math.ceil(x1 - x0)) + 2 * margin + 1
    height = int(math.ceil(y1 - y0)) + 2 * margin + 1
    cx, cy = margin - x0, margin - y0
    k = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    ideal = dataclasses.replace(cam, width=width, height=height, K=k, distortion=None, distortion_model="opencv")
    shape = (cam.height, cam.width)
    return LensMap(
        ideal=ideal,
        map_x=np.where(seen, px + cx, -1.0 - margin).reshape(shape).astype(np.float32),
        map_y=np.where(seen, py + cy, -1.0 - margin).reshape(shape).astype(np.float32),
    )


def remap(image: np.ndarray, lens: LensMap, nearest: bool, fill: float = 0.0) -> np.ndarray:
    """Resample an ideal-camera image into the distorted camera; nearest for labels and geometry.

    Label maps (instance, semantic, uid) must use ``nearest=True`` so every output pixel takes
    one source pixel's id; masks, boxes and areas then come from the distorted map. ``fill`` is
    written where the map leaves the ideal image.
    """
    import cv2

    src = image
    dtype = image.dtype
    if dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        src = image.astype(np.float32)  # ids < 2**24 are exact in float32
    out = cv2.remap(
        src,
        lens.map_x,
        lens.map_y,
        cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )
    return out.astype(dtype) if out.dtype != dtype else out


__all__ = [
    "COEFFICIENTS",
    "LENS_MODELS",
    "MAX_IDEAL_SCALE",
    "LensMap",
    "border_pixels",
    "distort_points",
    "fisheye_problem",
    "fisheye_theta",
    "fisheye_theta_d",
    "fisheye_theta_max",
    "fisheye_undistort_points",
    "lens_map",
    "pixel_grid",
    "remap",
]
