"""Object models for pose datasets: an object's visual geometry as one triangle mesh in its body frame.

The body frame is the frame of the object's pose in :class:`~simgen.frame.Frame` (``poses``,
``InstanceLabel.R_obj_cam``/``t_obj_cam``). Each object kind (:mod:`simgen.kinds`) builds its
own model or says why it has none (moving parts: vehicles whose wheels turn, ragdolls, URDFs
with joints); this module only names models and measures them.

Everything here reads scenario data and asset files; nothing touches the simulator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from simgen.kinds.registry import kind_of


def model_key(obj_type: str, shape: dict[str, Any], class_name: str, base_dir: Path | None = None) -> str | None:
    """Canonical text naming one model (geometry and class); None for objects without a rigid model.

    Shape keys that do not change the geometry (``fixed_base``, ``collision``) are left out, so
    equal geometry gets one key whatever the physics settings.
    """
    kind = kind_of(obj_type)
    if kind.no_model_reason(shape, _base(base_dir)) is not None:
        return None
    return json.dumps({"class": class_name, "type": obj_type, "shape": kind.model_shape(shape)}, sort_keys=True)


def no_model_reason(obj_type: str, shape: dict[str, Any], base_dir: Path | None = None) -> str | None:
    """Why objects of this kind and shape have no rigid model, or None when they have one."""
    return kind_of(obj_type).no_model_reason(shape, _base(base_dir))


def build_model(obj_type: str, shape: dict[str, Any], base_dir: Path | None) -> Any | None:
    """A ``trimesh.Trimesh`` of the object in its body frame (metres), or None if it has no rigid model."""
    return kind_of(obj_type).rigid_mesh(shape, _base(base_dir))


def symmetries(obj_type: str, shape: dict[str, Any]) -> dict[str, Any]:
    """BOP ``symmetries_discrete`` / ``symmetries_continuous`` the kind declares (empty: none).

    Discrete ones are 4x4 row-major transforms with translation in mm (all zero: primitives are
    centred). A sphere has continuous symmetry about x, y and z; cylinders and capsules about z,
    plus the half-turn about x.
    """
    return kind_of(obj_type).symmetries(shape)


def _base(base_dir: Path | None) -> Path:
    return base_dir if base_dir is not None else Path.cwd()


def diameter(points: np.ndarray) -> float:
    """Largest distance between two of the (N, 3) points (over their convex hull's vertices)."""
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) > 4:
        from scipy.spatial import ConvexHull, QhullError

        try:
            pts = pts[ConvexHull(pts).vertices]
        except QhullError:  # flat or degenerate point sets: use them all
            pass
    best = 0.0
    for start in range(0, len(pts), 1024):
        d = np.linalg.norm(pts[start : start + 1024, None, :] - pts[None, :, :], axis=-1)
        best = max(best, float(d.max()))
    return best
