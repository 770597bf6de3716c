"""Per-object ground truth that the labels stage needs beyond poses, read from the simulator as data.

Once per episode, each body's visual geometry is read from pybullet (``getVisualShapeData``)
and tessellated the way pybullet's renderers tessellate it (see :func:`visual_parts`); at each
frame, only poses are read (base poses ride on the Frame, link poses here). The labels stage
turns that into amodal silhouettes and 3D boxes without touching the simulator.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from simgen.core.transforms import pose_matrix
from simgen.core.transforms import transform_points as transform
from simgen.frame import ObjectTruth, VisualPart
from simgen.kinds.registry import kind_of
from simgen.materials.uv import written_triangles
from simgen.scenario.assets import load_mesh
from simgen.scenario.spec import EpisodeSpec, ObjectInstance

GEOM_SPHERE, GEOM_BOX, GEOM_CYLINDER, GEOM_MESH, GEOM_CAPSULE = 2, 3, 4, 5, 7
GEOM_NOTHING_TO_DRAW = (6, 9)  # plane, heightfield: never an object's visual
# pybullet's renderers (TinyRenderer and the EGL plugin share the converter) draw primitives as
# the convex hull of support points of the shape along these directions (Bullet's btShapeHull,
# low resolution), with the shape's collision margin added along each direction, and cylinders
# and capsules as hulls of two rings of this many points (plus the two tips for a capsule).
RING_STEPS = 32
# Signs of a box's eight corners (any order: only the extents are used here).
CORNER_SIGNS = np.array([(x, y, z) for x in (-1.0, 1.0) for y in (-1.0, 1.0) for z in (-1.0, 1.0)])
PRIMITIVE_MARGIN = 0.001


def _unit_sphere_directions() -> np.ndarray:
    """(42, 3) btShapeHull's sampling directions: an icosahedron (poles on z) and its edge midpoints."""
    z = 1 / np.sqrt(5.0)
    r = 2 / np.sqrt(5.0)
    lower = [(r * np.cos(np.radians(a)), r * np.sin(np.radians(a)), -z) for a in (-36, -108, 180, 108, 36)]
    upper = [(r * np.cos(np.radians(a)), r * np.sin(np.radians(a)), z) for a in (-72, -144, 144, 72, 0)]
    ico = np.array([(0.0, 0.0, -1.0), *lower, *upper, (0.0, 0.0, 1.0)])
    d = np.linalg.norm(ico[:, None] - ico[None], axis=-1)
    edge = d[d > 1e-9].min()
    pairs = [(i, j) for i in range(12) for j in range(i + 1, 12) if abs(d[i, j] - edge) < 1e-6]
    mids = np.array([ico[i] + ico[j] for i, j in pairs])
    return np.concatenate([ico, mids / np.linalg.norm(mids, axis=1, keepdims=True)])


DIRECTIONS = _unit_sphere_directions()


def _hull(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, faces) of the convex hull of (N, 3) points."""
    from scipy.spatial import ConvexHull

    hull = ConvexHull(points)
    return points[hull.vertices], np.searchsorted(hull.vertices, hull.simplices).astype(np.int32)


def primitive_polytope(geom: int, dims: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(vertices, faces) of a box, sphere, cylinder or capsule as pybullet's renderers draw it.

    ``dims`` as ``getVisualShapeData`` reports them: box full extents; sphere (radius,);
    cylinder and capsule (length, radius), axis z, centred.
    """
    if geom == GEOM_BOX:
        return _hull(CORNER_SIGNS * (np.asarray(dims[:3], dtype=np.float64) / 2))
    if geom == GEOM_SPHERE:
        return _hull(DIRECTIONS * float(dims[0]))
    length, radius = float(dims[0]), float(dims[1])
    angles = 2 * np.pi * np.arange(RING_STEPS) / RING_STEPS
    ring = np.stack([radius * np.sin(angles), radius * np.cos(angles)], axis=1)
    pts = np.empty((2 * RING_STEPS, 3))
    pts[0::2, :2], pts[0::2, 2] = ring, length / 2
    pts[1::2, :2], pts[1::2, 2] = ring, -length / 2
    if geom == GEOM_CAPSULE:
        pts = np.concatenate([pts, [[0.0, 0.0, length / 2 + radius], [0.0, 0.0, -length / 2 - radius]]])
    support = pts[np.argmax(DIRECTIONS @ pts.T, axis=1)] + PRIMITIVE_MARGIN * DIRECTIONS
    return _hull(support)


@lru_cache(maxsize=32)
def _mesh_file(path: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """(vertices, faces, watertight) of a mesh file as stored (cached per process, by path only).

    A UV-mapped OBJ that simgen wrote itself is not parsed: its triangles are known, and it is
    never watertight as a parser reads it (each face has its own normal and texture corners).
    """
    written = written_triangles(path)
    if written is not None:
        return written[0], written[1], False
    mesh = load_mesh(Path(path), 1.0)
    return np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int32), bool(mesh.is_watertight)


def mesh_triangles(path: str, sx: float, sy: float, sz: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """(vertices scaled per axis, faces, watertight) of a mesh file.

    The file is cached, not the scaled copy: a randomly scaled mesh has a new scale every
    episode, and a cache keyed by it would hold one vertex array per episode.
    """
    verts, faces, closed = _mesh_file(path)
    return verts * np.array([sx, sy, sz]), faces, closed


def _analytic_extent(geom: int, dims: tuple[float, ...]) -> np.ndarray:
    """Corners of the exact box of a primitive (the true shape, not its tessellation)."""
    if geom == GEOM_BOX:
        return CORNER_SIGNS * (np.asarray(dims[:3], dtype=np.float64) / 2)
    if geom == GEOM_SPHERE:
        return CORNER_SIGNS * float(dims[0])
    half = dims[0] / 2 + (dims[1] if geom == GEOM_CAPSULE else 0.0)
    return CORNER_SIGNS * np.array([dims[1], dims[1], half])


def _readable(geom: int, dims: Any, fname: Any, lpos: Any, lorn: Any) -> bool:
    """Whether one ``getVisualShapeData`` record holds real data.

    pybullet's EGL plugin answers with uninitialised memory for a second body that uses a mesh
    file already loaded (measured: two rings of the quickstart scene); such records are refused.
    """
    if geom not in (GEOM_BOX, GEOM_SPHERE, GEOM_CYLINDER, GEOM_MESH, GEOM_CAPSULE):
        return geom in GEOM_NOTHING_TO_DRAW
    numbers = np.array([*dims[:3], *lpos, *lorn], dtype=np.float64)
    if not np.isfinite(numbers).all() or (numbers[:3] < 0).any() or (numbers[:3] > 1e6).any():
        return False
    if abs(np.linalg.norm(numbers[6:10]) - 1.0) > 1e-3:
        return False
    if geom == GEOM_MESH:
        try:
            return bool(fname) and Path(fname.decode() if isinstance(fname, bytes) else fname).is_file()
        except (UnicodeDecodeError, ValueError, OSError):
            return False
    return True


def visual_parts(client: Any, uid: int) -> tuple[tuple[VisualPart, ...], tuple[np.ndarray, ...], bool]:
    """Every visual shape of body ``uid``, in the centre-of-mass frame of the link it hangs on.

    Also returns, per part and in the same frame, points whose box is the part's exact box
    (a primitive's analytic corners, a mesh's vertices) for 3D boxes, and whether every record
    pybullet gave was readable (see :func:`_readable`; also measured: a second duck's record
    reads as geometry type 0 with zero size).
    """
    p, cid = client.p, client.id
    com_from_link: dict[int, np.ndarray] = {}
    parts, extents = [], []
    complete = True
    for v in p.getVisualShapeData(uid, physicsClientId=cid):
        link, geom, dims, fname, lpos, lorn = v[1], v[2], v[3], v[4], v[5], v[6]
        if not _readable(geom, dims, fname, lpos, lorn):
            complete = False
            continue
        if geom == GEOM_MESH:
            verts, faces, closed = mesh_triangles(fname.decode() if isinstance(fname, bytes) else fname, *dims)
            convex, extent = False, verts
        elif geom in GEOM_NOTHING_TO_DRAW:
            continue
        else:
            verts, faces = primitive_polytope(geom, dims)
            convex = closed = True
            extent = _analytic_extent(geom, dims)
        if link not in com_from_link:
            info = p.getDynamicsInfo(uid, link, physicsClientId=cid)
            com_from_link[link] = np.linalg.inv(pose_matrix(info[3], info[4]))
        com_from_part = com_from_link[link] @ pose_matrix(lpos, lorn)
        parts.append(VisualPart(link, transform(verts, com_from_part), faces, convex=convex, closed=closed))
        extents.append(transform(extent, com_from_part))
    return tuple(parts), tuple(extents), complete


# Geometry of the object recipes read most recently in this process (see TruthReader._read).
# Bounded: randomly sized objects are a new recipe every episode, and an unbounded table grew a
# worker by ~0.3 MB per quickstart episode. A copy whose read is incomplete follows its first
# read closely (same episode, or every episode for a fixed recipe), so recent recipes suffice.
_RECIPES: OrderedDict[tuple[str, ...], tuple[tuple[VisualPart, ...], tuple[np.ndarray, ...]]] = OrderedDict()
RECIPE_CACHE_SIZE = 64


GEOM_OF_VISUAL = {"box": GEOM_BOX, "sphere": GEOM_SPHERE, "cylinder": GEOM_CYLINDER, "capsule": GEOM_CAPSULE}


def _spec_parts(obj: ObjectInstance, base: Path) -> tuple[tuple[VisualPart, ...], tuple[np.ndarray, ...]] | None:
    """Visual geometry of an object whose kind says exactly what pybullet draws (base frame = centre of mass)."""
    visual = kind_of(obj.type).visual(obj.shape, base)
    if visual is None:
        return None
    what, dims = visual
    if what == "file":
        verts, faces, closed = mesh_triangles(str(dims), 1.0, 1.0, 1.0)
        return (VisualPart(-1, verts, faces, closed=closed),), (verts,)
    geom = GEOM_OF_VISUAL[what]
    verts, faces = primitive_polytope(geom, dims)
    return (VisualPart(-1, verts, faces, convex=True, closed=True),), (_analytic_extent(geom, dims),)


def _spec_box_points(obj: ObjectInstance, base: Path) -> np.ndarray | None:
    """Body-frame points whose box is the object's exact box, for kinds whose spec says it."""
    return kind_of(obj.type).exact_box_points(obj.shape, base)


class TruthReader:
    """Reads one episode's per-object ground truth: geometry once, link poses at every frame."""

    def __init__(self, world: Any, spec: EpisodeSpec) -> None:
        self.world = world
        self.spec = spec
        self.base = Path(spec.base_dir)
        self.parts: dict[int, tuple[VisualPart, ...]] = {}
        self.extents: dict[int, tuple[np.ndarray, ...]] = {}
        self.joints: dict[int, int] = {}
        self.rigid_points: dict[int, np.ndarray] = {}
        self.link_names: dict[int, tuple[str, ...]] = {}
        self.com_from_link: dict[int, np.ndarray] = {}

    def _read(self, iid: int, uid: int) -> None:
        """Geometry and joint layout of a body, the first time it is seen (bodies may spawn late)."""
        p, cid = self.world.client.p, self.world.client.id
        obj = next(o for o in self.spec.objects if o.instance_id == iid)
        n = p.getNumJoints(uid, physicsClientId=cid)
        self.joints[iid] = n
        # Bodies built from the same recipe have the same geometry in their own frames; it is read
        # from pybullet once per process, since pybullet may not answer for later copies.
        recipe = (obj.type, str(self.base), repr(sorted(obj.shape.items())))
        parts, extents, complete = visual_parts(self.world.client, uid)
        if complete:
            _RECIPES[recipe] = (parts, extents)
            _RECIPES.move_to_end(recipe)
            if len(_RECIPES) > RECIPE_CACHE_SIZE:
                _RECIPES.popitem(last=False)
        elif recipe in _RECIPES:
            parts, extents = _RECIPES[recipe]
            _RECIPES.move_to_end(recipe)
        else:
            parts, extents = _spec_parts(obj, self.base) or (parts, extents)
        self.parts[iid], self.extents[iid] = parts, extents
        info = p.getDynamicsInfo(uid, -1, physicsClientId=cid)
        self.com_from_link[iid] = np.linalg.inv(pose_matrix(info[3], info[4]))
        prim = _spec_box_points(obj, self.base)
        if prim is not None:
            self.rigid_points[iid] = prim
        elif n == 0:
            pts = self.extents[iid]
            self.rigid_points[iid] = np.concatenate(pts) if pts else np.zeros((1, 3))
        if n:
            names = [p.getBodyInfo(uid, physicsClientId=cid)[0].decode()]
            names += [p.getJointInfo(uid, j, physicsClientId=cid)[12].decode() for j in range(n)]
            self.link_names[iid] = tuple(names)

    def collect(self, poses: dict[int, tuple[tuple[float, ...], tuple[float, ...]]]) -> dict[int, ObjectTruth]:
        """Truth of every live object at the current step (``poses``: base poses, as on the Frame)."""
        p, cid = self.world.client.p, self.world.client.id
        out: dict[int, ObjectTruth] = {}
        for iid, pose in poses.items():
            uid = self.world.uid_of.get(iid)
            if uid is None:
                continue
            if iid not in self.parts:
                self._read(iid, uid)
            n = self.joints[iid]
            world_from_body = pose_matrix(*pose)
            link_poses: np.ndarray | None = None
            origins = None
            if n:
                states = p.getLinkStates(uid, list(range(n)), computeForwardKinematics=1, physicsClientId=cid)
                link_poses = np.stack([pose_matrix(st[0], st[1]) for st in states])
                origins = np.array(
                    [(world_from_body @ self.com_from_link[iid])[:3, 3], *[st[4] for st in states]], dtype=np.float64
                )
            if iid in self.rigid_points:
                pts = self.rigid_points[iid]
            else:  # articulated: the box of its posed parts, in the base frame
                assert link_poses is not None  # only jointed bodies have parts without rigid points
                body_from_world = np.linalg.inv(world_from_body)
                posed = [
                    transform(ext, body_from_world @ (world_from_body if part.link < 0 else link_poses[part.link]))
                    for part, ext in zip(self.parts[iid], self.extents[iid], strict=True)
                ]
                pts = np.concatenate(posed) if posed else np.zeros((1, 3))
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            truth = ObjectTruth(box_center=(lo + hi) / 2, box_size=hi - lo, links=origins, parts=self.parts[iid])
            truth.link_poses = link_poses
            if n:
                truth.link_names = self.link_names[iid]
            out[iid] = truth
        return out
