"""Generate-once asset meshes: a content-addressed disk cache and the link layout of a body.

:func:`asset_mesh` returns the :class:`~simgen.assets.registry.AssetMesh` of (type, params),
recentred so the origin is the centre of its bounding box. It is cached in memory and on disk
under ``<tmp>/simgen-asset-cache/<type>-<sha256 of (type, version, params)>.npz``, written
atomically (temp name + rename), so several workers generating the same asset at once each
write a whole file and readers never see half of one; bumping a generator's version changes
every key.

:func:`asset_links` lays the parts out as pybullet links (one link per material part: pybullet
applies one colour and texture per visual shape), and :func:`asset_visual_meshes` exposes the
same geometry as plain arrays per link for consumers that rasterise or ray cast it themselves.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from simgen.assets.registry import AssetMesh, Joint, Part, load_builtin

_MEMORY: dict[str, AssetMesh] = {}
MAX_EDGE = 6.0  # metres: longer triangle edges are split (TinyRenderer rasterises huge triangles slowly)
FORMAT = 4  # bump when post-processing or shared material code changes (part of every cache key)
_MEMORY_MAX = 64  # each holds a whole asset's geometry; randomized assets are new every episode


def cache_dir() -> Path:
    """Folder of cached asset meshes (per machine, content-addressed)."""
    return Path(tempfile.gettempdir()) / "simgen-asset-cache"


def asset_key(kind: str, params: dict[str, Any]) -> str:
    """Cache key of an asset: sha256 over (type, generator version, parameters), 24 hex digits."""
    gen = load_builtin()[kind]
    text = json.dumps({"type": kind, "version": gen.version, "format": FORMAT, "params": params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def asset_mesh(kind: str, params: dict[str, Any]) -> AssetMesh:
    """The recentred mesh of asset ``kind`` with resolved ``params`` (memory, then disk, then generate)."""
    key = f"{kind}-{asset_key(kind, params)}"
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.npz"
    mesh = None
    if path.exists():
        try:
            mesh = _read(path)
        except (OSError, ValueError, KeyError):  # a foreign or damaged file: regenerate over it
            mesh = None
    if mesh is None:
        mesh = recentre(load_builtin()[kind].generate(dict(params)))
        from simgen.core.fileio import write_bytes

        write_bytes(path, _encode(mesh), durable=False)
    if len(_MEMORY) >= _MEMORY_MAX:
        _MEMORY.pop(next(iter(_MEMORY)))
    _MEMORY[key] = mesh
    return mesh


def recentre(mesh: AssetMesh) -> AssetMesh:
    """Shift every part, pivot and keypoint so the bounding box centre is the origin.

    Parts with edges longer than :data:`MAX_EDGE` (roads, walls, floors) are subdivided first:
    a camera standing on a 60 m road sees triangles reaching behind it, which a rasteriser
    without near-plane clipping walks pixel by pixel (10x the render time of the same road in
    4 m pieces). Splitting edges at their midpoints keeps the surface and its watertightness.
    """
    import trimesh

    for part in mesh.parts:
        m = part.mesh
        edges = np.linalg.norm(m.vertices[m.edges_unique[:, 0]] - m.vertices[m.edges_unique[:, 1]], axis=1)
        if len(edges) and edges.max() > MAX_EDGE:
            v, f = trimesh.remesh.subdivide_to_size(m.vertices, m.faces, max_edge=MAX_EDGE)
            part.mesh = trimesh.Trimesh(v, f, process=False)  # no vertex merging: pieces stay closed
    lo = np.min([p.mesh.bounds[0] for p in mesh.parts], axis=0)
    hi = np.max([p.mesh.bounds[1] for p in mesh.parts], axis=0)
    c = (lo + hi) / 2.0
    for part in mesh.parts:
        part.mesh.apply_translation(-c)
        if part.joint is not None:
            pv = tuple(float(v) for v in np.asarray(part.joint.pivot) - c)
            part.joint = dataclasses.replace(part.joint, pivot=pv)
    mesh.keypoints = {k: tuple(float(x) for x in np.asarray(v) - c) for k, v in mesh.keypoints.items()}
    return mesh


def half_extents(mesh: AssetMesh) -> np.ndarray:
    """(3,) half extents of a recentred asset (metres)."""
    hi = np.max([np.abs(p.mesh.bounds).max(axis=0) for p in mesh.parts], axis=0)
    return np.asarray(hi, dtype=float)


def triangle_count(mesh: AssetMesh) -> int:
    """Visual triangles of all parts."""
    return int(sum(len(p.mesh.faces) for p in mesh.parts))


def _encode(mesh: AssetMesh) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"class_name": mesh.class_name, "attributes": mesh.attributes, "parts": []}
    meta["keypoints"] = {k: list(v) for k, v in mesh.keypoints.items()}
    for i, part in enumerate(mesh.parts):
        arrays[f"v{i}"] = np.asarray(part.mesh.vertices, dtype=np.float64)
        arrays[f"f{i}"] = np.asarray(part.mesh.faces, dtype=np.int64)
        meta["parts"].append(
            {
                "name": part.name,
                "material": part.material.to_dict(),
                "collision": part.collision,
                "parent": part.parent,
                "joint": None if part.joint is None else dataclasses.asdict(part.joint),
            }
        )
    arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds like allow_pickle
    return buf.getvalue()


def _read(path: Path) -> AssetMesh:
    import trimesh

    from simgen.materials.library import material_from_dict

    with np.load(path) as z:
        meta = json.loads(bytes(z["meta"]).decode())
        parts = []
        for i, d in enumerate(meta["parts"]):
            m = trimesh.Trimesh(z[f"v{i}"], z[f"f{i}"], process=False)
            j = d["joint"]
            joint = None if j is None else Joint(tuple(j["pivot"]), tuple(j["axis"]), j["role"], j["radius"])
            parts.append(Part(d["name"], m, material_from_dict(d["material"]), d["collision"], d["parent"], joint))
    kp = {k: tuple(v) for k, v in meta["keypoints"].items()}
    return AssetMesh(parts, kp, meta["class_name"], meta["attributes"])


@dataclasses.dataclass(frozen=True)
class LinkLayout:
    """One pybullet link of an asset body (index -1 = the base).

    ``origin`` is the link frame's position in the asset frame (no rotation at rest); vertices
    are in the link frame; ``parent`` is the parent's link index (-1 = base).
    """

    index: int
    part: Part
    parent: int
    origin: np.ndarray
    vertices: np.ndarray
    faces: np.ndarray


def asset_links(mesh: AssetMesh) -> list[LinkLayout]:
    """Parts as links: the first part is the base (-1); the others follow in order (0, 1, ...)."""
    index = {p.name: i - 1 for i, p in enumerate(mesh.parts)}
    origins: dict[str, np.ndarray] = {}
    out = []
    for i, part in enumerate(mesh.parts):
        parent = -1 if part.parent is None else index[part.parent]
        parent_origin = np.zeros(3) if part.parent is None else origins[part.parent]
        origin = np.asarray(part.joint.pivot, float) if part.joint is not None else parent_origin
        if i == 0:
            origin = np.zeros(3)
        origins[part.name] = origin
        v = np.asarray(part.mesh.vertices, dtype=np.float64) - origin
        out.append(LinkLayout(i - 1, part, parent, origin, v, np.asarray(part.mesh.faces, dtype=np.int64)))
    return out


def asset_visual_meshes(obj: Any) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Visual geometry of an asset instance as plain data: ``[(link_index, vertices, faces)]``.

    ``obj`` is an :class:`~simgen.scenario.spec.ObjectInstance` of an asset type; link -1 is the
    base. Vertices are (N, 3) float64 metres in that link's frame (pybullet's link frame: the
    base frame is the instance's pose, the bounding-box centre at rest), faces (F, 3) int64,
    counter-clockwise seen from outside. Pose each link with pybullet's link state to get world
    geometry (rasterisers, ray casters).
    """
    mesh = asset_mesh(obj.type, obj.shape["params"])
    return [(link.index, link.vertices, link.faces) for link in asset_links(mesh)]
