"""``type: mesh``: an OBJ/STL/PLY/GLB file loaded through trimesh, scaled, in the file's own frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field
from typing_extensions import override

from simgen.core.memo import Lru, file_key
from simgen.kinds.body import multibody, rgba
from simgen.kinds.registry import ObjectKind, object_kind
from simgen.scenario.assets import load_mesh, resolve_asset
from simgen.scenario.distributions import Num
from simgen.scenario.object_fields import ObjectBase

HULL_CACHE_SIZE = 64


class MeshObject(ObjectBase):
    """An OBJ/STL/PLY/GLB mesh loaded through trimesh; collision from its convex hull."""

    type: Literal["mesh"]
    path: str = Field(min_length=1, max_length=512)
    scale: Num(gt=0) = 1.0
    collision: Literal["convex_hull", "vhacd", "none"] = "convex_hull"


def cached_obj(source: Path, scale: float) -> tuple[Path, Any]:
    """Scaled copy of a mesh as OBJ in a content-addressed cache; returns (path, mesh).

    pybullet's EGL renderer only draws meshes given as files (not as vertex lists), and only
    reads OBJ/STL, so every mesh format goes through trimesh to an OBJ once.
    """
    import hashlib
    import tempfile

    import trimesh

    from simgen.core.fileio import write_text

    sha = _SOURCE_SHA.get(file_key(source), lambda: hashlib.sha256(source.read_bytes()))
    digest = _with_scale(sha, scale).hexdigest()[:24]
    mesh = load_mesh(source, scale)
    path = Path(tempfile.gettempdir()) / "simgen-mesh-cache" / f"{digest}.obj"
    if not path.exists():
        text = trimesh.exchange.obj.export_obj(mesh, include_normals=True, include_color=False, include_texture=False)
        write_text(path, text)
    return path, mesh


# sha256 state of each recently used source file, by content identity (extended by the scale).
_SOURCE_SHA: Lru[Any] = Lru(64)


def _with_scale(sha: Any, scale: float) -> Any:
    """sha256 of (source bytes, repr of the scale), from the source's own hash state."""
    h = sha.copy()
    h.update(repr(float(scale)).encode())
    return h


_HULLS: dict[Path, list[list[float]]] = {}


def hull_vertices(obj_path: Path, mesh: Any) -> list[list[float]]:
    """Convex-hull vertices of ``mesh`` (cached as ``obj_path``) as the nested list pybullet takes.

    The first few distinct meshes are kept (keyed by the content-addressed OBJ path, so the same
    mesh and scale always get the same list), since a hull costs more than the body built on it.
    Handed to pybullet through ``convex_shape``, which takes back the references it leaks. The
    list must not be mutated.
    """
    hull = _HULLS.get(obj_path)
    if hull is None:
        hull = mesh.convex_hull.vertices.tolist()
        if len(_HULLS) < HULL_CACHE_SIZE:
            _HULLS[obj_path] = hull
    return hull


def vhacd_parts(client: Any, obj_path: Path) -> Path:
    """Convex decomposition of a cached OBJ through pybullet's V-HACD, cached next to it.

    The result is an OBJ of several convex parts; pybullet loads each part as one convex
    child of a compound shape, so concave parts (rings, trays, brackets) collide by their shape.
    """
    out = obj_path.with_suffix(".vhacd.obj")
    if not out.exists():
        from simgen.core.fileio import replacing
        from simgen.errors import AssetError
        from simgen.sim.quiet import quiet_stdout

        with replacing(out, ".tmp.obj") as tmp:
            with quiet_stdout(stderr=True):
                client.p.vhacd(str(obj_path), str(tmp), str(tmp.with_suffix(".log")), physicsClientId=client.id)
            tmp.with_suffix(".log").unlink(missing_ok=True)
            if not tmp.exists():
                raise AssetError(f"convex decomposition of '{obj_path.name}' failed", hint="use collision: convex_hull")
    return out


# Half extents at scale 1 by the file's content identity; a scale multiplies them exactly.
_UNIT_EXTENTS: Lru[np.ndarray] = Lru(64)


def _half_extents(mesh: Any) -> np.ndarray:
    """(3,) largest distance of the mesh's box from its origin along each axis."""
    return np.abs(np.asarray(mesh.bounds, dtype=float)).max(axis=0)


@object_kind
class Mesh(ObjectKind):
    """A mesh file: its rigid model is the scaled file itself."""

    name = "mesh"
    model = MeshObject
    group = "files"
    reads_files = True

    @override
    def sample(self, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
        return {"path": obj.path, "scale": sampler.draw(obj.scale, f"{path}.scale"), "collision": obj.collision}

    @override
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        path = resolve_asset(shape["path"], base_dir)
        unit = _UNIT_EXTENTS.get(file_key(path), lambda: _half_extents(load_mesh(path, 1.0)))
        return unit * float(shape["scale"])

    @override
    def exact_box_points(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        _, mesh = cached_obj(resolve_asset(shape["path"], base_dir), shape["scale"])
        return np.asarray(mesh.vertices, dtype=np.float64)

    @override
    def visual(self, shape: dict[str, Any], base_dir: Path) -> tuple[str, Any]:
        path, _ = cached_obj(resolve_asset(shape["path"], base_dir), shape["scale"])
        return "file", path

    @override
    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> Any:
        return load_mesh(resolve_asset(shape["path"], base_dir), float(shape["scale"]))

    @override
    def build(self, client: Any, obj: Any, base: Path) -> int:
        p = client.p
        obj_path, mesh = cached_obj(resolve_asset(obj.shape["path"], base), obj.shape["scale"])
        vis = p.createVisualShape(p.GEOM_MESH, fileName=str(obj_path), rgbaColor=rgba(obj), physicsClientId=client.id)
        col = -1
        if obj.shape["collision"] == "convex_hull":
            from simgen.sim.client import convex_shape

            col = convex_shape(client, hull_vertices(obj_path, mesh))
        elif obj.shape["collision"] == "vhacd":
            col = p.createCollisionShape(
                p.GEOM_MESH, fileName=str(vhacd_parts(client, obj_path)), physicsClientId=client.id
            )
        return multibody(client, obj, col, vis)
