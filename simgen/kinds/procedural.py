"""Procedural asset types (:mod:`simgen.assets`) as object kinds: one kind per registered generator.

A generator declares its parameters and a pure ``generate(params)``; everything else follows
from the generated mesh: fields (one per parameter), sampling (each parameter drawn at its key
path, plus an Infinigen-style instance seed), exact extents, a rigid model (every part in the
asset frame, which is the base link's frame in pybullet) unless moving parts make it
articulated, the pybullet body (:func:`simgen.sim.assets.build_asset`) and its animator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from typing_extensions import override

from simgen.assets.registry import AssetType, load_builtin
from simgen.kinds.registry import KINDS, ObjectKind, register_kind


def asset_shape(gen: AssetType, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
    """``{"params": ...}`` of a procedural asset instance: every parameter drawn at its key path.

    The instance seed comes from (factory seed, instance index), Infinigen-style: the factory
    seed is the object's ``seed`` or one drawn per episode at ``objects[j].seed``, so instance k
    looks the same whatever the count, and a fixed ``seed`` gives the same looks every episode.
    """
    params: dict[str, Any] = {}
    for name, param in gen.params.items():
        value = getattr(obj, name)
        if param.kind == "color":
            params[name] = None if value is None else [round(float(c), 6) for c in sampler.vec(value, f"{path}.{name}")]
        elif param.kind == "bool":
            params[name] = bool(value)
        else:
            v = sampler.draw(value, f"{path}.{name}")
            params[name] = int(v) if param.kind == "int" else v if isinstance(v, str) else float(v)
    entry, _, k = path.rpartition("[")
    factory = obj.seed
    if factory is None:
        factory = int(sampler.rng(f"{entry}.seed").integers(0, 2**31 - 1))
    state = np.random.SeedSequence(entropy=factory, spawn_key=(int(k.rstrip("]")),)).generate_state(1)
    params["seed"] = int(state[0] & 0x7FFFFFFF)
    return {"params": params}


class ProceduralKind(ObjectKind):
    """The kind of one generator: its geometry comes from the cached generated mesh."""

    def __init__(self, gen: AssetType, model: type) -> None:
        self.gen = gen
        self.name = gen.name
        self.model = model
        self.group = gen.group
        self.surface = gen.surface
        self.fixed_links = True  # material parts hang on fixed joints; moving ones make it articulated

    @property
    @override
    def doc(self) -> str:
        return self.gen.doc

    def _mesh(self, shape: dict[str, Any]) -> Any:
        from simgen.assets.cache import asset_mesh

        return asset_mesh(self.name, shape["params"])

    @override
    def sample(self, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
        return asset_shape(self.gen, obj, sampler, path)

    @override
    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        from simgen.assets.cache import half_extents

        return half_extents(self._mesh(shape))

    @override
    def attributes(self, shape: dict[str, Any]) -> dict[str, Any]:
        return {k: shape["params"][k] for k, p in self.gen.params.items() if p.attribute}

    @override
    def no_model_reason(self, shape: dict[str, Any], base_dir: Path) -> str | None:
        roles = sorted({p.joint.role.split("_")[0] for p in self._mesh(shape).parts if p.joint is not None})
        if roles:
            return f"its {' and '.join(r + 's' for r in roles)} move between frames"
        return None

    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> Any | None:
        """Every part in the asset frame (the body frame pybullet reports), as one mesh."""
        import trimesh

        if self.no_model_reason(shape, base_dir) is not None:
            return None
        parts = [p.mesh for p in self._mesh(shape).parts]
        return trimesh.util.concatenate([m.copy() for m in parts]) if len(parts) > 1 else parts[0].copy()

    @override
    def build(self, client: Any, obj: Any, base: Path) -> int:
        from simgen.sim.assets import build_asset

        return build_asset(client, obj, base)

    @override
    def animator(self, world: Any, obj: Any, uid: int) -> Any | None:
        if self.gen.motion is None:
            return None
        from simgen.assets.cache import asset_links
        from simgen.sim.animate import ANIMATORS

        links = asset_links(self._mesh(obj.shape))
        joints = [(link.index, link.part.joint) for link in links if link.part.joint is not None]
        return ANIMATORS[self.gen.motion](world, obj.instance_id, uid, joints)


def register_procedural() -> None:
    """Register a kind for every generator in :mod:`simgen.assets` (sorted by name)."""
    from simgen.scenario.asset_models import asset_object_model
    from simgen.scenario.object_fields import ObjectBase

    for name, gen in sorted(load_builtin().items()):
        if name not in KINDS:
            register_kind(ProceduralKind(gen, asset_object_model(gen, ObjectBase)))
