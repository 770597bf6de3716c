"""The built world: roads, buildings, street lights, traffic lights, signs, cones, barriers, bollards.

A ``road`` runs along x: asphalt lanes with painted dashed lane lines and solid edge lines,
kerbs, raised sidewalks on both sides and an optional zebra crosswalk. Everything is made of
boxes and cylinders (watertight, few triangles); painted markings are thin separate parts so
they stay crisp at any texture resolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.assets.registry import AssetMesh, Param, Part, asset

WHITE_PAINT = (0.92, 0.92, 0.88)
SIDEWALK_HEIGHT = 0.15
ASPHALT_THICKNESS = 0.05


def _rng(params: dict[str, Any]) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(params.get("seed", 0))))


def road_width(lanes: int, lane_width: float) -> float:
    """Carriageway width (kerb to kerb), metres."""
    return lanes * lane_width


@asset(
    "road",
    surface=True,
    version=1,
    class_name="road",
    group="built world",
    max_triangles=20000,
    params={
        "length": Param(40.0, "metres along x", ge=2.0, le=500.0),
        "lanes": Param(2, "lanes side by side", ge=1, le=8, kind="int"),
        "lane_width": Param(3.5, "metres", ge=2.0, le=5.0),
        "sidewalk_width": Param(3.0, "each side, metres (0: no sidewalk)", ge=0.0, le=10.0),
        "crosswalk": Param(0.0, "crosswalk centre as a share of length from the start (0: none)", ge=0.0, le=1.0),
        "wear": Param({"uniform": [0.1, 0.6]}, "asphalt and paint wear, 0..1", ge=0, le=1),
    },
)
def road(params: dict[str, Any]) -> AssetMesh:
    """Straight road segment: lanes, lane markings, kerbs, sidewalks, optional zebra crossing."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    length, lanes, lw = float(params["length"]), int(params["lanes"]), float(params["lane_width"])
    sw, wear = float(params["sidewalk_width"]), float(params["wear"])
    width = road_width(lanes, lw)
    t = ASPHALT_THICKNESS
    paint = plain(tuple(c * (1 - 0.3 * wear) for c in WHITE_PAINT), name="road_paint", specular=0.2)
    parts = [Part("asphalt", s.tiled_box([length, width, t], [0, 0, t / 2]), material("asphalt", rng, wear=wear))]
    marks = []
    dash, gap = 3.0, 6.0
    for k in range(1, lanes):
        y = -width / 2 + k * lw
        n = int(length // (dash + gap))
        for d in range(n):
            x = -length / 2 + gap / 2 + d * (dash + gap) + dash / 2
            marks.append(s.box([dash, 0.12, 0.01], [x, y, t + 0.005]))
    for side in (1, -1):
        marks.append(s.tiled_box([length, 0.15, 0.01], [0, side * (width / 2 - 0.25), t + 0.005]))
    cross = float(params["crosswalk"])
    if cross > 0:
        cx = -length / 2 + cross * length
        for k in range(int(width // 1.0)):
            y = -width / 2 + 0.5 + k * 1.0
            marks.append(s.box([3.0, 0.5, 0.01], [cx, y, t + 0.006]))
    parts.append(Part("markings", s.union(marks), paint, "none"))
    if sw > 0:
        kerb_w = 0.2
        kerbs, walks = [], []
        for side in (1, -1):
            kerbs.append(
                s.tiled_box(
                    [length, kerb_w, SIDEWALK_HEIGHT], [0, side * (width / 2 + kerb_w / 2), SIDEWALK_HEIGHT / 2]
                )
            )
            walks.append(
                s.tiled_box(
                    [length, sw, SIDEWALK_HEIGHT - 0.01],
                    [0, side * (width / 2 + kerb_w + sw / 2), (SIDEWALK_HEIGHT - 0.01) / 2],
                )
            )
        parts.append(Part("kerb_left", kerbs[0], material("concrete", rng, color=(0.7, 0.7, 0.68), wear=wear)))
        parts.append(Part("kerb_right", kerbs[1], material("concrete", rng, color=(0.7, 0.7, 0.68), wear=wear)))
        parts.append(Part("sidewalk_left", walks[0], material("concrete", rng, wear=wear, scale=1.0)))
        parts.append(Part("sidewalk_right", walks[1], material("concrete", rng, wear=wear, scale=1.0)))
    return AssetMesh(parts, {}, "road", {"lanes": lanes})


@asset(
    "building",
    version=1,
    class_name="building",
    group="built world",
    max_triangles=3000,
    params={
        "width": Param({"uniform": [8.0, 16.0]}, "façade length along x, metres", ge=3.0, le=100.0),
        "depth": Param({"uniform": [8.0, 12.0]}, "metres along y", ge=3.0, le=100.0),
        "floors": Param({"integer": [2, 5]}, "storeys (3 m each)", ge=1, le=40, kind="int"),
        "facade": Param(
            {"choice": ["bricks", "concrete"]}, "wall material", kind="word", choices=("bricks", "concrete")
        ),
        "lit": Param(0.2, "share of windows lit from inside (dusk and night)", ge=0.0, le=1.0),
    },
)
def building(params: dict[str, Any]) -> AssetMesh:
    """Block building: textured façade, a grid of windows per floor (some lit), a door and roof edge.

    Windows are on the two faces along x (y = ±depth/2), the street sides of a building row.
    """
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    w, d, floors = float(params["width"]), float(params["depth"]), int(params["floors"])
    h = 3.0 * floors + 0.4
    wall = material(str(params["facade"]), rng, scale=2.0)
    parts = [Part("walls", s.box([w, d, h], [0, 0, h / 2]), wall)]
    dark: list[Any] = []
    lit: list[Any] = []
    per_floor = max(1, int(w // 2.6))
    pitch = w / per_floor
    for f in range(floors):
        for k in range(per_floor):
            x = -w / 2 + pitch * (k + 0.5)
            if f == 0 and k == per_floor // 2:
                continue  # the door goes here
            for side in (1, -1):
                pane = s.box([pitch * 0.55, 0.06, 1.5], [x, side * (d / 2 + 0.02), 3.0 * f + 1.7])
                (lit if rng.random() < float(params["lit"]) else dark).append(pane)
    parts.append(
        Part(
            "windows",
            s.union(dark or [s.box([0.01] * 3, [0, d / 2, 1])]),
            plain((0.12, 0.15, 0.2), name="glass", specular=1.0),
            "none",
        )
    )
    if lit:
        parts.append(
            Part("windows_lit", s.union(lit), plain((1.0, 0.85, 0.55), name="lamp", emission=(1, 0.8, 0.5)), "none")
        )
    doors = [
        s.box([1.2, 0.08, 2.2], [-w / 2 + pitch * (per_floor // 2 + 0.5), side * (d / 2 + 0.03), 1.1])
        for side in (1, -1)
    ]
    parts.append(Part("doors", s.union(doors), material("wood", rng, color=(0.35, 0.22, 0.12)), "none"))
    parts.append(
        Part(
            "roof_edge", s.box([w + 0.3, d + 0.3, 0.3], [0, 0, h + 0.15]), plain((0.3, 0.3, 0.32), name="roof"), "none"
        )
    )
    return AssetMesh(parts, {}, "building", {"floors": floors})


@asset(
    "street_light",
    version=1,
    class_name="street_light",
    group="built world",
    max_triangles=600,
    params={
        "height": Param({"uniform": [6.0, 8.0]}, "pole height, metres", ge=2.0, le=15.0),
        "arm": Param(1.5, "arm reach over the road (+y), metres", ge=0.2, le=5.0),
        "on": Param(True, "lamp lit (emissive)", kind="bool"),
    },
)
def street_light(params: dict[str, Any]) -> AssetMesh:
    """Lamp post: metal pole, arm reaching over the road (+y), lamp head."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    h, arm = float(params["height"]), float(params["arm"])
    pole = s.union([s.cylinder(0.08, h, [0, 0, h / 2], sections=10), s.segment([0, 0, h - 0.1], [0, arm, h], 0.04, 6)])
    lamp_color = (1.0, 0.9, 0.7) if params["on"] else (0.6, 0.6, 0.6)
    head = s.box([0.35, 0.6, 0.12], [0, arm, h - 0.05])
    parts = [
        Part("pole", pole, material("metal", rng, color=(0.35, 0.37, 0.38))),
        Part(
            "lamp", head, plain(lamp_color, name="lamp", emission=(1, 0.9, 0.7) if params["on"] else (0, 0, 0)), "none"
        ),
    ]
    return AssetMesh(parts, {"lamp": (0.0, arm, h - 0.1)}, "street_light")


@asset(
    "traffic_light",
    version=1,
    class_name="traffic_light",
    group="built world",
    max_triangles=800,
    params={
        "height": Param(3.2, "pole height, metres", ge=1.5, le=8.0),
        "state": Param(
            {"choice": ["red", "amber", "green"]},
            "lit lamp",
            kind="word",
            choices=("red", "amber", "green"),
            attribute=True,
        ),
    },
)
def traffic_light(params: dict[str, Any]) -> AssetMesh:
    """Signal pole with a three-lamp head facing -x (towards oncoming traffic); one lamp lit."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    h = float(params["height"])
    pole = s.cylinder(0.06, h, [0, 0, h / 2], sections=8)
    housing = s.box([0.25, 0.32, 0.9], [0, 0, h + 0.45])
    parts = [
        Part("pole", pole, plain((0.2, 0.2, 0.2), name="metal")),
        Part("housing", housing, plain((0.08, 0.08, 0.08), name="plastic"), "none"),
    ]
    colors = {"red": (1.0, 0.1, 0.05), "amber": (1.0, 0.65, 0.0), "green": (0.1, 1.0, 0.3)}
    for k, name in enumerate(("red", "amber", "green")):
        on = params["state"] == name
        c = colors[name] if on else tuple(v * 0.2 for v in colors[name])
        lamp = s.cylinder(0.1, 0.04, [-0.135, 0, h + 0.75 - 0.28 * k], axis="x", sections=10)
        parts.append(
            Part(f"lamp_{name}", lamp, plain(c, name="lamp", emission=colors[name] if on else (0, 0, 0)), "none")
        )
    return AssetMesh(parts, {"head": (-0.14, 0.0, h + 0.45)}, "traffic_light", {"state": params["state"]})


@asset(
    "sign",
    version=1,
    class_name="sign",
    group="built world",
    max_triangles=400,
    params={
        "kind": Param(
            {"choice": ["stop", "yield", "speed", "info"]},
            "sign face",
            kind="word",
            choices=("stop", "yield", "speed", "info"),
            attribute=True,
        ),
        "height": Param(2.2, "pole height, metres", ge=0.8, le=5.0),
    },
)
def sign(params: dict[str, Any]) -> AssetMesh:
    """Road sign on a pole, facing -x: red octagon (stop), triangle (yield), disc (speed), blue square (info)."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    h, kind = float(params["height"]), str(params["kind"])
    pole = s.cylinder(0.035, h, [0, 0, h / 2], sections=8)
    c = [0.0, 0.0, h + 0.3]
    if kind == "stop":
        face, color = s.cylinder(0.32, 0.03, c, axis="x", sections=8), (0.8, 0.05, 0.05)
    elif kind == "yield":
        face, color = s.cylinder(0.36, 0.03, c, axis="x", sections=3), (0.95, 0.95, 0.95)
    elif kind == "speed":
        face, color = s.cylinder(0.3, 0.03, c, axis="x", sections=16), (0.95, 0.95, 0.95)
    else:
        face, color = s.box([0.03, 0.6, 0.6], c), (0.1, 0.25, 0.65)
    rim = s.box([0.02, 0.08, 0.08], [0.02, 0, h + 0.3])
    parts = [
        Part("pole", s.union([pole, rim]), plain((0.55, 0.56, 0.58), name="metal")),
        Part("face", face, plain(color, name="sign_paint"), "none"),
    ]
    return AssetMesh(parts, {"face": tuple(c)}, "sign", {"kind": kind})


@asset(
    "traffic_cone",
    version=1,
    class_name="cone",
    group="built world",
    max_triangles=300,
    params={
        "height": Param({"uniform": [0.5, 0.75]}, "metres", ge=0.2, le=1.5),
    },
)
def traffic_cone(params: dict[str, Any]) -> AssetMesh:
    """Orange traffic cone with a white reflective band on a square base."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    h = float(params["height"])
    base = s.box([0.5 * h, 0.5 * h, 0.04], [0, 0, 0.02])
    body = s.cone(0.17 * h, h - 0.04, [0, 0, 0.04], sections=12, top_radius=0.03 * h)
    band = s.cone(0.125 * h, 0.14 * h, [0, 0, 0.45 * h], sections=12, top_radius=0.1 * h)
    band.apply_scale([1.04, 1.04, 1.0])
    band.apply_translation([0, 0, -0.45 * h * 0.0])
    orange = plain((0.95, 0.35, 0.05), name="plastic")
    return AssetMesh(
        [
            Part("cone", s.union([base, body]), orange),
            Part("band", band, plain((0.95, 0.95, 0.95), name="reflective"), "none"),
        ],
        {"tip": (0.0, 0.0, h)},
        "cone",
    )


@asset(
    "barrier",
    version=1,
    class_name="barrier",
    group="built world",
    max_triangles=300,
    params={
        "length": Param({"uniform": [1.5, 2.5]}, "metres along x", ge=0.5, le=6.0),
    },
)
def barrier(params: dict[str, Any]) -> AssetMesh:
    """Road-works barrier: red/white striped board on two feet."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    length = float(params["length"])
    feet = s.union([s.box([0.1, 0.5, 0.9], [side * (length / 2 - 0.1), 0, 0.45]) for side in (1, -1)])
    n = max(2, int(length / 0.35))
    red: list[Any] = []
    white: list[Any] = []
    for k in range(n):
        seg = s.box([length / n, 0.05, 0.25], [-length / 2 + (k + 0.5) * length / n, 0, 0.75])
        (red if k % 2 == 0 else white).append(seg)
    return AssetMesh(
        [
            Part("feet", feet, plain((0.2, 0.2, 0.2), name="plastic")),
            Part("board_red", s.union(red), plain((0.85, 0.1, 0.08), name="reflective")),
            Part("board_white", s.union(white), plain((0.95, 0.95, 0.95), name="reflective")),
        ],
        {},
        "barrier",
    )


@asset(
    "bollard",
    version=1,
    class_name="bollard",
    group="built world",
    max_triangles=200,
    params={
        "height": Param({"uniform": [0.8, 1.1]}, "metres", ge=0.3, le=2.0),
    },
)
def bollard(params: dict[str, Any]) -> AssetMesh:
    """Steel bollard with a reflective band."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    h = float(params["height"])
    return AssetMesh(
        [
            Part(
                "post",
                s.cylinder(0.09, h, [0, 0, h / 2], sections=10),
                plain((0.25, 0.26, 0.27), name="metal", specular=0.8),
            ),
            Part(
                "band",
                s.cylinder(0.095, 0.08, [0, 0, h - 0.15], sections=10),
                plain((0.95, 0.85, 0.1), name="reflective"),
                "none",
            ),
        ],
        {},
        "bollard",
    )


@asset(
    "shipping_container",
    version=1,
    class_name="container",
    group="built world",
    max_triangles=800,
    params={
        "length": Param({"choice": [6.06, 12.19]}, "20 ft or 40 ft, metres along x", ge=2.0, le=15.0),
        "color": Param(None, "paint RGB 0..1 (default: a shipping-line colour)", kind="color"),
    },
)
def shipping_container(params: dict[str, Any]) -> AssetMesh:
    """ISO container: corrugated painted steel box (2.44 x 2.59 m section) with end doors."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    lx, wy, h = float(params["length"]), 2.44, 2.59
    palette = ((0.7, 0.15, 0.1), (0.1, 0.3, 0.55), (0.15, 0.45, 0.25), (0.8, 0.55, 0.1), (0.45, 0.45, 0.47))
    color = params.get("color") or palette[int(rng.integers(len(palette)))]
    steel = material("metal", rng, color=color, wear=float(rng.uniform(0.2, 0.8)), scale=2.0)
    ribs = [s.box([0.08, wy + 0.06, h - 0.2], [x, 0, h / 2]) for x in np.arange(-lx / 2 + 0.3, lx / 2 - 0.2, 0.3)]
    doors = s.union([s.box([0.05, wy / 2 - 0.05, h - 0.2], [lx / 2 + 0.02, side * wy / 4, h / 2]) for side in (1, -1)])
    frame = plain(tuple(c * 0.6 for c in color), name="steel")
    return AssetMesh(
        [
            Part("box", s.box([lx, wy, h], [0, 0, h / 2]), steel),
            Part("ribs", s.union(ribs), steel, "none"),
            Part("doors", doors, frame, "none"),
        ],
        {},
        "container",
    )


@asset(
    "fence",
    version=1,
    class_name="fence",
    group="built world",
    max_triangles=2000,
    params={
        "length": Param({"uniform": [4.0, 12.0]}, "metres along x", ge=0.5, le=100.0),
        "height": Param({"uniform": [0.9, 1.3]}, "metres", ge=0.3, le=3.0),
        "style": Param("wood", "post-and-rail timber or painted metal railing", kind="word", choices=("wood", "metal")),
    },
)
def fence(params: dict[str, Any]) -> AssetMesh:
    """Fence along x: posts every 2 m and two (wood) or three (metal) rails."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    length, h = float(params["length"]), float(params["height"])
    wood = str(params["style"]) == "wood"
    mat = material("wood", rng, color=(0.45, 0.33, 0.2), wear=0.5) if wood else plain((0.15, 0.2, 0.15), name="paint")
    n = max(2, int(np.ceil(length / 2.0)) + 1)
    post = 0.1 if wood else 0.05
    posts = [
        s.box([post, post, h], [-length / 2 + k * (length - post) / (n - 1) + post / 2, 0, h / 2]) for k in range(n)
    ]
    rails = [
        s.tiled_box([length, 0.04, 0.1 if wood else 0.04], [0, 0.03, z])
        for z in ((0.35 * h, 0.8 * h) if wood else (0.15 * h, 0.55 * h, 0.95 * h))
    ]
    return AssetMesh([Part("posts", s.union(posts), mat), Part("rails", s.union(rails), mat, "none")], {}, "fence")


@asset(
    "crop_field",
    version=1,
    class_name="crop",
    group="vegetation",
    max_triangles=6000,
    params={
        "length": Param(20.0, "metres along x (rows run along x)", ge=1.0, le=100.0),
        "width": Param(10.0, "metres along y", ge=1.0, le=100.0),
        "row_spacing": Param(0.75, "metres between rows", ge=0.2, le=3.0),
        "height": Param({"uniform": [0.3, 1.0]}, "crop height, metres", ge=0.05, le=3.0),
    },
)
def crop_field(params: dict[str, Any]) -> AssetMesh:
    """A field patch: soil with rows of crop as textured strips (grass texture, narrowing to the top)."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    rng = _rng(params)
    lx, wy, h = float(params["length"]), float(params["width"]), float(params["height"])
    pitch = float(params["row_spacing"])
    n = max(1, int(wy // pitch))
    soil = s.tiled_box([lx, wy, 0.04], [0, 0, 0.02])
    rows = []
    for k in range(n):
        y = -wy / 2 + (k + 0.5) * wy / n
        for x0 in np.arange(-lx / 2, lx / 2 - 1e-9, 4.0):
            seg = min(4.0, lx / 2 - x0)
            prof = [(x0, 0.04), (x0 + seg, 0.04), (x0 + seg, 0.04 + h), (x0, 0.04 + h)]
            strip = s.prism_xz(prof, 0.3 * pitch)
            v = strip.vertices.copy()
            top = v[:, 2] > 0.04 + h / 2
            v[top, 1] *= 0.3  # the strip narrows to the top like a row of plants
            strip.vertices = v
            strip.apply_translation([0, y, 0])
            rows.append(strip)
    return AssetMesh(
        [
            Part("soil", soil, material("soil", rng)),
            Part("crop", s.union(rows), material("grass", rng, scale=1.0), "none"),
        ],
        {},
        "crop",
    )
