"""Procedural assets: generators registered as scenario object types (CC0 by construction).

Every asset is built by code (trimesh and numpy) from a few parameters, deterministic from
them, cached on disk by a hash of (generator version, parameters), and carries a class,
semantic parts and 3D keypoints. ``simgen list`` shows the types; ``simgen schema`` their fields.

- :mod:`simgen.assets.registry`: :class:`Param`, :class:`Part`, :class:`AssetMesh`, ``@asset``.
- :mod:`simgen.assets.cache`: :func:`asset_mesh`, :func:`asset_links`, :func:`asset_visual_meshes`.
- Generators: ``vehicles``, ``animals``, ``vegetation``, ``street``, ``indoor``, ``machine_parts``.

Importing this package is light (no trimesh, no pybullet); geometry is built on first use.
"""

from simgen.assets.registry import ASSETS, AssetMesh, AssetType, Joint, Param, Part, asset, load_builtin

__all__ = ["ASSETS", "AssetMesh", "AssetType", "Joint", "Param", "Part", "asset", "load_builtin"]
