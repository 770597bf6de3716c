"""Vegetation: conifer and broadleaf trees (trunk, branches, clustered leaf crown) and bushes.

Crowns are clusters of low-poly ellipsoids (broadleaf) or stacked cones (conifer) scattered by
the instance seed, so no two trees share a silhouette. Collision: the trunk only (a car drives
into the trunk, not into the leaves); bushes collide by their hull.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.assets.registry import AssetMesh, Param, Part, asset


def _rng(params: dict[str, Any]) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(params.get("seed", 0))))


def _foliage(rng: np.random.Generator, color: Any, dark: bool = False) -> Any:
    from simgen.materials.library import plain

    base = np.asarray(color if color else (0.2, 0.38, 0.14) if not dark else (0.1, 0.26, 0.12), dtype=float)
    c = np.clip(base * (1 + rng.uniform(-0.15, 0.15, 3)), 0, 1)
    return plain(tuple(float(v) for v in c), name="foliage", specular=0.05, roughness=0.9)


TREE_PARAMS = {
    "height": Param({"uniform": [6.0, 11.0]}, "ground to top of the crown, metres", ge=1.0, le=40.0),
    "crown_width": Param({"uniform": [0.4, 0.6]}, "crown diameter as a share of height", ge=0.15, le=1.2),
    "trunk_radius": Param({"uniform": [0.12, 0.22]}, "trunk radius at the base, metres", ge=0.03, le=1.5),
    "color": Param(None, "leaf colour RGB 0..1 (default: a green drawn per tree)", kind="color"),
}


@asset("broadleaf_tree", version=2, class_name="tree", group="vegetation", params=TREE_PARAMS, max_triangles=6000)
def broadleaf_tree(params: dict[str, Any]) -> AssetMesh:
    """Deciduous tree: tapered trunk, a few branches, a crown of clustered leaf blobs."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    h, rt = float(params["height"]), float(params["trunk_radius"])
    cw = float(params["crown_width"]) * h
    bark = material("wood", rng, color=(0.3, 0.22, 0.15), scale=0.5)
    split = h * rng.uniform(0.35, 0.5)
    trunk = s.cone(rt, split * 1.05, (0, 0, 0), sections=8, top_radius=rt * 0.7)
    branches = [trunk]
    centre = np.array([0.0, 0.0, split + (h - split) * 0.5])
    for k in range(int(rng.integers(3, 6))):
        ang = 2 * np.pi * k / 5 + rng.uniform(-0.4, 0.4)
        tip = centre + np.array([np.cos(ang) * cw * 0.3, np.sin(ang) * cw * 0.3, rng.uniform(-0.1, 0.25) * h])
        branches.append(s.segment((0, 0, split * 0.98), tip, rt * 0.4, sections=6))
    blobs = []
    for _ in range(int(rng.integers(7, 11))):
        off = rng.normal(0, 1, 3) * np.array([cw * 0.22, cw * 0.22, (h - split) * 0.16])
        rad = rng.uniform(0.22, 0.34) * np.array([cw, cw, (h - split) * 1.1])
        reach = max(0.0, cw / 2 - rad[0])  # keep every blob inside the crown's stated width
        off[:2] = np.clip(off[:2], -reach, reach)
        c = centre + off
        c[2] = min(c[2], h - rad[2])
        blobs.append(s.blob(rad, c, subdivisions=1))
    crown = s.union(blobs)
    parts = [Part("trunk", s.union(branches), bark), Part("crown", crown, _foliage(rng, params["color"]), "none")]
    kp = {
        "base": (0.0, 0.0, 0.0),
        "crown_centre": tuple(float(v) for v in centre),
        "top": (0.0, 0.0, float(crown.bounds[1][2])),
    }
    return AssetMesh(parts, kp, "tree", {"leaf_type": "broadleaf"})


@asset(
    "conifer_tree",
    version=1,
    class_name="tree",
    group="vegetation",
    max_triangles=4000,
    params={
        **TREE_PARAMS,
        "crown_width": Param({"uniform": [0.3, 0.45]}, "crown diameter as a share of height", ge=0.15, le=1.0),
    },
)
def conifer_tree(params: dict[str, Any]) -> AssetMesh:
    """Spruce-like tree: a straight trunk under stacked, narrowing cones of needles."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    h, rt = float(params["height"]), float(params["trunk_radius"])
    cw = float(params["crown_width"]) * h
    bark = material("wood", rng, color=(0.28, 0.2, 0.14), scale=0.5)
    trunk = s.cone(rt, h * 0.95, (0, 0, 0), sections=8, top_radius=rt * 0.3)
    tiers = int(rng.integers(4, 6))
    bottom = h * rng.uniform(0.12, 0.22)
    cones = []
    for k in range(tiers):
        f = k / tiers
        z = bottom + f * (h - bottom) * 0.82
        rad = cw / 2 * (1 - 0.8 * f) * rng.uniform(0.9, 1.1)
        cones.append(s.cone(rad, (h - z) * 0.55 if k < tiers - 1 else h - z, (0, 0, z), sections=10))
    parts = [
        Part("trunk", trunk, bark),
        Part("crown", s.union(cones), _foliage(rng, params["color"], dark=True), "none"),
    ]
    return AssetMesh(parts, {"base": (0.0, 0.0, 0.0), "top": (0.0, 0.0, h)}, "tree", {"leaf_type": "needle"})


@asset(
    "bush",
    version=1,
    class_name="bush",
    group="vegetation",
    max_triangles=3000,
    params={
        "height": Param({"uniform": [0.6, 1.4]}, "metres", ge=0.1, le=5.0),
        "width": Param({"uniform": [0.8, 2.0]}, "metres", ge=0.1, le=8.0),
        "color": Param(None, "leaf colour RGB 0..1 (default: drawn)", kind="color"),
    },
)
def bush(params: dict[str, Any]) -> AssetMesh:
    """Shrub: a low cluster of leaf blobs."""
    from simgen.assets import shapes as s

    rng = _rng(params)
    h, w = float(params["height"]), float(params["width"])
    blobs = []
    for _ in range(int(rng.integers(4, 7))):
        rad = rng.uniform(0.3, 0.45, 3) * np.array([w, w, h * 1.2])
        rad[2] = min(rad[2], h / 2)
        c = np.array([rng.normal(0, w * 0.12), rng.normal(0, w * 0.12), rad[2]])
        blobs.append(s.blob(rad, c, subdivisions=1))
    return AssetMesh([Part("foliage", s.union(blobs), _foliage(rng, params["color"]))], {}, "bush")
