"""Texture coordinates for generated meshes.

pybullet's primitive visual shapes (``GEOM_BOX``, ``GEOM_SPHERE``, ...) carry no usable texture
coordinates: a texture on them renders as one flat texel. Textured surfaces are therefore built
as OBJ meshes with box-projected (triplanar) UVs: each triangle takes the two world-aligned axes
most perpendicular to its normal, so a texture tiles every ``scale`` metres without stretching.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.core.memo import Lru

# Triangles of the OBJ files written from obj_text_with_uvs, by path (the names are
# content-addressed): what a reader parsing the file would get, without parsing it.
_WRITTEN: Lru[tuple[np.ndarray, np.ndarray]] = Lru(256)


def box_projected_uvs(vertices: np.ndarray, faces: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """UVs per face corner: (F, 3, 2) float64, texture tiles per ``scale`` metres.

    Args:
        vertices: (V, 3) float, metres, in the mesh's own frame.
        faces: (F, 3) int vertex indices, counter-clockwise seen from outside.
        scale: metres covered by one texture tile.
    """
    tri = vertices[faces]  # (F, 3, 3)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    axis = np.argmax(np.abs(normal), axis=1)  # dominant normal axis per face
    # project onto the other two axes, ordered so the image is not mirrored on the +axis side
    u_axis = np.array([1, 0, 0])[axis]
    v_axis = np.array([2, 2, 1])[axis]
    rows = np.arange(len(faces))
    u = tri[rows[:, None], np.arange(3)[None, :], u_axis[:, None]]
    v = tri[rows[:, None], np.arange(3)[None, :], v_axis[:, None]]
    flip = np.sign(normal[rows, axis]) * np.array([-1.0, 1.0, -1.0])[axis]
    u = np.where(flip[:, None] < 0, -u, u)
    return np.stack([u, v], axis=-1) / float(scale)


def obj_text_with_uvs(vertices: np.ndarray, faces: np.ndarray, uvs: np.ndarray) -> str:
    """Wavefront OBJ text of a mesh with per-corner UVs ((F, 3, 2)) and flat per-face normals."""
    tri = vertices[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    n = len(faces)
    # One format call per block (not per line): the same text, several times faster.
    corner = np.arange(1, 3 * n + 1).reshape(n, 3)
    f_cols = np.column_stack([faces[:, 0] + 1, corner[:, 0], np.arange(1, n + 1)])
    f_cols = np.column_stack(
        [f_cols, faces[:, 1] + 1, corner[:, 1], f_cols[:, 2], faces[:, 2] + 1, corner[:, 2], f_cols[:, 2]]
    )
    blocks = [
        _lines("v {:.6g} {:.6g} {:.6g}", vertices),  # as_written() reads these back
        _lines("vt {:.6g} {:.6g}", uvs.reshape(-1, 2)),
        _lines("vn {:.6g} {:.6g} {:.6g}", normal),
        _lines("f {}/{}/{} {}/{}/{} {}/{}/{}", f_cols),
    ]
    return "".join(blocks)


def _lines(pattern: str, rows: np.ndarray) -> str:
    """``pattern`` formatted with each row's values (Python floats or ints), one line each."""
    values = np.asarray(rows).tolist()
    return "".join((pattern + "\n").format(*row) for row in values)


def as_written(vertices: np.ndarray) -> np.ndarray:
    """(V, 3) float64 vertex coordinates as :func:`obj_text_with_uvs` stores them (6 significant digits)."""
    flat = np.asarray(vertices, dtype=np.float64).ravel().tolist()
    return np.array(" ".join(map("{:.6g}".format, flat)).split(), dtype=np.float64).reshape(-1, 3)


def remember_written(path: str | Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Note that ``path`` holds ``obj_text_with_uvs(vertices, faces, ...)`` (or that text after a header).

    Kept: the referenced vertices as the file stores them and the triangles over them, so the
    ground-truth reader gets the triangles pybullet draws without parsing the file again.
    """
    key = str(path)
    if _WRITTEN.peek(key) is not None:
        return
    f = np.asarray(faces, dtype=np.int64)
    used, inverse = np.unique(f, return_inverse=True)
    v = as_written(np.asarray(vertices)[used])
    if _snaps(v):
        return  # a parser merging nearby vertices would move some corners: let it read the file
    _WRITTEN.put(key, (v, inverse.reshape(f.shape).astype(np.int32)))


def _snaps(v: np.ndarray, digits: int = 8) -> bool:
    """Whether two different vertices agree to ``digits`` decimals on every axis.

    Mesh readers merge vertices that agree to that many decimals (trimesh: 8), so such a pair
    (float noise like 2e-16 beside 0) may come back moved; without one, merging only joins
    identical corners and every triangle keeps its coordinates.
    """
    if len(v) < 2:
        return False
    rounded = np.round(v * 10.0**digits)
    order = np.lexsort(rounded.T[::-1])  # rows with equal rounded values end up side by side
    r, p = rounded[order], v[order]
    same_key = np.all(r[1:] == r[:-1], axis=1)
    return bool(np.any(same_key & np.any(p[1:] != p[:-1], axis=1)))


def alias_written(path: str | Path, source: str | Path) -> None:
    """``path`` holds the same vertices and triangles as ``source`` (a copy with another header)."""
    known = _WRITTEN.peek(str(source))
    if known is not None:
        _WRITTEN.put(str(path), known)


def written_triangles(path: str | Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(vertices, faces) of an OBJ this process wrote through :func:`remember_written`, else None.

    The vertex list is compacted and not split per texture coordinate as a file parser splits
    it; every triangle has the file's corner coordinates, in the file's order.
    """
    return _WRITTEN.peek(str(path))
