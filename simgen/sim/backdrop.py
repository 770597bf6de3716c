"""Randomized surroundings: a textured ground plane and background walls.

Both come from ``EpisodeSpec.ground_material`` and ``EpisodeSpec.backdrop`` (set by the
``texture`` and ``background`` randomizers). Walls are static, unlabelled bodies: they occlude
and appear in depth like the ground, and never get annotations. The sky gradient is painted
after rendering (``simgen.randomize.pipeline``), since pybullet has no sky.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.materials.material import Material
from simgen.sim.client import BulletClient

WALL_THICKNESS = 0.05  # metres
WALL_GRID = 8  # quads per wall side, so EGL shades the wall evenly (see simgen.sim.terrain.floor_obj_text)


def textured_floor_visual(client: BulletClient, material: Material) -> int:
    """Visual shape of the 200 m floor whose UVs repeat the texture every ``texture.scale`` metres."""
    import hashlib

    from simgen.core.fileio import write_text
    from simgen.sim.terrain import PLANE_HALF, _cache, floor_obj_text

    scale = material.texture.scale if material.texture is not None else 1.0
    # one file name per texture: the EGL plugin keeps the first texture seen per mesh file name
    tag = hashlib.sha256(material.texture.key().encode()).hexdigest()[:16] if material.texture is not None else ""
    path = _cache(f"floor-uv-{scale:.6g}-{tag}.obj")
    if not path.exists():
        write_text(path, floor_obj_text(PLANE_HALF / scale))
    from simgen.sim.materials import textured_visual

    mesh = textured_visual(client, path, material.texture)
    return client.p.createVisualShape(client.p.GEOM_MESH, fileName=mesh, physicsClientId=client.id)


def _wall_mesh(width: float, height: float) -> tuple[np.ndarray, np.ndarray]:
    """A gridded box mesh of ``width`` x thickness x ``height`` centred on its origin."""
    import trimesh

    box = trimesh.creation.box((width, WALL_THICKNESS, height))
    for _ in range(3):  # subdivide so large walls shade evenly
        box = box.subdivide()
    return np.asarray(box.vertices), np.asarray(box.faces)


def build_walls(client: BulletClient, walls: list[dict[str, Any]], material: Material | None, apply: Any) -> list[int]:
    """Static wall bodies on sides 0..3 (+x, +y, -x, -y) of a square; returns their uids."""
    from simgen.sim.materials import textured_visual, uv_mesh_file

    p, cid = client.p, client.id
    uids = []
    for wall in walls:
        d, h = float(wall["distance"]), float(wall["height"])
        side = int(wall["side"])
        width = 2 * d
        yaw = [np.pi / 2, 0.0, np.pi / 2, 0.0][side]
        pos = [(d, 0.0), (0.0, d), (-d, 0.0), (0.0, -d)][side]
        v, f = _wall_mesh(width, h)
        scale = material.texture.scale if material is not None and material.texture is not None else 1.0
        tag = material.texture.key() if material is not None and material.texture is not None else ""
        texture = material.texture if material is not None else None
        path = textured_visual(client, uv_mesh_file(v, f, scale, tag), texture)
        vis = p.createVisualShape(p.GEOM_MESH, fileName=path, physicsClientId=cid)
        col = p.createCollisionShape(
            p.GEOM_BOX, halfExtents=[width / 2, WALL_THICKNESS / 2, h / 2], physicsClientId=cid
        )
        orn = p.getQuaternionFromEuler([0, 0, yaw])
        uid = p.createMultiBody(
            0, col, vis, basePosition=[pos[0], pos[1], h / 2], baseOrientation=orn, physicsClientId=cid
        )
        if material is not None:
            apply(uid, -1, material, baked=True)
        else:
            p.changeVisualShape(uid, -1, rgbaColor=[0.7, 0.7, 0.7, 1], physicsClientId=cid)
        uids.append(uid)
    return uids
