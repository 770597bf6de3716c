"""Object models for pose datasets: an object's visual geometry as one triangle mesh in its body frame.

The body frame is the frame of the object's pose in :class:`~simgen.frame.Frame`
(``poses``, ``InstanceLabel.R_obj_cam``/``t_obj_cam``): the centre of primitives (box, sphere,
cylinder and capsule along z, as pybullet builds them), the file's own frame for ``mesh``
objects, and the base link's inertial frame for single-link URDFs (pybullet reports a URDF
body's pose at its centre of mass, so visuals are moved by the inverse of the inertial
origin). Articulated bodies (URDFs with joints, humanoids) change shape between frames and
have no model.

Everything here reads scenario data and asset files; nothing touches the simulator.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from simgen.scenario.assets import load_mesh, resolve_asset

RIGID_TYPES = ("box", "sphere", "cylinder", "capsule", "mesh", "urdf")
SPHERE_SUBDIVISIONS = 3  # icosphere: 642 vertices, antipodal pairs (its diameter is exact)
ROUND_SECTIONS = 64  # facets around cylinders and capsules


def model_key(obj_type: str, shape: dict[str, Any], class_name: str) -> str | None:
    """Canonical text naming one model (geometry and class); None for objects without a rigid model.

    Shape keys that do not change the geometry (``fixed_base``, ``collision``) are left out, so
    equal geometry gets one key whatever the physics settings.
    """
    if obj_type not in RIGID_TYPES:
        return None
    geometry = {k: v for k, v in sorted(shape.items()) if k not in ("fixed_base", "collision")}
    return json.dumps({"class": class_name, "type": obj_type, "shape": geometry}, sort_keys=True)


def rpy_matrix(rpy: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    """(3, 3) rotation of URDF fixed-axis roll, pitch, yaw (radians): Rz(yaw) Ry(pitch) Rx(roll)."""
    r, p, y = (float(v) for v in rpy)
    cr, sr, cp, sp, cy, sy = math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y), math.sin(y)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


def _origin(element: ET.Element | None) -> np.ndarray:
    """(4, 4) transform of a URDF ``<origin xyz rpy>`` child of ``element`` (identity without one)."""
    t = np.eye(4)
    origin = element.find("origin") if element is not None else None
    if origin is not None:
        t[:3, :3] = rpy_matrix([float(v) for v in origin.get("rpy", "0 0 0").split()])
        t[:3, 3] = [float(v) for v in origin.get("xyz", "0 0 0").split()]
    return t


def _primitive(kind: str, **dims: float) -> Any:
    import trimesh

    if kind == "box":
        return trimesh.creation.box(extents=dims["size"])
    if kind == "sphere":
        return trimesh.creation.icosphere(subdivisions=SPHERE_SUBDIVISIONS, radius=dims["radius"])
    if kind == "cylinder":
        return trimesh.creation.cylinder(radius=dims["radius"], height=dims["length"], sections=ROUND_SECTIONS)
    if kind == "capsule":
        return trimesh.creation.capsule(height=dims["length"], radius=dims["radius"], count=[ROUND_SECTIONS, 16])
    raise ValueError(f"no primitive {kind!r}")


def _urdf_mesh(path: Path, scale: float) -> Any | None:
    """A single-link URDF's visuals in its inertial frame, scaled; None for multi-link URDFs."""
    import trimesh

    root = ET.parse(path).getroot()
    links = root.findall("link")
    if len(links) != 1 or root.findall("joint"):
        return None
    link = links[0]
    parts = []
    for visual in link.findall("visual"):
        geom = visual.find("geometry")
        if geom is None or len(geom) == 0:
            continue
        g = geom[0]
        if g.tag == "mesh":
            name = g.get("filename", "").removeprefix("package://")
            sub = resolve_asset(name, path.parent)
            mesh = load_mesh(sub, 1.0)
            mesh.apply_scale([float(v) for v in g.get("scale", "1 1 1").split()])
        elif g.tag == "box":
            mesh = _primitive("box", size=[float(v) for v in g.get("size", "1 1 1").split()])
        elif g.tag == "sphere":
            mesh = _primitive("sphere", radius=float(g.get("radius", "1")))
        elif g.tag == "cylinder":
            mesh = _primitive("cylinder", radius=float(g.get("radius", "1")), length=float(g.get("length", "1")))
        else:
            continue
        mesh.apply_transform(_origin(visual))
        parts.append(mesh)
    if not parts:
        return None
    mesh = trimesh.util.concatenate(parts) if len(parts) > 1 else parts[0]
    mesh.apply_transform(np.linalg.inv(_origin(link.find("inertial"))))
    mesh.apply_scale(scale)
    return mesh


def build_model(obj_type: str, shape: dict[str, Any], base_dir: Path | None) -> Any | None:
    """A ``trimesh.Trimesh`` of the object in its body frame (metres), or None if it has no rigid model."""
    if obj_type in ("box", "sphere", "cylinder", "capsule"):
        return _primitive(obj_type, **shape)
    base = base_dir if base_dir is not None else Path.cwd()
    if obj_type == "mesh":
        return load_mesh(resolve_asset(shape["path"], base), float(shape["scale"]))
    if obj_type == "urdf":
        return _urdf_mesh(resolve_asset(shape["path"], base), float(shape["scale"]))
    return None


def box_symmetries(size: np.ndarray) -> list[np.ndarray]:
    """Proper rotations (3, 3), identity excluded, that map a centred box of ``size`` onto itself.

    The signed permutation matrices with determinant +1 that only swap axes of equal length:
    3 half-turns for a general box, up to 23 rotations for a cube.
    """
    import itertools

    out = []
    size = np.asarray(size, dtype=np.float64)
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            r = np.zeros((3, 3))
            r[range(3), perm] = signs
            if np.linalg.det(r) < 0 or np.allclose(r, np.eye(3)):
                continue
            if np.allclose(np.abs(r) @ size, size, rtol=1e-9, atol=1e-12):
                out.append(r)
    return out


def symmetries(obj_type: str, shape: dict[str, Any]) -> dict[str, Any]:
    """BOP ``symmetries_discrete`` / ``symmetries_continuous`` of a primitive (empty for other types).

    Discrete ones are 4x4 row-major transforms with translation in mm (all zero: primitives are
    centred). A sphere has continuous symmetry about x, y and z; cylinders and capsules about z,
    plus the half-turn about x.
    """
    half_turn_x = np.diag([1.0, -1.0, -1.0])
    if obj_type == "box":
        rots = box_symmetries(np.asarray(shape["size"], dtype=np.float64))
        return {"symmetries_discrete": [_flat4(r) for r in rots]} if rots else {}
    if obj_type in ("cylinder", "capsule"):
        return {
            "symmetries_continuous": [{"axis": [0, 0, 1], "offset": [0, 0, 0]}],
            "symmetries_discrete": [_flat4(half_turn_x)],
        }
    if obj_type == "sphere":
        axes = ([1, 0, 0], [0, 1, 0], [0, 0, 1])
        return {"symmetries_continuous": [{"axis": a, "offset": [0, 0, 0]} for a in axes]}
    return {}


def _flat4(r: np.ndarray) -> list[float]:
    t = np.eye(4)
    t[:3, :3] = r
    return [float(v) + 0.0 for v in t.ravel()]  # + 0.0 turns -0.0 into 0.0


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
