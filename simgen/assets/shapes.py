"""Watertight building blocks for generators (trimesh): boxes, cylinders, prisms, blobs.

Every function returns a new ``trimesh.Trimesh`` in metres, already placed in the asset frame
(x forward, y left, z up). Section counts are small on purpose: a street of fifty assets must
render within a few times a scene of plain primitives (see docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import trimesh
from numpy.typing import ArrayLike


def box(size: Sequence[float], center: Sequence[float] = (0, 0, 0)) -> trimesh.Trimesh:
    """Axis-aligned box of full extents ``size`` centred at ``center``."""
    m = trimesh.creation.box(extents=[float(s) for s in size])
    m.apply_translation(center)
    return m


def cylinder(
    radius: float, length: float, center: Sequence[float] = (0, 0, 0), axis: str = "z", sections: int = 12
) -> trimesh.Trimesh:
    """Cylinder of ``radius`` and full ``length`` along world ``axis`` ('x', 'y' or 'z')."""
    m = trimesh.creation.cylinder(radius=radius, height=length, sections=sections)
    _orient(m, axis)
    m.apply_translation(center)
    return m


def cone(
    radius: float, length: float, base: ArrayLike = (0, 0, 0), sections: int = 10, top_radius: float = 0.0
) -> trimesh.Trimesh:
    """Cone (or frustum with ``top_radius`` > 0) standing on ``base`` along +z."""
    if top_radius <= 0:
        m = trimesh.creation.cone(radius=radius, height=length, sections=sections)
    else:
        ang = np.linspace(0, 2 * np.pi, sections, endpoint=False)
        ring = np.stack([np.cos(ang), np.sin(ang)], axis=1)
        pts = np.vstack([np.c_[ring * radius, np.zeros(sections)], np.c_[ring * top_radius, np.full(sections, length)]])
        m = trimesh.convex.convex_hull(pts)
    m.apply_translation(base)
    return m


def blob(radius: ArrayLike, center: ArrayLike, subdivisions: int = 1) -> trimesh.Trimesh:
    """Ellipsoid of semi-axes ``radius`` (x, y, z) centred at ``center`` (icosphere, 80 faces at 1)."""
    m = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    m.apply_scale(np.asarray(radius, dtype=float))
    m.apply_translation(center)
    return m


def prism_xz(profile: Sequence[Sequence[float]], width: float, y_center: float = 0.0) -> trimesh.Trimesh:
    """A convex side profile (x, z points) extruded ``width`` along y (the hull of both faces)."""
    pts = np.asarray(profile, dtype=float)
    y0, y1 = y_center - width / 2, y_center + width / 2
    both = np.vstack(
        [np.c_[pts[:, 0], np.full(len(pts), y0), pts[:, 1]], np.c_[pts[:, 0], np.full(len(pts), y1), pts[:, 1]]]
    )
    return trimesh.convex.convex_hull(both)


def hull(points: np.ndarray) -> trimesh.Trimesh:
    """Convex hull of ``points`` (N, 3)."""
    return trimesh.convex.convex_hull(np.asarray(points, dtype=float))


def union(meshes: Sequence[trimesh.Trimesh]) -> trimesh.Trimesh:
    """Concatenation of meshes (one visual part; each piece stays watertight on its own)."""
    return cast(trimesh.Trimesh, trimesh.util.concatenate(list(meshes)))  # a list of meshes joins into one


def rotate_z(m: trimesh.Trimesh, angle: float, about: Sequence[float] = (0, 0, 0)) -> trimesh.Trimesh:
    """``m`` rotated by ``angle`` radians about the vertical axis through ``about`` (in place)."""
    m.apply_transform(trimesh.transformations.rotation_matrix(angle, [0, 0, 1], about))
    return m


def _orient(m: trimesh.Trimesh, axis: str) -> None:
    if axis == "x":
        m.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [0, 1, 0]))
    elif axis == "y":
        m.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))


def segment(p0: ArrayLike, p1: ArrayLike, radius: float, sections: int = 8) -> trimesh.Trimesh:
    """Cylinder of ``radius`` from point ``p0`` to point ``p1``."""
    return trimesh.creation.cylinder(radius=radius, segment=np.array([p0, p1], dtype=float), sections=sections)


def tiled_box(size: Sequence[float], center: Sequence[float] = (0, 0, 0), tile: float = 4.0) -> trimesh.Trimesh:
    """A flat box built of closed boxes no longer than ``tile`` metres along x and y (same outer surface).

    Long flat parts (roads, kerbs, floors) made of one box have triangles reaching far behind a
    nearby camera, which TinyRenderer (no near-plane clipping) rasterises slowly; tiles keep every
    triangle small at a dozen triangles per tile. Not split along z: for thin slabs the faces
    between tiles are slivers, while a tall box's would be hidden walls drawn at full cost.
    """
    extent = np.asarray(size, dtype=float)
    n = np.maximum(1, np.ceil(extent / tile - 1e-9)).astype(int)
    n[2] = 1
    step = extent / n
    lo = np.asarray(center, dtype=float) - extent / 2
    pieces = [
        box(step, lo + step * (np.array([i, j, k]) + 0.5))
        for i in range(n[0])
        for j in range(n[1])
        for k in range(n[2])
    ]
    return union(pieces)
