"""Object kinds: every ``objects[].type`` in one module that says everything about it.

Each kind (:class:`~simgen.kinds.registry.ObjectKind`) holds its scenario fields, how they
sample, its extents, its rigid mesh in the body frame (or why it has none) and its pybullet
build. Sampling, the world builder, the truth reader (amodal masks, Embree, Blender) and the
BOP exporter ask :func:`kind_of`; none of them switches on type names.

- primitives: :mod:`~simgen.kinds.box`, :mod:`~simgen.kinds.sphere`, :mod:`~simgen.kinds.cylinder`,
  :mod:`~simgen.kinds.capsule`
- files: :mod:`~simgen.kinds.mesh`, :mod:`~simgen.kinds.urdf`
- actors: :mod:`~simgen.kinds.humanoid`
- every procedural asset type of :mod:`simgen.assets`: :mod:`~simgen.kinds.procedural`

Importing this package is light (no trimesh, no pybullet).
"""

from simgen.kinds.registry import KINDS, ObjectKind, kind_of, load_kinds, object_kind, register_kind

__all__ = ["KINDS", "ObjectKind", "kind_of", "load_kinds", "object_kind", "register_kind"]
