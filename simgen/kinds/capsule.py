"""``type: capsule``: a capsule of ``radius`` whose straight part has ``length``, along its local z."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import numpy as np
from typing_extensions import override

from simgen.kinds.body import ROUND_SYMMETRIES, corners
from simgen.kinds.cylinder import ROUND_SECTIONS, TEXTURED_SECTIONS, round_body
from simgen.kinds.registry import ObjectKind, object_kind
from simgen.scenario.distributions import Num
from simgen.scenario.object_fields import ObjectBase


class CapsuleObject(ObjectBase):
    """A capsule along its local z axis (length excludes the caps)."""

    type: Literal["capsule"]
    radius: Num(gt=0)
    length: Num(gt=0)


@object_kind
class Capsule(ObjectKind):
    """A capsule primitive: pybullet ``GEOM_CAPSULE``; its model 64 facets round."""

    name = "capsule"
    model = CapsuleObject

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
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return np.array([shape["radius"], shape["radius"], shape["length"] / 2 + shape["radius"]])

    @override
    def exact_box_points(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return corners(self.half_extents(shape, base_dir))

    @override
    def visual(self, shape: dict[str, Any], base_dir: Path) -> tuple[str, Any]:
        return "capsule", (shape["length"], shape["radius"])

    @override
    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> Any:
        import trimesh

        return trimesh.creation.capsule(height=shape["length"], radius=shape["radius"], count=[ROUND_SECTIONS, 16])

    @override
    def symmetries(self, shape: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(ROUND_SYMMETRIES)

    @override
    def build(self, client: Any, obj: Any, base: Path) -> int:
        import trimesh

        r, length = obj.shape["radius"], obj.shape["length"]
        return round_body(
            client,
            obj,
            client.p.GEOM_CAPSULE,
            lambda: trimesh.creation.capsule(height=length, radius=r, count=[TEXTURED_SECTIONS, 24]),
        )
