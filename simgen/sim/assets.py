"""The one world builder of every procedural asset type (``simgen.assets``).

An asset becomes one pybullet multibody with one link per material part (pybullet draws one
colour and one texture per visual shape): the first part is the base, the others hang on it
by fixed joints, or by revolute joints for moving parts (wheels, legs), which the animators in
:mod:`simgen.sim.animate` drive. Visuals are UV-mapped OBJ files (box-projected, so textures
tile by the material's scale; pybullet's EGL renderer draws only meshes given as files);
collisions are each part's convex hull (the generators' parts are convex primitives, so the
hull is the part), or none for decorative parts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simgen.scenario.spec import ObjectInstance
from simgen.sim.client import BulletClient

JOINT_FORCE_PER_KG = 50.0  # N m per kg of the body holding moving parts at rest under physics


def textured_obj_file(vertices: np.ndarray, faces: np.ndarray, material: Any) -> str:
    """Path of a cached OBJ + MTL whose ``map_Kd`` names the material's texture PNG.

    The texture travels with the mesh file, so pybullet loads it with the visual shape. Setting
    it afterwards with ``changeVisualShape(textureUniqueId=...)`` is not reliable under the EGL
    plugin: once a body with revolute links is created, textures set that way on other bodies
    can render untextured. Content-addressed and written atomically next to the texture.
    """
    import hashlib

    from simgen.core.fileio import write_text
    from simgen.materials.textures import texture_png
    from simgen.materials.uv import box_projected_uvs, obj_text_with_uvs, remember_written

    png = texture_png(material.texture)
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces, dtype=np.int64)
    scale = material.texture.scale
    digest = hashlib.sha256(v.tobytes() + f.tobytes() + repr(float(scale)).encode() + png.name.encode()).hexdigest()[
        :24
    ]
    path = png.parent / f"tmesh-{digest}.obj"
    if not path.exists():
        mtl = path.with_suffix(".mtl")
        write_text(mtl, f"newmtl m\nKa 1 1 1\nKd 1 1 1\nKs 0 0 0\nmap_Kd {png.name}\n", durable=False)
        body = obj_text_with_uvs(v, f, box_projected_uvs(v, f, scale))
        write_text(path, f"mtllib {mtl.name}\nusemtl m\n" + body, durable=False)
    remember_written(path, v, f)
    return str(path)


def _visual(client: BulletClient, vertices: np.ndarray, faces: np.ndarray, material: Any) -> int:
    from simgen.sim.materials import uv_mesh_file

    if material.texture is not None:
        path = textured_obj_file(vertices, faces, material)
    else:
        path = uv_mesh_file(vertices, faces, 1.0)
    return client.p.createVisualShape(
        client.p.GEOM_MESH,
        fileName=path,
        rgbaColor=list(material.base_color),
        specularColor=[material.specular] * 3,
        physicsClientId=client.id,
    )


_HULLS: dict[bytes, list[list[float]]] = {}
HULL_CACHE_SIZE = 4096


def _hull(vertices: np.ndarray) -> list[list[float]]:
    """Convex-hull vertices of a part, cached by content: every episode rebuilds the same parts.

    The cached list is shared; :func:`simgen.sim.client.convex_shape` copies it for pybullet.
    """
    import hashlib

    v = np.ascontiguousarray(vertices, dtype=np.float64)
    key = hashlib.sha1(v.tobytes()).digest()
    hull = _HULLS.get(key)
    if hull is None:
        import trimesh

        hull = np.asarray(trimesh.convex.convex_hull(v).vertices).tolist()
        if len(_HULLS) < HULL_CACHE_SIZE:
            _HULLS[key] = hull
    return hull


def _collision(client: BulletClient, vertices: np.ndarray, kind: str) -> int:
    if kind == "none":
        return -1
    from simgen.sim.client import convex_shape

    return convex_shape(client, _hull(vertices))


def build_asset(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    """Create the multibody of an asset instance; returns its uid. Materials from the parts."""
    from simgen.assets.cache import asset_links, asset_mesh

    p, cid = client.p, client.id
    links = asset_links(asset_mesh(obj.type, obj.shape["params"]))
    volumes = np.array([max(abs(float(link.part.mesh.volume)), 1e-9) for link in links])
    masses = obj.mass * volumes / volumes.sum()
    vis = [_visual(client, link.vertices, link.faces, link.part.material) for link in links]
    # wheels and legs carry a body that walks or drives: they collide, so it stands on them under physics
    moving = "hull" if motion_of(obj.type) else None
    col = [
        _collision(client, link.vertices, moving if moving and link.part.joint is not None else link.part.collision)
        for link in links
    ]
    rest = links[1:]
    parent_origin = {link.index: link.origin for link in links}
    uid = p.createMultiBody(
        baseMass=float(masses[0]),
        baseCollisionShapeIndex=col[0],
        baseVisualShapeIndex=vis[0],
        basePosition=obj.position,
        baseOrientation=obj.orientation,
        baseInertialFramePosition=[0, 0, 0],
        linkMasses=[float(m) for m in masses[1:]],
        linkCollisionShapeIndices=col[1:],
        linkVisualShapeIndices=vis[1:],
        linkPositions=[(link.origin - parent_origin[link.parent]).tolist() for link in rest],
        linkOrientations=[[0, 0, 0, 1]] * len(rest),
        linkInertialFramePositions=[[0, 0, 0]] * len(rest),
        linkInertialFrameOrientations=[[0, 0, 0, 1]] * len(rest),
        linkParentIndices=[link.parent + 1 for link in rest],
        linkJointTypes=[p.JOINT_REVOLUTE if link.part.joint is not None else p.JOINT_FIXED for link in rest],
        linkJointAxis=[list(link.part.joint.axis) if link.part.joint is not None else [0, 0, 1] for link in rest],
        physicsClientId=cid,
    )
    force = JOINT_FORCE_PER_KG * obj.mass
    for j, link in enumerate(rest):
        if link.part.joint is not None:  # hold moving parts at rest; animators set them when the body moves
            p.setJointMotorControl2(uid, j, p.POSITION_CONTROL, targetPosition=0.0, force=force, physicsClientId=cid)
    return uid


def motion_of(obj_type: str) -> str | None:
    """The animator kind of an asset type (``wheels``, ``quadruped``) or None."""
    from simgen.assets.registry import ASSETS

    return ASSETS[obj_type].motion
