"""The asset registry: procedural generators as scenario object types.

An asset type is a name (its YAML ``type``), a version (bump it whenever the geometry or looks
of the same parameters change: the cache key includes it), a default label class, parameter
declarations (each becomes a field of the object type, distributions allowed) and a pure
``generate(params) -> AssetMesh``.

Sampling and generation are separate, as in Infinigen: the scenario sampler draws every
parameter (``params = distribution(rng)``) and an instance ``seed`` from (the object's factory
seed, the instance index), so the hundredth car never depends on the first ninety-nine; then
``generate`` builds the geometry from those values alone. Same params => same meshes, bytes
included, in any process.

This module is light (no trimesh, no pybullet): ``simgen.scenario`` reads it to build the object
models; generator modules import trimesh only inside ``generate``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import trimesh

    from simgen.materials.material import Material


@dataclasses.dataclass(frozen=True)
class Param:
    """One generator parameter, exposed as an object field.

    Attributes:
        default: a number, a distribution as YAML data (``{"uniform": [a, b]}``), a word, or
            None (colours: drawn by the generator from its palette).
        doc: one line for ``simgen schema``.
        ge, le: inclusive bounds checked against every value a distribution can produce.
        kind: ``"float"``, ``"int"``, ``"word"`` (one of ``choices``), ``"color"`` (RGB 0..1)
            or ``"bool"``.
        choices: allowed words of a ``"word"`` parameter.
        attribute: written to the instance's label metadata (e.g. a part's ``defect``).
    """

    default: Any
    doc: str
    ge: float | None = None
    le: float | None = None
    kind: str = "float"
    choices: tuple[str, ...] = ()
    attribute: bool = False


@dataclasses.dataclass(frozen=True)
class Joint:
    """A revolute joint of a moving part: ``pivot`` (asset frame, metres) and unit ``axis``.

    ``role`` tells animators what drives it: ``"wheel"`` (rolls with the distance travelled;
    ``radius`` is the tyre radius, metres), or a gait role (``"leg_fl"``, ``"leg_fr"``,
    ``"leg_hl"``, ``"leg_hr"``; ``radius`` is then the leg length, which sets the stride).
    """

    pivot: tuple[float, ...]  # (x, y, z)
    axis: tuple[float, float, float]
    role: str
    radius: float = 0.0


@dataclasses.dataclass
class Part:
    """One material part: a mesh in the asset frame, its Material and semantic name.

    ``parent`` names the part this one is rigidly attached to (None: the asset's base part);
    ``joint`` makes it a moving link (wheel, leg). ``collision``: ``"hull"`` gives the part a
    convex-hull collision shape (exact for the convex primitives generators use), ``"none"``
    makes it visual only.
    """

    name: str
    mesh: trimesh.Trimesh
    material: Material
    collision: str = "hull"
    parent: str | None = None
    joint: Joint | None = None


@dataclasses.dataclass
class AssetMesh:
    """What a generator returns: parts, 3D keypoints (asset frame) and the semantic class.

    The asset frame has x forward, y left, z up; after :func:`simgen.assets.cache.asset_mesh`
    its origin is the centre of the axis-aligned bounding box of all parts, like a ``box``
    object's, so ``position`` and placement treat every object type the same way.
    """

    parts: list[Part]
    keypoints: dict[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)
    class_name: str = "object"
    attributes: dict[str, Any] = dataclasses.field(default_factory=dict)


Generate = Callable[[dict[str, Any]], AssetMesh]


@dataclasses.dataclass(frozen=True)
class AssetType:
    """A registered generator (see the module docstring)."""

    name: str
    version: int
    class_name: str
    doc: str
    params: dict[str, Param]
    generate: Generate
    group: str
    motion: str | None = None  # animator kind: "wheels", "quadruped", or None
    max_triangles: int = 20000
    surface: bool = False  # ground-like (road, floor): things stand on it, placement does not avoid it


ASSETS: dict[str, AssetType] = {}


def asset(
    name: str,
    *,
    version: int,
    class_name: str,
    group: str,
    params: dict[str, Param],
    motion: str | None = None,
    max_triangles: int = 20000,
    surface: bool = False,
) -> Callable[[Generate], Generate]:
    """Register ``generate`` as object type ``name`` (its docstring's first line is its summary)."""

    def deco(fn: Generate) -> Generate:
        doc = (fn.__doc__ or name).strip().splitlines()[0]
        ASSETS[name] = AssetType(
            name, version, class_name, doc, dict(params), fn, group, motion, max_triangles, surface
        )
        return fn

    return deco


_LOADED = False


def load_builtin() -> dict[str, AssetType]:
    """Import the built-in generator modules (registering them) and return the registry."""
    global _LOADED
    if not _LOADED:
        from simgen.assets import animals, indoor, machine_parts, street, traffic_barrel, vegetation, vehicles  # noqa: F401

        _LOADED = True
    return ASSETS
