"""Small helpers the primitive kinds share: pybullet multibody creation, colours, corner points.

pybullet is reached only through the client a builder is handed; nothing here imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simgen.scenario.spec import ObjectInstance
    from simgen.sim.client import BulletClient

# Signs of a box's eight corners (the truth reader's order).
CORNER_SIGNS = np.array([(x, y, z) for x in (-1.0, 1.0) for y in (-1.0, 1.0) for z in (-1.0, 1.0)])
DEFAULT_RGBA = [0.8, 0.8, 0.8, 1.0]


def corners(half: np.ndarray) -> np.ndarray:
    """(8, 3) corners of the centred box of half extents ``half``."""
    return CORNER_SIGNS * half


def multibody(client: BulletClient, obj: ObjectInstance, collision: int, visual: int) -> int:
    """One single-link body of ``obj``'s mass at its pose (inertial frame = body frame)."""
    return client.p.createMultiBody(
        baseMass=obj.mass,
        baseCollisionShapeIndex=collision,
        baseVisualShapeIndex=visual,
        basePosition=obj.position,
        baseOrientation=obj.orientation,
        physicsClientId=client.id,
    )


def rgba(obj: ObjectInstance) -> list[float]:
    """The object's colour, or simgen's light grey."""
    return list(obj.color) if obj.color is not None else list(DEFAULT_RGBA)


def textured(obj: ObjectInstance) -> bool:
    """Whether the object's material carries a texture (primitives then draw a UV-mapped mesh)."""
    return obj.material is not None and obj.material.texture is not None


def uv_visual(client: BulletClient, mesh: Any, obj: ObjectInstance) -> int:
    """Visual shape of a primitive as a UV-mapped mesh file (pybullet's primitives have no usable UVs)."""
    from simgen.sim.materials import textured_visual, uv_mesh_file

    assert obj.material is not None and obj.material.texture is not None
    tex = obj.material.texture
    path = textured_visual(client, uv_mesh_file(mesh.vertices, mesh.faces, tex.scale, tex.key()), tex)
    return client.p.createVisualShape(client.p.GEOM_MESH, fileName=path, physicsClientId=client.id)


def flat4(r: np.ndarray) -> list[float]:
    """A (3, 3) rotation as BOP's row-major 4x4 transform with zero translation."""
    t = np.eye(4)
    t[:3, :3] = r
    return [float(v) + 0.0 for v in t.ravel()]  # + 0.0 turns -0.0 into 0.0


HALF_TURN_X = np.diag([1.0, -1.0, -1.0])
ROUND_SYMMETRIES = {
    "symmetries_continuous": [{"axis": [0, 0, 1], "offset": [0, 0, 0]}],
    "symmetries_discrete": [flat4(HALF_TURN_X)],
}
