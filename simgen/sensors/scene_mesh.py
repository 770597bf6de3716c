"""Triangle meshes of a pybullet world's visual geometry, per body and link, for ray tracers.

Everything is read through pybullet's public queries (``getVisualShapeData``,
``getCollisionShapeData``, ``getLinkStates``) and the world's public attributes (``ground_uid``,
``heights``, ``spec``), so the sensors stage needs nothing private from ``simgen.sim``.

- Boxes are exact (12 triangles). Spheres (icospheres), cylinders and capsules are tessellated
  with vertices on the true surface, finely enough that no point of a facet lies more than
  :data:`TESSELLATION_TOLERANCE` inside it.
- Meshes (``type: mesh`` objects, URDF visuals) are read from the file pybullet loaded, with the
  visual's mesh scale; a body without visual shapes falls back to its collision shapes.
- The ground plane is infinite in physics; it is meshed as a square of :data:`PLANE_HALF` metres
  half-size. A heightfield is meshed from ``world.heights`` with Bullet's own triangulation.

Poses: a link's geometry is expressed in its link (URDF) frame, the frame visual shape offsets
are given in; collision shape offsets are from the centre of mass and are moved into the link
frame. :func:`link_poses` gives world_from_link per tick.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simgen.core.transforms import matrix_from_quaternion

TESSELLATION_TOLERANCE = 1e-3  # metres: largest depth of a facet below the true curved surface
PLANE_HALF = 5_000.0  # metres: half-size of the meshed ground plane (the physics plane is infinite)


@dataclass(frozen=True)
class LinkMesh:
    """Triangles of one link in its pose frame: ``vertices`` (V, 3) float64 metres, ``faces`` (F, 3) int32."""

    link: int
    vertices: np.ndarray
    faces: np.ndarray


def sphere_subdivisions(radius: float, tol: float = TESSELLATION_TOLERANCE) -> int:
    """Icosphere subdivisions so a facet centre lies at most ``tol`` inside a sphere of ``radius``."""
    for s in range(1, 7):
        # Facet centres sit about 0.6 of an edge angle (63.4 deg / 2**s) from their vertices.
        if radius * (1 - math.cos(math.radians(0.6 * 63.4 / 2**s))) <= tol:
            return s
    return 7


def circle_sections(radius: float, tol: float = TESSELLATION_TOLERANCE) -> int:
    """Polygon sides so a chord's midpoint lies at most ``tol`` inside a circle of ``radius``."""
    if radius <= tol:
        return 8
    return int(min(1024, max(12, math.ceil(math.pi / math.acos(1 - tol / radius)))))


def primitive_mesh(geom: int, dims: Any, p: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(vertices, faces) of a pybullet primitive visual (box, sphere, cylinder, capsule), else None.

    ``dims`` as ``getVisualShapeData`` gives them: box full extents, sphere (radius, ...),
    cylinder/capsule (length, radius, ...), z the axis; a capsule's length excludes its caps.
    """
    import trimesh

    if geom == p.GEOM_BOX:
        m = trimesh.creation.box(extents=[float(d) for d in dims[:3]])
    elif geom == p.GEOM_SPHERE:
        r = float(dims[0])
        m = trimesh.creation.icosphere(subdivisions=sphere_subdivisions(r), radius=r)
    elif geom in (p.GEOM_CYLINDER, p.GEOM_CAPSULE):
        length, r = float(dims[0]), float(dims[1])
        n = circle_sections(r)
        if geom == p.GEOM_CYLINDER:
            m = trimesh.creation.cylinder(radius=r, height=length, sections=n)
        else:
            m = trimesh.creation.capsule(height=length, radius=r, count=[n, n])
    else:
        return None
    return np.asarray(m.vertices, dtype=np.float64), np.asarray(m.faces, dtype=np.int32)


@functools.lru_cache(maxsize=64)
def _mesh_file(path: str, mtime_ns: int) -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    m: Any = trimesh.load(path, force="mesh", process=False, skip_materials=True)  # force="mesh": a Trimesh
    v = np.asarray(m.vertices, dtype=np.float64)
    f = np.asarray(m.faces, dtype=np.int32)
    v.setflags(write=False)
    f.setflags(write=False)
    return v, f


def mesh_file(path: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(vertices, faces) of a mesh file as loaded (cached per path and modification time); None if absent."""
    p = Path(path)
    if not path or not p.is_file():
        return None
    return _mesh_file(str(p), p.stat().st_mtime_ns)


def plane_mesh(half: float = PLANE_HALF) -> tuple[np.ndarray, np.ndarray]:
    """A square at z = 0 of ``half`` metres half-size, two triangles facing +z."""
    v = np.array([[-half, -half, 0.0], [half, -half, 0.0], [half, half, 0.0], [-half, half, 0.0]])
    return v, np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32)


def heightfield_mesh(heights: np.ndarray, size: Any) -> tuple[np.ndarray, np.ndarray]:
    """Triangles of a heightfield in its body frame (Bullet centres the height range on the origin).

    Grid point (r, c) lies at ``x = (c / (cols - 1) - 0.5) * size_x``, ``y = (r / (rows - 1) - 0.5)
    * size_y``; each cell splits along the diagonal Bullet uses by default, (r, c+1)-(r+1, c).
    """
    rows, cols = heights.shape
    sx, sy = float(size[0]), float(size[1])
    xs = (np.arange(cols) / (cols - 1) - 0.5) * sx
    ys = (np.arange(rows) / (rows - 1) - 0.5) * sy
    mid = (float(heights.max()) + float(heights.min())) / 2
    gx, gy = np.meshgrid(xs, ys)
    v = np.stack([gx.ravel(), gy.ravel(), heights.ravel().astype(np.float64) - mid], axis=1)
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a = (r * cols + c).ravel()
    b, d, e = a + 1, a + cols + 1, a + cols
    faces = np.concatenate([np.stack([a, b, e], 1), np.stack([b, d, e], 1)]).astype(np.int32)
    return v, faces


def _shape_meshes(p: Any, shapes: Any) -> list[LinkMesh]:
    """Meshes of visual or collision shape records (both start uid, link, type, dims, file, pos, orn)."""
    out = []
    for s in shapes:
        link, geom, dims, fname, pos, orn = s[1], s[2], s[3], s[4], s[5], s[6]  # same leading fields
        if geom == p.GEOM_MESH:
            loaded = mesh_file(fname.decode("utf-8") if isinstance(fname, bytes) else str(fname))
            if loaded is None:
                continue
            v, f = loaded[0] * np.asarray(dims[:3], dtype=np.float64), loaded[1]
        else:
            prim = primitive_mesh(geom, dims, p)
            if prim is None:
                continue
            v, f = prim
        v = v @ matrix_from_quaternion(orn).T + np.asarray(pos, dtype=np.float64)
        out.append(LinkMesh(int(link), v, f))
    return out


def _inertial_frames(world: Any, uid: int, links: list[int]) -> dict[int, np.ndarray]:
    """(4, 4) link_from_inertial of each link (-1 = base): where pybullet puts the centre of mass."""
    p, cid = world.client.p, world.client.id
    out = {}
    for k in links:
        if k < 0:
            info = p.getDynamicsInfo(uid, -1, physicsClientId=cid)
            pos, orn = info[3], info[4]
        else:
            state = p.getLinkState(uid, k, physicsClientId=cid)
            pos, orn = state[2], state[3]
        t = np.eye(4)
        t[:3, :3], t[:3, 3] = matrix_from_quaternion(orn), pos
        out[k] = t
    return out


def body_meshes(world: Any, uid: int) -> list[LinkMesh]:
    """Every link's triangles of body ``uid`` in its link frame (see the module docstring)."""
    p, cid = world.client.p, world.client.id
    if uid == getattr(world, "ground_uid", -1):
        heights = getattr(world, "heights", None)
        if heights is not None:
            size = world.spec.scene.ground["heightfield"]["size"]
            v, f = heightfield_mesh(heights, size)
        else:
            v, f = plane_mesh()
        inertial = _inertial_frames(world, uid, [-1])[-1]
        return [LinkMesh(-1, v @ inertial[:3, :3].T + inertial[:3, 3], f)]
    out = _shape_meshes(p, p.getVisualShapeData(uid, physicsClientId=cid))
    if not out:  # no visual shapes: collision shapes, whose offsets are from the centre of mass
        links = list(range(-1, p.getNumJoints(uid, physicsClientId=cid)))
        shapes = [s for link in links for s in p.getCollisionShapeData(uid, link, physicsClientId=cid)]
        frames = _inertial_frames(world, uid, links)
        out = [
            LinkMesh(m.link, m.vertices @ frames[m.link][:3, :3].T + frames[m.link][:3, 3], m.faces)
            for m in _shape_meshes(p, shapes)
        ]
    return out


def link_poses(world: Any, uid: int, links: tuple[int, ...]) -> np.ndarray:
    """(len(links), 4, 4) float64 world_from_link of each link frame (-1 = the base's URDF frame).

    pybullet reports a base's pose at its centre of mass; the base frame is that pose times the
    inverse of the base's inertial offset. Links come from ``getLinkStates``' link-frame pose.
    """
    p, cid = world.client.p, world.client.id
    out = np.empty((len(links), 4, 4))
    out[:, 3] = (0.0, 0.0, 0.0, 1.0)
    children = [k for k in links if k >= 0]
    states = {}
    if children:
        res = p.getLinkStates(uid, children, computeForwardKinematics=1, physicsClientId=cid)
        states = {k: s for k, s in zip(children, res, strict=True)}
    for i, k in enumerate(links):
        if k < 0:
            pos, orn = p.getBasePositionAndOrientation(uid, physicsClientId=cid)
            info = p.getDynamicsInfo(uid, -1, physicsClientId=cid)
            r_com, r_in = matrix_from_quaternion(orn), matrix_from_quaternion(info[4])
            r = r_com @ r_in.T
            out[i, :3, :3] = r
            out[i, :3, 3] = np.asarray(pos) - r @ np.asarray(info[3])
        else:
            out[i, :3, :3] = matrix_from_quaternion(states[k][5])
            out[i, :3, 3] = states[k][4]
    return out


def pose_vertices(meshes: list[LinkMesh], poses: np.ndarray, links: tuple[int, ...]) -> np.ndarray:
    """(V, 3) float64 world-frame vertices of ``meshes`` posed by ``poses`` ((L, 4, 4), rows in ``links`` order)."""
    index = {k: i for i, k in enumerate(links)}
    parts = []
    for m in meshes:
        t = poses[index[m.link]]
        parts.append(m.vertices @ t[:3, :3].T + t[:3, 3])
    return np.concatenate(parts) if parts else np.zeros((0, 3))


__all__ = [
    "PLANE_HALF",
    "TESSELLATION_TOLERANCE",
    "LinkMesh",
    "body_meshes",
    "circle_sections",
    "heightfield_mesh",
    "link_poses",
    "mesh_file",
    "plane_mesh",
    "pose_vertices",
    "primitive_mesh",
    "sphere_subdivisions",
]
