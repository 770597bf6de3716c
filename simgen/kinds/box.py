"""``type: box``: a box of full extents ``size``, centred on its pose."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field
from typing_extensions import override

from simgen.kinds.body import corners, flat4, multibody, rgba, textured, uv_visual
from simgen.kinds.registry import ObjectKind, object_kind
from simgen.scenario.object_fields import ObjectBase, Positive3


class BoxObject(ObjectBase):
    """A box of full extents ``size`` (metres)."""

    type: Literal["box"]
    size: Positive3 = Field(description="full extents x, y, z in metres")


def box_symmetries(size: np.ndarray) -> list[np.ndarray]:
    """Proper rotations (3, 3), identity excluded, that map a centred box of ``size`` onto itself.

    The signed permutation matrices with determinant +1 that only swap axes of equal length:
    3 half-turns for a general box, up to 23 rotations for a cube.
    """
    out = []
    size = np.asarray(size, dtype=np.float64)
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            r = np.zeros((3, 3))
            r[range(3), perm] = signs
            if np.linalg.det(r) < 0 or np.allclose(r, np.eye(3)):
                continue
            if np.allclose(np.abs(r) @ size, size, rtol=1e-9, atol=1e-12):
                out.append(r)
    return out


@object_kind
class Box(ObjectKind):
    """A box primitive: pybullet ``GEOM_BOX``, exact extents, a 12-triangle model."""

    name = "box"
    model = BoxObject

    @override
    def sample(self, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
        return {"size": list(sampler.vec(obj.size, f"{path}.size"))}

    @override
    def of_size(self, size: float, draws: Any) -> dict[str, Any]:
        dims = draws.rng("dims").uniform(0.5, 1.0, size=3) * size
        return {"size": [float(x) for x in dims]}

    @override
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return np.asarray(shape["size"], dtype=float) / 2

    @override
    def exact_box_points(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return corners(self.half_extents(shape, base_dir))

    @override
    def visual(self, shape: dict[str, Any], base_dir: Path) -> tuple[str, Any]:
        return "box", tuple(shape["size"])

    @override
    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> Any:
        import trimesh

        return trimesh.creation.box(extents=shape["size"])

    @override
    def symmetries(self, shape: dict[str, Any]) -> dict[str, Any]:
        rots = box_symmetries(np.asarray(shape["size"], dtype=np.float64))
        return {"symmetries_discrete": [flat4(r) for r in rots]} if rots else {}

    @override
    def build(self, client: Any, obj: Any, base: Path) -> int:
        p, half = client.p, [s / 2 for s in obj.shape["size"]]
        col = p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=client.id)
        if textured(obj):
            import trimesh

            vis = uv_visual(client, trimesh.creation.box(obj.shape["size"]), obj)
        else:
            vis = p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=rgba(obj), physicsClientId=client.id)
        return multibody(client, obj, col, vis)
