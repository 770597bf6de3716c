"""Texture coordinates for generated meshes.

pybullet's primitive visual shapes (``GEOM_BOX``, ``GEOM_SPHERE``, ...) carry no usable texture
coordinates: a texture on them renders as one flat texel. Textured surfaces are therefore built
as OBJ meshes with box-projected (triplanar) UVs: each triangle takes the two world-aligned axes
most perpendicular to its normal, so a texture tiles every ``scale`` metres without stretching.
"""

from __future__ import annotations

import numpy as np


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
    lines = [f"v {x:.6g} {y:.6g} {z:.6g}" for x, y, z in vertices]
    lines += [f"vt {u:.6g} {v:.6g}" for u, v in uvs.reshape(-1, 2)]
    lines += [f"vn {x:.6g} {y:.6g} {z:.6g}" for x, y, z in normal]
    for i, (a, b, c) in enumerate(faces):
        t = 3 * i + 1
        lines.append(f"f {a + 1}/{t}/{i + 1} {b + 1}/{t + 1}/{i + 1} {c + 1}/{t + 2}/{i + 1}")
    return "\n".join(lines) + "\n"
