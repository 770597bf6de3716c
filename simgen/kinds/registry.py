"""The object-kind registry: every YAML ``objects[].type`` is one :class:`ObjectKind`.

A kind answers every question a stage asks about its objects: its scenario fields (a pydantic
model), how they sample into an instance's ``shape``, its extents, its rigid mesh in the body
frame (or why it has none), and how it builds in pybullet. Consumers look the kind up by name
(:func:`kind_of`) and never switch on type names, so a new kind is one module.

Importing this module is light (no trimesh, no pybullet): the scenario models read it. Kind
modules import simulator and exporter helpers only inside the functions those stages call.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import trimesh

    from simgen.scenario.spec import ObjectInstance
    from simgen.sim.client import BulletClient

RIGID_MODEL_IGNORED_KEYS = ("fixed_base", "collision")  # shape keys that never change the geometry


class ObjectKind:
    """One object type: its fields, sampling, extents, rigid mesh and pybullet build.

    Subclasses set ``name``, ``model`` (the pydantic model of its YAML fields, ``type`` included)
    and override what differs from the defaults below.

    Attributes:
        group: heading under which ``simgen list`` shows it.
        surface: ground-like (road, floor): things stand on it, placement does not avoid it.
        reads_files: its shape names a file; sampling reads it at once so a bad file is a
            located error before anything renders.
        own_look: its file brings its own colours and textures, which randomizers keep.
        fixed_links: its body's extra links (if any) hang on fixed joints, so a body with
            links is still rigid (a procedural asset's material parts).
    """

    name: str = ""
    model: type = object
    group: str = "primitives"
    surface: bool = False
    reads_files: bool = False
    own_look: bool = False
    fixed_links: bool = False

    @property
    def doc(self) -> str:
        """One line for ``simgen list``: the model's docstring's first line."""
        return (self.model.__doc__ or self.name).strip().splitlines()[0]

    def sample(self, obj: Any, sampler: Any, path: str) -> dict[str, Any]:
        """The instance's ``shape``: every field of ``obj`` that sets its geometry, drawn at ``path``."""
        raise NotImplementedError

    def half_extents(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray:
        """(3,) conservative half extents (metres) in the body frame, about its base position."""
        raise NotImplementedError

    def exact_box_points(self, shape: dict[str, Any], base_dir: Path) -> np.ndarray | None:
        """Body-frame points whose bounding box is the object's exact box; None: read it from the simulator."""
        return None

    def visual(self, shape: dict[str, Any], base_dir: Path) -> tuple[str, Any] | None:
        """What pybullet draws, when the spec says it exactly; None: read it back from the simulator.

        ``("box", (sx, sy, sz))`` (full extents), ``("sphere", (r,))``, ``("cylinder"|"capsule",
        (length, r))`` as ``getVisualShapeData`` reports them, or ``("file", obj_path)``.
        """
        return None

    def no_model_reason(self, shape: dict[str, Any], base_dir: Path) -> str | None:
        """Why the kind has no single rigid model (e.g. moving parts), or None when it has one."""
        return None

    def rigid_mesh(self, shape: dict[str, Any], base_dir: Path) -> trimesh.Trimesh | None:
        """Its visual geometry as one ``trimesh.Trimesh`` in the body frame (metres); None without one.

        The body frame is the frame of the pose pybullet reports for the body, so BOP models,
        Blender meshes, ray-cast scenes and amodal masks posed with it land on the rendering.
        """
        return None

    def model_shape(self, shape: dict[str, Any]) -> dict[str, Any]:
        """The shape keys that set the model's geometry (physics-only keys left out), sorted."""
        return {k: v for k, v in sorted(shape.items()) if k not in RIGID_MODEL_IGNORED_KEYS}

    def symmetries(self, shape: dict[str, Any]) -> dict[str, Any]:
        """BOP ``symmetries_discrete`` / ``symmetries_continuous`` of its model (empty: none declared)."""
        return {}

    def of_size(self, size: float, draws: Any) -> dict[str, Any] | None:
        """A shape about ``size`` metres across, for randomizers that only know a size (distractors).

        ``draws`` gives named generators (``draws.rng(name)``); None: the kind has no such recipe.
        """
        return None

    def attributes(self, shape: dict[str, Any]) -> dict[str, Any]:
        """Label metadata the sampled fields carry (e.g. a machine part's ``defect``)."""
        return {}

    def joint_names(self) -> tuple[str, ...] | None:
        """Joint names known before building (checked at sampling), or None: read from the body."""
        return None

    def holds_pose(self) -> bool:
        """True when the body's motors must hold every joint from the start (a ragdoll standing)."""
        return False

    def build(self, client: BulletClient, obj: ObjectInstance, base: Path) -> int:
        """Create the pybullet body of ``obj`` at its pose; returns its uid."""
        raise NotImplementedError

    def animator(self, world: Any, obj: ObjectInstance, uid: int) -> Any | None:
        """The animator of its moving parts (wheels, gait), or None."""
        return None


KINDS: dict[str, ObjectKind] = {}


def register_kind(kind: ObjectKind) -> ObjectKind:
    """Make ``kind`` available as ``objects[].type: kind.name``."""
    KINDS[kind.name] = kind
    return kind


def object_kind(cls: type[ObjectKind]) -> type[ObjectKind]:
    """Class decorator: register one instance of ``cls``."""
    register_kind(cls())
    return cls


_BUILTIN = ("box", "sphere", "cylinder", "capsule", "urdf", "mesh", "humanoid")
_LOADED = False


def load_kinds() -> dict[str, ObjectKind]:
    """Every kind by name: the built-in modules (in schema order), then each procedural asset type."""
    global _LOADED
    if not _LOADED:
        import importlib

        for module in _BUILTIN:
            importlib.import_module(f"simgen.kinds.{module}")
        from simgen.kinds.procedural import register_procedural

        register_procedural()
        _LOADED = True
    return KINDS


def kind_of(name: str) -> ObjectKind:
    """The kind registered as ``name`` (loads the built-in kinds on first use)."""
    return load_kinds()[name]
