"""``type: urdf``: a URDF file loaded by pybullet (``pybullet_data:...``, ``assets:...`` or a path).

pybullet reports a URDF body's pose at its base link's centre of mass, so the rigid model of a
single-link URDF is its visuals moved by the inverse of the inertial origin. URDFs with joints
change shape between frames and have no rigid model.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field
from typing_extensions import override

from simgen.core.memo import Lru, file_key
from simgen.kinds.registry import ObjectKind, object_kind
from simgen.scenario.assets import load_mesh, resolve_asset
from simgen.scenario.distributions import Num
from simgen.scenario.object_fields import ObjectBase

URDF_HALF_EXTENT = 0.15  # metres; used when a URDF declares no geometry we can measure


class UrdfObject(ObjectBase):
    """A URDF: ``pybullet_data:duck_vhacd.urdf``, ``assets:...`` or a path next to the scenario."""

    type: Literal["urdf"]
    path: str = Field(min_length=1, max_length=512)
    scale: Num(gt=0) = 1.0
    fixed_base: bool = False


def _geometry_bounds(geom: Any, folder: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(lo, hi) of one URDF <geometry> element in its own frame, or None if unknown."""
    for child in geom:
        if child.tag == "box":
            half = np.array([float(v) for v in child.get("size", "0 0 0").split()]) / 2
            return -half, half
        if child.tag == "sphere":
            r = float(child.get("radius", 0))
            return np.full(3, -r), np.full(3, r)
        if child.tag in ("cylinder", "capsule"):
            r, h = float(child.get("radius", 0)), float(child.get("length", 0)) / 2
            h += r if child.tag == "capsule" else 0.0
            return np.array([-r, -r, -h]), np.array([r, r, h])
        if child.tag == "mesh":
            import trimesh

            name = child.get("filename", "").replace("package://", "")
            try:
                mesh = trimesh.load(str(resolve_asset(name, folder)), force="mesh")
            except Exception:  # an unreadable mesh only loosens placement; the simulator reports it
                return None
            scale = np.array([float(v) for v in child.get("scale", "1 1 1").split()])
            b = np.asarray(mesh.bounds, dtype=float) * scale
            return b.min(axis=0), b.max(axis=0)
    return None


def _child_attr(element: ET.Element, child: str, key: str) -> str | None:
    """Attribute ``key`` of ``element``'s first ``child`` element, or None."""
    found = element.find(child)
    return None if found is None else found.get(key)


def urdf_half_extents(path: Path) -> np.ndarray:
    """(3,) half extents about the base frame of a URDF's collision (else visual) geometry at scale 1.

    Joint origins are followed from the base so multi-link bodies are covered in their zero
    pose; element rotations are ignored (extents are taken as rotated boxes' bounds would be
    for axis-aligned parts), which is exact for the usual single-link object URDFs.
    """
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    offset: dict[str, np.ndarray] = {}
    joints = {name: j for j in root.iter("joint") if (name := _child_attr(j, "child", "link")) is not None}

    def link_offset(name: str, depth: int = 0) -> np.ndarray:
        if name in offset:
            return offset[name]
        joint = joints.get(name)
        if joint is None or depth > 64:
            offset[name] = np.zeros(3)
            return offset[name]
        origin = joint.find("origin")
        xyz = np.array([float(v) for v in (origin.get("xyz", "0 0 0") if origin is not None else "0 0 0").split()])
        offset[name] = link_offset(_child_attr(joint, "parent", "link") or "", depth + 1) + xyz
        return offset[name]

    lo, hi = np.full(3, np.inf), np.full(3, -np.inf)
    for link in root.iter("link"):
        parts = link.findall("collision") or link.findall("visual")
        for part in parts:
            geom = part.find("geometry")
            bounds = _geometry_bounds(geom, path.parent) if geom is not None else None
            if bounds is None:
                continue
            origin = part.find("origin")
            xyz = np.array([float(v) for v in (origin.get("xyz", "0 0 0") if origin is not None else "0 0 0").split()])
            base = link_offset(link.get("name", "")) + xyz
            lo, hi = np.minimum(lo, base + bounds[0]), np.maximum(hi, base + bounds[1])
    if not np.all(np.isfinite(lo)):
        return np.full(3, URDF_HALF_EXTENT)
    return np.maximum(np.abs(lo), np.abs(hi))


def rpy_matrix(rpy: Sequence[float] | np.ndarray) -> np.ndarray:
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


def _visual_mesh(g: ET.Element, folder: Path) -> Any | None:
    """One ``<geometry>`` child as a mesh, tessellated like the primitive kinds' models; None if unknown."""
    from simgen.kinds.registry import kind_of

    if g.tag == "mesh":
        name = g.get("filename", "").removeprefix("package://")
        mesh = load_mesh(resolve_asset(name, folder), 1.0)
        mesh.apply_scale([float(v) for v in g.get("scale", "1 1 1").split()])
        return mesh
    if g.tag == "box":
        return kind_of("box").rigid_mesh({"size": [float(v) for v in g.get("size", "1 1 1").split()]}, folder)
    if g.tag == "sphere":
        return kind_of("sphere").rigid_mesh({"radius": float(g.get("radius", "1"))}, folder)
    if g.tag == "cylinder":
        shape = {"radius": float(g.get("radius", "1")), "length": float(g.get("length", "1"))}
        return kind_of("cylinder").rigid_mesh(shape, folder)
    return None


def _single_link(path: Path) -> ET.Element | None:
    """The only link of a URDF without joints, else None."""
    root = ET.parse(path).getroot()
    links = root.findall("link")
    if len(links) != 1 or root.findall("joint"):
        return None
    return links[0]


def urdf_mesh(path: Path, scale: float) -> Any | None:
    """A single-link URDF's visuals in its inertial frame, scaled; None for multi-link URDFs."""
    import trimesh

    link = _single_link(path)
    if link is None:
        return None
    parts = []
    for visual in link.findall("visual"):
        geom = visual.find("geometry")
        if geom is None or len(geom) == 0:
            continue
        mesh = _visual_mesh(geom[0], path.parent)
        if mesh is None:
            continue
        mesh.apply_transform(_origin(visual))
        parts.append(mesh)
    if not parts:
        return None
    mesh = trimesh.util.concatenate(parts) if len(parts) > 1 else parts[0]
    mesh.apply_transform(np.linalg.inv(_origin(link.find("inertial"))))
    mesh.apply_scale(scale)
    return mesh


# Half extents at scale 1 by the URDF file's content identity (a random scale is a product, not a
# new entry); bounded, like every memo that lives across episodes.
_UNIT_EXTENTS: Lru[np.ndarray] = Lru(64)
_REASONS: dict[tuple[str, str], str | None] = {}


RANDOM_URDFS = 1000  # pybullet_data's random_urdfs/000 .. 999


def random_urdf(idx: int) -> str:
    """The asset path of pybullet_data's random object number ``idx``."""
    return f"pybullet_data:random_urdfs/{idx:03d}/{idx:03d}.urdf"


@lru_cache(maxsize=RANDOM_URDFS)
def random_urdf_usable(idx: int) -> bool:
    """Whether random object ``idx`` has a mesh with finite vertices and at least one face.

    pybullet_data ships one that has neither (168: every vertex is NaN); drawing it would fail
    the episode, so a draw moves on to the next usable number instead.
    """
    obj = resolve_asset(random_urdf(idx), Path(".")).with_suffix(".obj")
    try:
        lines = obj.read_text(errors="replace").splitlines()
    except OSError:
        return False
    verts = [line.split()[1:4] for line in lines if line.startswith("v ")]
    try:
        finite = bool(verts) and bool(np.isfinite(np.asarray(verts, dtype=np.float64)).all())
    except ValueError:
        return False
    return finite and any(line.startswith("f ") for line in lines)


@object_kind
class Urdf(ObjectKind):
    """A URDF file: a rigid model when it has one link, none when it has joints."""

    name = "urdf"
    model = UrdfObject
    group = "files"
    reads_files = True
    own_look = True

    @override
    def sample(self, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
        return {"path": obj.path, "scale": sampler.draw(obj.scale, f"{path}.scale"), "fixed_base": obj.fixed_base}

    @override
    def of_size(self, size: float, draws: Any) -> dict[str, Any]:
        """One of pybullet_data's thousand random objects, scaled from its ~0.1 m to ``size``."""
        idx = int(draws.rng("urdf").integers(RANDOM_URDFS))
        while not random_urdf_usable(idx):  # the next usable one: one draw, so other values keep theirs
            idx = (idx + 1) % RANDOM_URDFS
        return {"path": random_urdf(idx), "scale": size / 0.1, "fixed_base": False}

    @override
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        path = resolve_asset(shape["path"], base_dir)
        return _UNIT_EXTENTS.get(file_key(path), lambda: urdf_half_extents(path)) * shape["scale"]

    @override
    def no_model_reason(self, shape: dict[str, Any], base_dir: Path) -> str | None:
        key = (str(base_dir), shape["path"])
        if key not in _REASONS:
            path = resolve_asset(shape["path"], base_dir)
            if _single_link(path) is None:
                _REASONS[key] = "a URDF with joints changes shape between frames"
            elif urdf_mesh(path, 1.0) is None:
                _REASONS[key] = "the URDF's link has no box, sphere, cylinder or mesh visual"
            else:
                _REASONS[key] = None
        return _REASONS[key]

    @override
    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> Any | None:
        return urdf_mesh(resolve_asset(shape["path"], base_dir), float(shape["scale"]))

    @override
    def build(self, client: Any, obj: Any, base: Path) -> int:
        from simgen.errors import AssetError
        from simgen.sim.quiet import quiet_stdout

        p = client.p
        path = resolve_asset(obj.shape["path"], base)
        with quiet_stdout():
            uid = p.loadURDF(
                str(path),
                basePosition=obj.position,
                baseOrientation=obj.orientation,
                globalScaling=obj.shape["scale"],
                useFixedBase=obj.shape["fixed_base"],
                physicsClientId=client.id,
            )
        if uid < 0:
            raise AssetError(f"pybullet could not load URDF '{obj.shape['path']}'")
        if obj.color is not None:
            for link in range(-1, p.getNumJoints(uid, physicsClientId=client.id)):
                p.changeVisualShape(uid, link, rgbaColor=list(obj.color), physicsClientId=client.id)
        return uid
