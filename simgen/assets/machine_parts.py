"""Machine parts for inspection data: bracket, gear, bolt, housing, with optional defects.

``defect`` is one of ``none``, ``scratch``, ``dent``, ``crack``, ``missing_hole``, ``burr`` and
is made in the geometry or surface: a scratch or crack is a thin dark groove part on a face, a
dent pushes the surface in, a missing hole leaves out one of the drilled holes, a burr is a
small sharp spike on an edge. The defect is written to the instance's label metadata (COCO
``attributes.defect``), so a dataset can train defect classification or detection; name the
object's class after the defect to make it a class instead.

Holes are dark, flush cylinders (no boolean operations: every piece stays a watertight convex
primitive); parts are small (centimetres), metal with per-instance wear.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.assets.registry import AssetMesh, Param, Part, asset

DEFECTS = ("none", "scratch", "dent", "crack", "missing_hole", "burr")
DEFECT = Param(
    "none", "surface or shape defect (label attribute 'defect')", kind="word", choices=DEFECTS, attribute=True
)


def _rng(params: dict[str, Any]) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(params.get("seed", 0))))


def _finish(
    parts: list[Part], holes: list[Any], params: dict[str, Any], rng: np.random.Generator, top: float, span: float
) -> AssetMesh:
    """Add holes and the defect to a part's pieces; ``top`` is the z of the face defects go on."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    defect = str(params["defect"])
    dark = plain((0.03, 0.03, 0.03), name="hole", specular=0.0)
    keep = list(holes)
    if defect == "missing_hole" and keep:
        keep.pop(int(rng.integers(len(keep))))
    if keep:
        parts.append(Part("holes", s.union(keep), dark, "none"))
    body = parts[0].mesh
    if defect in ("scratch", "crack"):
        ang = rng.uniform(0, np.pi)
        length = span * (0.5 if defect == "scratch" else 0.35)
        width = 0.0015 if defect == "scratch" else 0.0025
        groove = s.box([length, width, 0.0008], [0, 0, top + 0.0002])
        s.rotate_z(groove, ang)
        color = (0.85, 0.85, 0.9) if defect == "scratch" else (0.02, 0.02, 0.02)
        parts.append(Part(defect, groove, plain(color, name=defect, specular=0.9), "none"))
    elif defect == "dent":
        for _ in range(2):  # a box face has no inner vertices: refine it so the dent has a shape
            body = body.subdivide()
        v = np.asarray(body.vertices).copy()
        on_top = v[:, 2] > top - 1e-6
        centre = v[on_top].mean(axis=0)
        d = np.linalg.norm(v[:, :2] - centre[:2], axis=1)
        radius = span * 0.25
        v[:, 2] -= np.where((d < radius) & on_top, 0.25 * radius * (1 - d / radius) ** 2, 0.0)
        body.vertices = v
        parts[0].mesh = body
    elif defect == "burr":
        lo, hi = body.bounds
        p = np.array([hi[0], rng.uniform(lo[1], hi[1]) * 0.8, top])
        parts.append(Part("burr", s.cone(0.002, span * 0.08, p, sections=5), parts[0].material, "none"))
    return AssetMesh(parts, {}, "machine_part", {"defect": defect})


def _metal(rng: np.random.Generator) -> Any:
    from simgen.materials.library import material

    return material("metal", rng, scale=0.1, wear=float(rng.uniform(0.0, 0.4)))


@asset(
    "bracket",
    version=2,
    class_name="bracket",
    group="machine parts",
    max_triangles=1000,
    params={
        "size": Param({"uniform": [0.06, 0.12]}, "leg length, metres", ge=0.01, le=1.0),
        "thickness": Param({"uniform": [0.004, 0.008]}, "plate thickness, metres", ge=0.001, le=0.05),
        "defect": DEFECT,
    },
)
def bracket(params: dict[str, Any]) -> AssetMesh:
    """L bracket: a base plate and an upright plate, two holes in the base."""
    from simgen.assets import shapes as s

    rng = _rng(params)
    a, t = float(params["size"]), float(params["thickness"])
    w = 0.6 * a
    base = s.box([a, w, t], [0, 0, t / 2])
    wall = s.box([t, w, 0.8 * a], [-a / 2 + t / 2, 0, t + 0.4 * a])
    holes = [s.cylinder(0.09 * w, t + 0.0008, [x, 0, t / 2], sections=10) for x in (-0.05 * a, 0.3 * a)]
    parts = [Part("plate", base, _metal(rng)), Part("upright", wall, _metal(rng))]
    return _finish(parts, holes, params, rng, t, a)


@asset(
    "gear",
    version=2,
    class_name="gear",
    group="machine parts",
    max_triangles=3000,
    params={
        "radius": Param({"uniform": [0.03, 0.06]}, "pitch radius, metres", ge=0.005, le=0.5),
        "teeth": Param({"integer": [12, 24]}, "tooth count", ge=6, le=60, kind="int"),
        "thickness": Param({"uniform": [0.008, 0.015]}, "metres", ge=0.001, le=0.2),
        "defect": DEFECT,
    },
)
def gear(params: dict[str, Any]) -> AssetMesh:
    """Spur gear: a disc, ``teeth`` box teeth around it, a bore and two lightening holes."""
    from simgen.assets import shapes as s

    rng = _rng(params)
    r, n, t = float(params["radius"]), int(params["teeth"]), float(params["thickness"])
    disc = s.cylinder(r * 0.92, t, [0, 0, t / 2], sections=max(16, n))
    tooth_w = 2 * np.pi * r / n * 0.5
    teeth = []
    for k in range(n):
        tooth = s.box([r * 0.2, tooth_w, t], [r, 0, t / 2])
        teeth.append(s.rotate_z(tooth, 2 * np.pi * k / n))
    holes = [s.cylinder(r * 0.2, t + 0.0008, [0, 0, t / 2], sections=12)]
    holes += [s.cylinder(r * 0.12, t + 0.0008, [side * r * 0.55, 0, t / 2], sections=10) for side in (1, -1)]
    parts = [Part("disc", disc, _metal(rng)), Part("teeth", s.union(teeth), _metal(rng), "hull")]
    return _finish(parts, holes, params, rng, t, 2 * r)


@asset(
    "bolt",
    version=2,
    class_name="bolt",
    group="machine parts",
    max_triangles=600,
    params={
        "length": Param({"uniform": [0.03, 0.08]}, "shank length, metres", ge=0.005, le=0.5),
        "diameter": Param({"choice": [0.006, 0.008, 0.01, 0.012]}, "shank diameter, metres", ge=0.002, le=0.1),
        "defect": Param(
            "none", "surface or shape defect", kind="word", choices=("none", "scratch", "dent", "burr"), attribute=True
        ),
    },
)
def bolt(params: dict[str, Any]) -> AssetMesh:
    """Hex bolt lying along x: a hexagonal head and a threaded shank (thread rings)."""
    from simgen.assets import shapes as s

    rng = _rng(params)
    length, d = float(params["length"]), float(params["diameter"])
    head = s.cylinder(0.9 * d, 0.65 * d, [-length / 2 - 0.325 * d, 0, 0.9 * d], axis="x", sections=6)
    shank = s.cylinder(d / 2, length, [0, 0, 0.9 * d], axis="x", sections=10)
    rings = [
        s.cylinder(d * 0.53, d * 0.08, [x, 0, 0.9 * d], axis="x", sections=10)
        for x in np.linspace(-length / 4, length / 2 - d * 0.2, 6)
    ]
    parts = [
        Part("head", head, _metal(rng)),
        Part("shank", shank, _metal(rng)),
        Part("thread", s.union(rings), _metal(rng), "none"),
    ]
    return _finish(parts, [], params, rng, 1.8 * d, length)


@asset(
    "housing",
    version=2,
    class_name="housing",
    group="machine parts",
    max_triangles=1000,
    params={
        "size": Param({"uniform": [0.08, 0.16]}, "length along x, metres", ge=0.02, le=1.0),
        "defect": DEFECT,
    },
)
def housing(params: dict[str, Any]) -> AssetMesh:
    """Cast housing: a block with a raised boss, a bore and four bolt holes on top."""
    from simgen.assets import shapes as s

    rng = _rng(params)
    a = float(params["size"])
    h = 0.45 * a
    block = s.box([a, 0.7 * a, h], [0, 0, h / 2])
    boss = s.cylinder(0.22 * a, 0.1 * a, [0, 0, h + 0.05 * a], sections=16)
    holes = [s.cylinder(0.12 * a, 0.1 * a + 0.0008, [0, 0, h + 0.05 * a], sections=12)]
    holes += [
        s.cylinder(0.04 * a, 0.004, [sx * 0.38 * a, sy * 0.25 * a, h], sections=8) for sx in (1, -1) for sy in (1, -1)
    ]
    parts = [Part("block", block, _metal(rng)), Part("boss", boss, _metal(rng))]
    return _finish(parts, holes, params, rng, h, a)
