"""Indoor and industrial furniture: table, chair, shelf, cardboard box, pallet, bin, sofa, bed.

Concave furniture (shelves, bins, pallets, tables) is built of convex boards, each its own part
with its own convex-hull collision, so objects rest *on* a shelf board or *in* a bin instead of
on a hull that fills the gaps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.assets.registry import AssetMesh, Param, Part, asset


def _rng(params: dict[str, Any]) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(params.get("seed", 0))))


@asset(
    "table",
    version=1,
    class_name="table",
    group="indoor",
    max_triangles=400,
    params={
        "length": Param({"uniform": [1.0, 1.8]}, "metres along x", ge=0.3, le=4.0),
        "width": Param({"uniform": [0.6, 0.9]}, "metres along y", ge=0.3, le=2.0),
        "height": Param({"uniform": [0.72, 0.78]}, "top surface height, metres", ge=0.3, le=1.2),
    },
)
def table(params: dict[str, Any]) -> AssetMesh:
    """Wooden table: a top board on four legs."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    lx, wy, h = float(params["length"]), float(params["width"]), float(params["height"])
    wood = material("wood", rng)
    parts = [Part("top", s.box([lx, wy, 0.04], [0, 0, h - 0.02]), wood)]
    for i, (sx, sy) in enumerate(((1, 1), (1, -1), (-1, 1), (-1, -1))):
        parts.append(
            Part(
                f"leg_{i}",
                s.box([0.05, 0.05, h - 0.04], [sx * (lx / 2 - 0.06), sy * (wy / 2 - 0.06), (h - 0.04) / 2]),
                wood,
            )
        )
    return AssetMesh(parts, {"top_centre": (0.0, 0.0, h)}, "table")


@asset(
    "chair",
    version=1,
    class_name="chair",
    group="indoor",
    max_triangles=400,
    params={
        "seat_height": Param({"uniform": [0.43, 0.48]}, "metres", ge=0.2, le=0.9),
        "color": Param(None, "seat fabric colour RGB 0..1 (default: drawn)", kind="color"),
    },
)
def chair(params: dict[str, Any]) -> AssetMesh:
    """Chair: fabric seat and backrest (backrest towards -x) on four wooden legs."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    h, w = float(params["seat_height"]), 0.45
    wood = material("wood", rng, color=(0.4, 0.27, 0.15))
    cloth = material(
        "fabric",
        rng,
        **({"color": params["color"]} if params.get("color") else {"color": tuple(rng.uniform(0.15, 0.7, 3))}),
    )
    parts = [
        Part("seat", s.box([w, w, 0.06], [0, 0, h - 0.03]), cloth),
        Part("back", s.box([0.05, w, 0.45], [-w / 2 + 0.025, 0, h + 0.225]), cloth),
    ]
    for i, (sx, sy) in enumerate(((1, 1), (1, -1), (-1, 1), (-1, -1))):
        parts.append(
            Part(
                f"leg_{i}",
                s.box([0.04, 0.04, h - 0.06], [sx * (w / 2 - 0.03), sy * (w / 2 - 0.03), (h - 0.06) / 2]),
                wood,
            )
        )
    return AssetMesh(parts, {"seat_centre": (0.0, 0.0, h)}, "chair")


def shelf_levels(height: float, levels: int) -> list[float]:
    """Top heights (metres above the floor) of a shelf's boards, lowest first."""
    return [0.1 + k * (height - 0.15) / max(1, levels - 1) + 0.03 for k in range(levels)]


@asset(
    "shelf",
    version=1,
    class_name="shelf",
    group="indoor",
    max_triangles=800,
    params={
        "length": Param({"uniform": [1.8, 2.7]}, "metres along x", ge=0.5, le=6.0),
        "depth": Param({"uniform": [0.8, 1.1]}, "metres along y", ge=0.3, le=2.0),
        "height": Param({"uniform": [2.0, 3.0]}, "metres", ge=0.5, le=6.0),
        "levels": Param(4, "boards, floor level included", ge=2, le=8, kind="int"),
    },
)
def shelf(params: dict[str, Any]) -> AssetMesh:
    """Warehouse pallet rack: orange-steel uprights, blue beams, wooden boards on each level."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    lx, dy, h, n = float(params["length"]), float(params["depth"]), float(params["height"]), int(params["levels"])
    steel = plain((0.9, 0.45, 0.08), name="painted_steel", specular=0.6)
    beam = plain((0.1, 0.25, 0.6), name="painted_steel", specular=0.6)
    boards = material("wood", rng, color=(0.6, 0.48, 0.3))
    posts = [
        s.box([0.08, 0.08, h], [sx * (lx / 2 - 0.04), sy * (dy / 2 - 0.04), h / 2]) for sx in (1, -1) for sy in (1, -1)
    ]
    parts = [Part("uprights", s.union(posts[:1]), steel)]
    for k, p in enumerate(posts[1:]):
        parts.append(Part(f"upright_{k}", p, steel))
    for k, top in enumerate(shelf_levels(h, n)):
        parts.append(Part(f"board_{k}", s.box([lx - 0.16, dy - 0.02, 0.03], [0, 0, top - 0.015]), boards))
        beams = [s.box([lx - 0.16, 0.05, 0.08], [0, sy * (dy / 2 - 0.04), top - 0.07]) for sy in (1, -1)]
        parts.append(Part(f"beams_{k}", s.union(beams), beam, "none"))
    return AssetMesh(parts, {}, "shelf", {"levels": n})


@asset(
    "cardboard_box",
    version=1,
    class_name="box",
    group="indoor",
    max_triangles=100,
    params={
        "size_x": Param({"uniform": [0.25, 0.6]}, "metres", ge=0.02, le=3.0),
        "size_y": Param({"uniform": [0.2, 0.5]}, "metres", ge=0.02, le=3.0),
        "size_z": Param({"uniform": [0.15, 0.45]}, "metres", ge=0.02, le=3.0),
    },
)
def cardboard_box(params: dict[str, Any]) -> AssetMesh:
    """Cardboard carton with a tape strip across the top."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    x, y, z = float(params["size_x"]), float(params["size_y"]), float(params["size_z"])
    card = material("fabric", rng, color=(0.62, 0.46, 0.3), variation=0.1, scale=1.0)
    tape = plain((0.78, 0.66, 0.45), name="tape", specular=0.6)
    return AssetMesh(
        [
            Part("carton", s.box([x, y, z], [0, 0, z / 2]), card),
            Part("tape", s.box([x + 0.004, 0.05, 0.004], [0, 0, z + 0.001]), tape, "none"),
        ],
        {f"corner_{i}": (sx * x / 2, sy * y / 2, z) for i, (sx, sy) in enumerate(((1, 1), (1, -1), (-1, 1), (-1, -1)))},
        "box",
    )


@asset(
    "pallet",
    version=1,
    class_name="pallet",
    group="indoor",
    max_triangles=400,
    params={
        "length": Param(1.2, "metres along x (EUR pallet: 1.2)", ge=0.4, le=3.0),
        "width": Param(0.8, "metres along y (EUR pallet: 0.8)", ge=0.4, le=3.0),
    },
)
def pallet(params: dict[str, Any]) -> AssetMesh:
    """Wooden pallet: deck boards on three stringers with a fork gap."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    lx, wy = float(params["length"]), float(params["width"])
    wood = material("wood", rng, color=(0.7, 0.58, 0.4), wear=rng.uniform(0.2, 0.8))
    parts = []
    for k, sy in enumerate((-1, 0, 1)):
        parts.append(Part(f"block_{k}", s.box([lx, 0.1, 0.1], [0, sy * (wy / 2 - 0.05), 0.05]), wood))
    deck = [s.box([0.1, wy, 0.022], [-lx / 2 + 0.05 + k * (lx - 0.1) / 6, 0, 0.111]) for k in range(7)]
    parts.append(Part("deck", s.union(deck), wood))  # hull of the boards: a flat top to stack on
    return AssetMesh(parts, {}, "pallet")


@asset(
    "bin",
    version=1,
    class_name="bin",
    group="indoor",
    max_triangles=200,
    params={
        "length": Param({"uniform": [0.4, 0.6]}, "metres along x", ge=0.1, le=2.0),
        "width": Param({"uniform": [0.3, 0.4]}, "metres along y", ge=0.1, le=2.0),
        "height": Param({"uniform": [0.15, 0.3]}, "metres", ge=0.05, le=1.5),
        "color": Param(None, "plastic colour RGB 0..1 (default: drawn)", kind="color"),
    },
)
def bin_(params: dict[str, Any]) -> AssetMesh:
    """Open-top plastic tote: a floor and four walls (separate convex collisions, so parts fall in)."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    rng = _rng(params)
    lx, wy, h = float(params["length"]), float(params["width"]), float(params["height"])
    colors = ((0.1, 0.3, 0.7), (0.8, 0.2, 0.1), (0.15, 0.5, 0.2), (0.9, 0.7, 0.1), (0.3, 0.3, 0.3))
    c = params.get("color") or colors[int(rng.integers(len(colors)))]
    mat = plain(tuple(c), name="plastic", specular=0.4)
    t = 0.012
    parts = [Part("floor", s.box([lx, wy, t], [0, 0, t / 2]), mat)]
    for name, size, ctr in (
        ("wall_px", [t, wy, h], [lx / 2 - t / 2, 0, h / 2]),
        ("wall_nx", [t, wy, h], [-lx / 2 + t / 2, 0, h / 2]),
        ("wall_py", [lx - 2 * t, t, h], [0, wy / 2 - t / 2, h / 2]),
        ("wall_ny", [lx - 2 * t, t, h], [0, -wy / 2 + t / 2, h / 2]),
    ):
        parts.append(Part(name, s.box(size, ctr), mat))
    return AssetMesh(parts, {}, "bin")


@asset(
    "sofa",
    version=1,
    class_name="sofa",
    group="indoor",
    max_triangles=200,
    params={
        "length": Param({"uniform": [1.6, 2.2]}, "metres along x", ge=0.8, le=4.0),
        "color": Param(None, "upholstery RGB 0..1 (default: drawn)", kind="color"),
    },
)
def sofa(params: dict[str, Any]) -> AssetMesh:
    """Upholstered sofa: base, back cushion (towards -y) and two arms."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    lx = float(params["length"])
    cloth = material(
        "fabric",
        rng,
        **({"color": params["color"]} if params.get("color") else {"color": tuple(rng.uniform(0.2, 0.6, 3))}),
    )
    return AssetMesh(
        [
            Part("base", s.box([lx, 0.9, 0.42], [0, 0, 0.21]), cloth),
            Part("back", s.box([lx, 0.2, 0.45], [0, -0.35, 0.645]), cloth),
            Part("arm_l", s.box([0.2, 0.9, 0.22], [lx / 2 - 0.1, 0, 0.53]), cloth),
            Part("arm_r", s.box([0.2, 0.9, 0.22], [-lx / 2 + 0.1, 0, 0.53]), cloth),
        ],
        {},
        "sofa",
    )


@asset(
    "bed",
    version=1,
    class_name="bed",
    group="indoor",
    max_triangles=200,
    params={
        "length": Param(2.0, "metres along x", ge=1.0, le=3.0),
        "width": Param({"choice": [0.9, 1.4, 1.6]}, "metres along y", ge=0.5, le=2.5),
    },
)
def bed(params: dict[str, Any]) -> AssetMesh:
    """Bed: wooden frame, mattress with a fabric cover, headboard at -x."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    lx, wy = float(params["length"]), float(params["width"])
    return AssetMesh(
        [
            Part("frame", s.box([lx, wy, 0.3], [0, 0, 0.15]), material("wood", rng)),
            Part(
                "mattress",
                s.box([lx - 0.1, wy - 0.1, 0.22], [0.02, 0, 0.41]),
                material("fabric", rng, color=(0.85, 0.85, 0.9)),
            ),
            Part("headboard", s.box([0.06, wy, 0.6], [-lx / 2 + 0.03, 0, 0.6]), material("wood", rng)),
            Part(
                "pillow",
                s.box([0.35, wy * 0.7, 0.1], [-lx / 2 + 0.3, 0, 0.57]),
                plain((0.95, 0.95, 0.95), name="cotton"),
                "none",
            ),
        ],
        {},
        "bed",
    )


@asset(
    "wall",
    version=1,
    class_name="wall",
    group="indoor",
    max_triangles=100,
    params={
        "length": Param(5.0, "metres along x", ge=0.2, le=100.0),
        "height": Param(2.7, "metres", ge=0.2, le=30.0),
        "thickness": Param(0.15, "metres along y", ge=0.02, le=2.0),
        "finish": Param("plaster", "surface", kind="word", choices=("plaster", "bricks", "concrete")),
    },
)
def wall(params: dict[str, Any]) -> AssetMesh:
    """A straight wall slab (room sides, yard walls) with a plaster, brick or concrete finish."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    lx, h, t = float(params["length"]), float(params["height"]), float(params["thickness"])
    finish = str(params["finish"])
    mat = (
        material("concrete", rng, color=(0.86, 0.84, 0.78), wear=0.05) if finish == "plaster" else material(finish, rng)
    )
    return AssetMesh([Part("wall", s.box([lx, t, h], [0, 0, h / 2]), mat)], {}, "wall")


@asset(
    "floor",
    surface=True,
    version=1,
    class_name="floor",
    group="indoor",
    max_triangles=50,
    params={
        "length": Param(6.0, "metres along x", ge=0.2, le=200.0),
        "width": Param(5.0, "metres along y", ge=0.2, le=200.0),
        "finish": Param("wood", "surface", kind="word", choices=("wood", "concrete", "carpet")),
    },
)
def floor(params: dict[str, Any]) -> AssetMesh:
    """A 2 cm floor slab (parquet, concrete or carpet) to lay over the ground plane."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    lx, wy = float(params["length"]), float(params["width"])
    finish = str(params["finish"])
    mat = material("fabric", rng, scale=1.0) if finish == "carpet" else material(finish, rng, scale=2.0)
    return AssetMesh([Part("floor", s.tiled_box([lx, wy, 0.02], [0, 0, 0.01]), mat)], {}, "floor")
