"""``type: capsule``: a capsule of ``radius`` whose straight part has ``length``, along its local z."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from typing_extensions import override

from simgen.kinds.cylinder import ROUND_SECTIONS, TEXTURED_SECTIONS, RoundKind, round_body
from simgen.kinds.registry import object_kind
from simgen.scenario.distributions import Num
from simgen.scenario.object_fields import ObjectBase


class CapsuleObject(ObjectBase):
    """A capsule along its local z axis (length excludes the caps)."""

    type: Literal["capsule"]
    radius: Num(gt=0)
    length: Num(gt=0)


@object_kind
class Capsule(RoundKind):
    """A capsule primitive: pybullet ``GEOM_CAPSULE``; its model 64 facets round."""

    name = "capsule"
    model = CapsuleObject

    @override
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        return np.array([shape["radius"], shape["radius"], shape["length"] / 2 + shape["radius"]])

    @override
    def visual(self, shape: dict[str, Any], base_dir: Path) -> tuple[str, Any]:
        return "capsule", (shape["length"], shape["radius"])

    @override
    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> Any:
        import trimesh

        return trimesh.creation.capsule(height=shape["length"], radius=shape["radius"], count=[ROUND_SECTIONS, 16])

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
