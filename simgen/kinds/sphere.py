"""``type: sphere``: a sphere of ``radius``, centred on its pose."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from typing_extensions import override

from simgen.kinds.body import corners, multibody, rgba, textured, uv_visual
from simgen.kinds.registry import ObjectKind, object_kind
from simgen.scenario.distributions import Num
from simgen.scenario.object_fields import ObjectBase

SPHERE_SUBDIVISIONS = 3  # model icosphere: 642 vertices, antipodal pairs (its diameter is exact)


class SphereObject(ObjectBase):
    """A sphere."""

    type: Literal["sphere"]
    radius: Num(gt=0)


@object_kind
class Sphere(ObjectKind):
    """A sphere primitive: pybullet ``GEOM_SPHERE``; its model an icosphere."""

    name = "sphere"
    model = SphereObject

    @override
    def sample(self, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
        return {"radius": sampler.draw(obj.radius, f"{path}.radius")}

    @override
    def of_size(self, size: float, draws: Any) -> dict[str, Any]:
        return {"radius": size / 2}

    @override
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return np.full(3, shape["radius"], dtype=float)

    @override
    def exact_box_points(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return corners(self.half_extents(shape, base_dir))

    @override
    def visual(self, shape: dict[str, Any], base_dir: Path) -> tuple[str, Any]:
        return "sphere", (shape["radius"],)

    @override
    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> Any:
        import trimesh

        return trimesh.creation.icosphere(subdivisions=SPHERE_SUBDIVISIONS, radius=shape["radius"])

    @override
    def symmetries(self, shape: dict[str, Any]) -> dict[str, Any]:
        axes = ([1, 0, 0], [0, 1, 0], [0, 0, 1])
        return {"symmetries_continuous": [{"axis": a, "offset": [0, 0, 0]} for a in axes]}

    @override
    def build(self, client: Any, obj: Any, base: Path) -> int:
        p, r = client.p, obj.shape["radius"]
        col = p.createCollisionShape(p.GEOM_SPHERE, radius=r, physicsClientId=client.id)
        if textured(obj):
            import trimesh

            vis = uv_visual(client, trimesh.creation.icosphere(subdivisions=3, radius=r), obj)
        else:
            vis = p.createVisualShape(p.GEOM_SPHERE, radius=r, rgbaColor=rgba(obj), physicsClientId=client.id)
        return multibody(client, obj, col, vis)
