"""``type: humanoid``: a person-shaped ragdoll built by :mod:`simgen.sim.humanoid`, walking by gait."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field
from typing_extensions import override

from simgen.kinds.registry import ObjectKind, object_kind
from simgen.scenario.distributions import Num
from simgen.scenario.object_fields import Color, ObjectBase
from simgen.scenario.world_models import HUMANOID_JOINTS


class HumanoidObject(ObjectBase):
    """A person-shaped ragdoll (capsules, box torso, sphere head) standing ``height`` metres tall."""

    type: Literal["humanoid"]
    height: Num(gt=0.2, le=3) = Field(1.75, description="metres, feet to top of head")
    joint_force: Num(ge=0, le=1e5) = Field(
        50.0, description="N m holding the pose; 0 = limp ragdoll, large = rigid mannequin"
    )
    build: Num(ge=0.6, le=1.6) = Field(1.0, description="girth: 0.75 slim .. 1.0 typical .. 1.4 heavy")
    skin_color: Color | None = Field(None, description="RGB(A); default: drawn per instance (unless 'color' is set)")
    shirt_color: Color | None = Field(None, description="torso and upper arms; default: drawn per instance")
    trousers_color: Color | None = Field(None, description="legs; default: drawn per instance")
    gait: bool = Field(True, description="swing the limbs (walk, or run above 2.2 m/s) while a behaviour moves it")


SKIN_TONES = ((0.96, 0.8, 0.69), (0.88, 0.67, 0.5), (0.76, 0.55, 0.38), (0.55, 0.38, 0.26), (0.36, 0.24, 0.17))
CLOTHES = (
    (0.1, 0.12, 0.2), (0.75, 0.1, 0.1), (0.15, 0.3, 0.6), (0.9, 0.85, 0.2), (0.2, 0.5, 0.25),
    (0.85, 0.85, 0.85), (0.12, 0.12, 0.12), (0.55, 0.35, 0.2), (0.9, 0.45, 0.1), (0.5, 0.2, 0.5),
)  # fmt: skip


def humanoid_colors(obj: Any, sampler: Any, path: str) -> dict[str, Any]:
    """Skin, shirt and trousers RGBA of a person: given, else drawn (one generator at ``path.clothing``).

    With only ``color`` set, the whole body keeps that one colour (no colours recorded here).
    """
    given = {k: getattr(obj, k) for k in ("skin_color", "shirt_color", "trousers_color")}
    if obj.color is not None and all(v is None for v in given.values()):
        return {}
    rng = sampler.rng(f"{path}.clothing")
    drawn = {
        "skin_color": SKIN_TONES[int(rng.integers(len(SKIN_TONES)))],
        "shirt_color": CLOTHES[int(rng.integers(len(CLOTHES)))],
        "trousers_color": CLOTHES[int(rng.integers(len(CLOTHES)))],
    }
    out = {}
    for key, value in given.items():
        c = sampler.vec(value, f"{path}.{key}") if value is not None else drawn[key]
        out[key] = [round(float(v), 6) for v in c][:3] + [1.0]
    return out


@object_kind
class Humanoid(ObjectKind):
    """A ragdoll person: articulated (no rigid model); motors hold its pose; a gait swings its limbs."""

    name = "humanoid"
    model = HumanoidObject
    group = "actors"

    @override
    def sample(self, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
        return {
            "height": sampler.draw(obj.height, f"{path}.height"),
            "joint_force": sampler.draw(obj.joint_force, f"{path}.joint_force"),
            "build": float(sampler.draw(obj.build, f"{path}.build")),
            "gait": obj.gait,
            **humanoid_colors(obj, sampler, path),
        }

    @override
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        girth = float(shape.get("build", 1.0))
        return np.array([0.1 * girth, 0.18 * girth, 0.5]) * shape["height"]

    @override
    def no_model_reason(self, shape: dict[str, Any], base_dir: Path) -> str | None:
        return "a ragdoll whose limbs move every frame"

    @override
    def joint_names(self) -> tuple[str, ...]:
        return HUMANOID_JOINTS

    @override
    def holds_pose(self) -> bool:
        return True

    @override
    def build(self, client: Any, obj: Any, base: Path) -> int:
        from simgen.sim.humanoid import build_humanoid

        rgba = list(obj.color) if obj.color is not None else [0.85, 0.55, 0.4, 1.0]
        s = obj.shape
        colors = {k: s[k] for k in ("skin_color", "shirt_color", "trousers_color") if k in s}
        return build_humanoid(
            client, s["height"], obj.mass, rgba, obj.position, obj.orientation, build=s.get("build", 1.0), colors=colors
        )

    @override
    def animator(self, world: Any, obj: Any, uid: int) -> Any | None:
        if not obj.shape.get("gait", True):
            return None
        from simgen.sim.animate import BipedGait

        return BipedGait(world, obj.instance_id, uid, float(obj.shape["height"]))
