"""The :class:`Material` value shared by assets, randomizers and renderers.

Pure data (no numpy, no pybullet): a material is a base colour, an optional texture reference
(a procedural generator with its parameters, or an image file under an allowed root) and the
physically based scalars that renderers which support them read (roughness, metallic,
specular, emission). pybullet's rasterisers use base colour, texture and specular colour; the
rest is carried for photoreal backends and recorded in the manifest.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

RGB = tuple[float, float, float]
RGBA = tuple[float, float, float, float]


@dataclasses.dataclass(frozen=True)
class Texture:
    """A texture reference: a registered procedural generator, or an image file.

    Attributes:
        kind: generator name in :data:`simgen.materials.textures.TEXTURES`, or ``"image"``.
        params: generator parameters as sorted ``(name, value)`` pairs (hashable, JSON-able).
        seed: generator seed; the same (kind, params, seed, size) gives the same pixels.
        size: texture side in pixels (square).
        scale: metres covered by one texture tile on surfaces that tile it (ground, walls).
        path: resolved image path when ``kind == "image"``.
    """

    kind: str
    params: tuple[tuple[str, Any], ...] = ()
    seed: int = 0
    size: int = 256
    scale: float = 1.0
    path: str | None = None

    @staticmethod
    def make(kind: str, seed: int = 0, size: int = 256, scale: float = 1.0, **params: Any) -> Texture:
        """Build a texture reference with parameters given as keywords."""
        return Texture(kind, tuple(sorted((k, _freeze(v)) for k, v in params.items())), seed, size, scale)

    def param_dict(self) -> dict[str, Any]:
        """Parameters as a plain dict (lists for tuples)."""
        return {k: _thaw(v) for k, v in self.params}

    def key(self) -> str:
        """Stable JSON text identifying the pixels (used for cache keys)."""
        return json.dumps(
            {"kind": self.kind, "params": self.param_dict(), "seed": self.seed, "size": self.size, "path": self.path},
            sort_keys=True,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record for manifests."""
        out: dict[str, Any] = {"kind": self.kind, "seed": self.seed, "size": self.size, "scale": self.scale}
        if self.params:
            out["params"] = self.param_dict()
        if self.path is not None:
            out["path"] = self.path
        return out


@dataclasses.dataclass(frozen=True)
class Material:
    """Surface appearance of one visual (a body's link, the ground, a wall).

    Attributes:
        base_color: RGBA in 0..1, multiplied with the texture where there is one.
        texture: optional texture reference.
        roughness: 0 (mirror) .. 1 (matte); photoreal backends only.
        metallic: 0 .. 1; photoreal backends only.
        specular: 0 .. 1 strength of the specular highlight (pybullet: specularColor grey level).
        emission: RGB emitted radiance in 0..1 (lights, lamps); photoreal backends only.
        name: optional library name (``"car_paint"``, ``"asphalt"``) for records and node setups.
    """

    base_color: RGBA = (0.8, 0.8, 0.8, 1.0)
    texture: Texture | None = None
    roughness: float = 0.5
    metallic: float = 0.0
    specular: float = 0.5
    emission: RGB = (0.0, 0.0, 0.0)
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able record for manifests (defaults included, so records diff cleanly)."""
        out: dict[str, Any] = {
            "base_color": [round(float(c), 6) for c in self.base_color],
            "roughness": self.roughness,
            "metallic": self.metallic,
            "specular": self.specular,
        }
        if any(self.emission):
            out["emission"] = list(self.emission)
        if self.texture is not None:
            out["texture"] = self.texture.to_dict()
        if self.name is not None:
            out["name"] = self.name
        return out


def _freeze(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    return v


def _thaw(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_thaw(x) for x in v]
    return v
