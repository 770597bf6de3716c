"""Appearance as data: :class:`Material` values and the procedural texture registry.

Asset generators and appearance randomizers produce :class:`Material` values; the pybullet
world applies base colour + texture (``simgen/sim/materials.py``), and a photoreal backend can
build node materials from the same value. Nothing renderer-specific lives here.
"""

from simgen.materials.material import Material, Texture

__all__ = ["Material", "Texture"]
