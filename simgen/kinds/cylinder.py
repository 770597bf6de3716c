"""``type: cylinder``: a cylinder of ``radius`` and ``length`` along its local z, centred on its pose."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import numpy as np
from typing_extensions import override

from simgen.kinds.body import ROUND_SYMMETRIES, corners, multibody, rgba, textured, uv_visual
from simgen.kinds.registry import ObjectKind, object_kind
from simgen.scenario.distributions import Num
from simgen.scenario.object_fields import ObjectBase

ROUND_SECTIONS = 64  # model facets around cylinders and capsules
TEXTURED_SECTIONS = 48  # facets of the UV-mapped visual of a textured one


class CylinderObject(ObjectBase):
    """A cylinder along its local z axis."""

    type: Literal["cylinder"]
    radius: Num(gt=0)
    length: Num(gt=0)


def round_body(client: Any, obj: Any, geom: int, textured_mesh: Any) -> int:
    """A cylinder or capsule body; ``textured_mesh()`` makes the UV visual when the material has a texture."""
    p, r, length = client.p, obj.shape["radius"], obj.shape["length"]
    col = p.createCollisionShape(geom, radius=r, height=length, physicsClientId=client.id)
    if textured(obj):
        vis = uv_visual(client, textured_mesh(), obj)
    else:
        vis = p.createVisualShape(geom, radius=r, length=length, rgbaColor=rgba(obj), physicsClientId=client.id)
    return multibody(client, obj, col, vis)


class RoundKind(ObjectKind):
    """What cylinders and capsules share: ``radius`` and ``length`` fields, box corners, round symmetry."""

    @override
    def sample(self, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
        return {
            "radius": sampler.draw(obj.radius, f"{path}.radius"),
            "length": sampler.draw(obj.length, f"{path}.length"),
        }

    @override
    def of_size(self, size: float, draws: Any) -> dict[str, Any]:
        return {"radius": size / 3, "length": size}

    @override
    def exact_box_points(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return corners(self.half_extents(shape, base_dir))

    @override
    def symmetries(self, shape: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(ROUND_SYMMETRIES)


@object_kind
class Cylinder(RoundKind):
    """A cylinder primitive: pybullet ``GEOM_CYLINDER``; its model 64 facets round."""

    name = "cylinder"
    model = CylinderObject

    @override
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return np.array([shape["radius"], shape["radius"], shape["length"] / 2])

    @override
    def visual(self, shape: dict[str, Any], base_dir: Path) -> tuple[str, Any]:
        return "cylinder", (shape["length"], shape["radius"])

    @override
    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> Any:
        import trimesh

        return trimesh.creation.cylinder(radius=shape["radius"], height=shape["length"], sections=ROUND_SECTIONS)

    @override
    def build(self, client: Any, obj: Any, base: Path) -> int:
        import trimesh

        r, length = obj.shape["radius"], obj.shape["length"]
        return round_body(
            client,
            obj,
            client.p.GEOM_CYLINDER,
            lambda: trimesh.creation.cylinder(radius=r, height=length, sections=TEXTURED_SECTIONS),
        )
