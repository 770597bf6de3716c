"""Road vehicles: sedan, SUV, van, truck, bus from one parametric body.

Parts (one pybullet link each): ``body`` (painted, the collision hull), ``glass`` (windows),
``roof``, ``cargo`` (truck box), four ``wheel_*`` links on revolute joints about y (they roll
with the distance the vehicle travels, see ``simgen.sim.animate``), a ``hub_*`` spoke bar on
each wheel so the rotation shows, ``headlights`` (emissive) and ``taillights``.
Keypoints: wheel centres, lamp centres, roof corners. Frame: x forward, y left, z up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.assets.registry import AssetMesh, Joint, Param, Part, asset

PAINT_WEAR = Param({"uniform": [0.0, 0.5]}, "paint dirt and wear, 0 new .. 1 filthy", ge=0, le=1)
COLOR = Param(None, "body colour RGB 0..1 (default: drawn from a car palette)", kind="color")


def _params(length: Any, width: Any, height: Any, wheel: Any) -> dict[str, Param]:
    return {
        "length": Param(length, "bumper to bumper, metres", ge=2.0, le=20.0),
        "width": Param(width, "body width without mirrors, metres", ge=1.2, le=3.0),
        "height": Param(height, "ground to roof, metres", ge=1.0, le=4.5),
        "wheel_radius": Param(wheel, "tyre radius, metres", ge=0.2, le=0.7),
        "color": COLOR,
        "wear": PAINT_WEAR,
    }


def _rng(params: dict[str, Any]) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(params.get("seed", 0))))


def vehicle(params: dict[str, Any], style: str) -> AssetMesh:
    """Build one vehicle of ``style`` (sedan, suv, van, truck, bus) from its dimensions."""
    from simgen.materials.library import material, plain

    rng = _rng(params)
    L, W, H, r = (float(params[k]) for k in ("length", "width", "height", "wheel_radius"))
    paint = material(
        "car_paint", rng, **({"color": params["color"]} if params.get("color") else {}), wear=params["wear"]
    )
    glass = plain((0.08, 0.1, 0.13), name="glass", specular=1.0, roughness=0.05)
    rubber = plain((0.05, 0.05, 0.05), name="rubber", specular=0.05)
    rim = material("metal", rng, wear=0.2)
    clear = 0.45 * r
    x0, x1 = -L / 2, L / 2
    # profile per style: belt line height, cabin (greenhouse) span as fractions of length
    belt = {"sedan": 0.55, "suv": 0.58, "van": 0.5, "truck": 0.5, "bus": 0.35}[style] * H
    parts = _body(style, L, W, H, clear, belt, paint, glass, rng, params["wear"])
    keypoints: dict[str, tuple[float, ...]] = {}
    parts += _wheels(style, L, W, r, rubber, rim, keypoints)
    parts += _lamps(style, W, clear, belt, x0, x1, keypoints)
    return AssetMesh(parts, keypoints, "vehicle", {"style": style})


def _body(
    style: str, L: float, W: float, H: float, clear: float, belt: float, paint: Any, glass: Any, rng: Any, wear: Any
) -> list[Part]:
    """The body, cabin glass and (truck) cargo box of one style, from length, width and height."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material

    x0, x1 = -L / 2, L / 2
    parts: list[Part] = []
    if style in ("sedan", "suv"):
        nose = 0.18 * (belt - clear)
        body = s.prism_xz(
            [
                (x0, clear),
                (x1, clear),
                (x1, belt - nose),
                (x1 - 0.12 * L, belt),
                (x0 + 0.03 * L, belt),
                (x0, belt - nose / 2),
            ],
            W,
        )
        c0, c1 = (x0 + 0.2 * L, x1 - 0.33 * L) if style == "sedan" else (x0 + 0.06 * L, x1 - 0.3 * L)
        roof_h = 0.05
        top = H - roof_h
        slope_f, slope_b = 0.45 * (top - belt), (0.45 if style == "sedan" else 0.12) * (top - belt)
        cabin = s.prism_xz([(c0 - slope_b, belt), (c1 + slope_f, belt), (c1, top), (c0, top)], 0.9 * W)
        roof = s.box([c1 - c0 + 0.06, 0.88 * W, roof_h], [(c0 + c1) / 2, 0, top + roof_h / 2])
        parts += [Part("body", body, paint), Part("glass", cabin, glass, "none"), Part("roof", roof, paint, "none")]
    elif style == "van":
        front = x1 - 0.16 * L
        body = s.prism_xz([(x0, clear), (x1, clear), (x1, belt), (front, H), (x0, H)], W)
        shield = s.prism_xz(
            [(x1 - 0.01, belt + 0.02), (front + 0.02, H - 0.05), (front - 0.06, H - 0.05), (x1 - 0.08, belt + 0.02)],
            0.86 * W,
        )
        side = s.box([0.35 * L, W + 0.02, 0.3 * (H - belt)], [front - 0.22 * L, 0, belt + 0.55 * (H - belt)])
        parts += [Part("body", body, paint), Part("glass", s.union([shield, side]), glass, "none")]
    elif style == "truck":
        cab_l = min(2.2, 0.3 * L)
        cab = s.box([cab_l, W, H * 0.82 - clear], [x1 - cab_l / 2, 0, clear + (H * 0.82 - clear) / 2])
        cargo = s.box(
            [L - cab_l - 0.15, W + 0.05, H - clear - 0.2],
            [x0 + (L - cab_l - 0.15) / 2, 0, clear + 0.2 + (H - clear - 0.2) / 2],
        )
        shield = s.box([0.04, 0.9 * W, 0.35 * H], [x1 + 0.005, 0, H * 0.82 - 0.22 * H])
        side = s.box([0.5 * cab_l, W + 0.02, 0.25 * H], [x1 - 0.4 * cab_l, 0, H * 0.82 - 0.2 * H])
        box_mat = material("metal", rng, color=(0.85, 0.85, 0.83), wear=wear)
        parts += [
            Part("body", cab, paint),
            Part("cargo", cargo, box_mat),
            Part("glass", s.union([shield, side]), glass, "none"),
        ]
    else:  # bus
        body = s.box([L, W, H - clear], [0, 0, clear + (H - clear) / 2])
        band = s.box([L - 0.6, W + 0.02, 0.38 * (H - clear)], [0, 0, belt + 0.3 * (H - belt)])
        shield = s.box([0.03, 0.92 * W, 0.5 * (H - belt)], [x1 + 0.004, 0, belt + 0.35 * (H - belt)])
        parts += [Part("body", body, paint), Part("glass", s.union([band, shield]), glass, "none")]
    return parts


def _wheels(
    style: str, L: float, W: float, r: float, rubber: Any, rim: Any, keypoints: dict[str, tuple[float, ...]]
) -> list[Part]:
    """Four wheels (tyre with a wheel joint, hub spoke) at the style's wheelbase; adds their keypoints."""
    from simgen.assets import shapes as s

    parts: list[Part] = []
    wheelbase = {"sedan": 0.6, "suv": 0.6, "van": 0.62, "truck": 0.62, "bus": 0.6}[style] * L
    track = W / 2 - 0.12
    wheels = {
        "fl": (wheelbase / 2, track),
        "fr": (wheelbase / 2, -track),
        "rl": (-wheelbase / 2, track),
        "rr": (-wheelbase / 2, -track),
    }
    for name, (wx, wy) in wheels.items():
        c = (wx, wy, r)
        tyre = s.cylinder(r, 0.22, c, axis="y", sections=14)
        spoke = s.box([1.5 * r, 0.24, 0.12 * r], c)
        joint = Joint(c, (0.0, 1.0, 0.0), "wheel", r)
        parts.append(Part(f"wheel_{name}", tyre, rubber, "none", None, joint))
        parts.append(Part(f"hub_{name}", spoke, rim, "none", f"wheel_{name}"))
        keypoints[f"wheel_{name}"] = c
    return parts


def _lamps(
    style: str,
    W: float,
    clear: float,
    belt: float,
    x0: float,
    x1: float,
    keypoints: dict[str, tuple[float, ...]],
) -> list[Part]:
    """Emissive head- and taillights at the style's lamp height; adds their keypoints."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    parts: list[Part] = []
    lamp_z = belt - 0.12 * (belt - clear) if style in ("sedan", "suv") else clear + 0.35 * (belt - clear)
    lamp = (0.04, 0.22 * W, 0.08)
    heads, tails = [], []
    for side in (1, -1):
        y = side * (W / 2 - 0.14 * W)
        heads.append(s.box(lamp, (x1 + 0.01, y, lamp_z)))
        tails.append(s.box(lamp, (x0 - 0.01, y, lamp_z)))
        keypoints[f"headlight_{'l' if side > 0 else 'r'}"] = (x1 + 0.03, y, lamp_z)
        keypoints[f"taillight_{'l' if side > 0 else 'r'}"] = (x0 - 0.03, y, lamp_z)
    parts.append(
        Part("headlights", s.union(heads), plain((1.0, 0.97, 0.85), name="lamp", emission=(1, 0.95, 0.8)), "none")
    )
    parts.append(
        Part("taillights", s.union(tails), plain((0.75, 0.05, 0.04), name="lamp", emission=(0.8, 0, 0)), "none")
    )
    return parts


@asset(
    "sedan",
    version=1,
    class_name="car",
    group="road users",
    motion="wheels",
    max_triangles=1500,
    params=_params({"uniform": [4.3, 4.9]}, {"uniform": [1.72, 1.85]}, {"uniform": [1.38, 1.5]}, 0.32),
)
def sedan(params: dict[str, Any]) -> AssetMesh:
    """Saloon car: long hood, sloped greenhouse, four rolling wheels, lamps."""
    return vehicle(params, "sedan")


@asset(
    "suv",
    version=1,
    class_name="car",
    group="road users",
    motion="wheels",
    max_triangles=1500,
    params=_params({"uniform": [4.4, 4.9]}, {"uniform": [1.8, 1.95]}, {"uniform": [1.65, 1.8]}, 0.37),
)
def suv(params: dict[str, Any]) -> AssetMesh:
    """Sport utility vehicle: tall body, upright tailgate, large wheels."""
    return vehicle(params, "suv")


@asset(
    "van",
    version=1,
    class_name="van",
    group="road users",
    motion="wheels",
    max_triangles=1500,
    params=_params({"uniform": [4.9, 5.6]}, {"uniform": [1.9, 2.05]}, {"uniform": [2.2, 2.6]}, 0.34),
)
def van(params: dict[str, Any]) -> AssetMesh:
    """Panel van: one-box body with a short sloped nose and windscreen."""
    return vehicle(params, "van")


@asset(
    "truck",
    version=1,
    class_name="truck",
    group="road users",
    motion="wheels",
    max_triangles=1500,
    params=_params({"uniform": [6.5, 9.0]}, {"uniform": [2.3, 2.5]}, {"uniform": [3.0, 3.6]}, 0.5),
)
def truck(params: dict[str, Any]) -> AssetMesh:
    """Box truck: cab in front, metal cargo box behind."""
    return vehicle(params, "truck")


@asset(
    "bus",
    version=1,
    class_name="bus",
    group="road users",
    motion="wheels",
    max_triangles=1500,
    params=_params({"uniform": [10.5, 12.5]}, {"uniform": [2.45, 2.55]}, {"uniform": [2.9, 3.2]}, 0.5),
)
def bus(params: dict[str, Any]) -> AssetMesh:
    """City bus: long box body with a band of side windows."""
    return vehicle(params, "bus")


def _wheel(parts: list[Part], name: str, centre: tuple[float, float, float], r: float, width: float, mats: Any) -> None:
    """A thin rolling wheel (tyre on a revolute joint about y) with a spoke bar that turns with it."""
    from simgen.assets import shapes as s

    tyre_mat, spoke_mat = mats
    parts.append(
        Part(
            f"wheel_{name}",
            s.cylinder(r, width, centre, axis="y", sections=16),
            tyre_mat,
            "none",
            None,
            Joint(centre, (0.0, 1.0, 0.0), "wheel", r),
        )
    )
    parts.append(
        Part(
            f"spokes_{name}",
            s.union([s.box([1.9 * r, width + 0.01, 0.02], centre), s.box([0.02, width + 0.01, 1.9 * r], centre)]),
            spoke_mat,
            "none",
            f"wheel_{name}",
        )
    )


@asset(
    "bicycle",
    version=1,
    class_name="bicycle",
    group="road users",
    motion="wheels",
    max_triangles=1500,
    params={
        "wheel_radius": Param({"uniform": [0.3, 0.36]}, "metres", ge=0.15, le=0.45),
        "rider": Param(True, "a seated rider (torso, head, arms, legs) on the saddle", kind="bool"),
        "color": Param(None, "frame colour RGB 0..1 (default: drawn)", kind="color"),
    },
)
def bicycle(params: dict[str, Any]) -> AssetMesh:
    """Bicycle (diamond frame, rolling wheels, handlebar) with an optional seated rider."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    rng = _rng(params)
    r = float(params["wheel_radius"])
    base = params.get("color") or tuple(float(c) for c in rng.uniform(0.1, 0.9, 3))
    frame_mat = plain(base, name="paint", specular=0.7)
    dark = plain((0.05, 0.05, 0.05), name="rubber", specular=0.05)
    steel = plain((0.7, 0.7, 0.72), name="metal", specular=0.9)
    wb = 2.9 * r
    rear, front = (-wb / 2, 0.0, r), (wb / 2, 0.0, r)
    crank = (-wb / 2 + 1.2 * r, 0.0, r)
    seat = (-wb / 2 + 0.9 * r, 0.0, r + 1.7 * r)
    head = (wb / 2 - 0.35 * r, 0.0, r + 1.75 * r)
    tubes = [
        s.segment(a, b, 0.018, 6)
        for a, b in ((rear, crank), (crank, seat), (seat, rear), (crank, head), (seat, head), (head, front))
    ]
    tubes.append(s.segment(head, (head[0] - 0.05, 0, head[2] + 0.2), 0.018, 6))
    bar = s.segment((head[0] - 0.05, -0.25, head[2] + 0.2), (head[0] - 0.05, 0.25, head[2] + 0.2), 0.015, 6)
    saddle = s.box([0.25, 0.12, 0.05], (seat[0], 0, seat[2] + 0.05))
    parts = [Part("frame", s.union(tubes), frame_mat), Part("handlebar", s.union([bar, saddle]), dark, "none")]
    _wheel(parts, "front", front, r, 0.04, (dark, steel))
    _wheel(parts, "rear", rear, r, 0.04, (dark, steel))
    keypoints: dict[str, Any] = {"wheel_front": front, "wheel_rear": rear, "saddle": (seat[0], 0.0, seat[2] + 0.08)}
    if params.get("rider", True):
        shirt = plain(tuple(float(c) for c in rng.uniform(0.1, 0.9, 3)), name="fabric", specular=0.1)
        skin = plain((0.85, 0.65, 0.5), name="skin", specular=0.1)
        hip = np.array([seat[0], 0.0, seat[2] + 0.12])
        shoulder = hip + np.array([0.3, 0.0, 0.5])
        hand = np.array([head[0] - 0.05, 0.0, head[2] + 0.2])
        body = [s.segment(hip, shoulder, 0.13, 8)]
        body += [s.segment(shoulder + [0, side * 0.18, 0], hand + [0, side * 0.22, 0], 0.04, 6) for side in (1, -1)]
        body += [
            s.segment(hip + [0, side * 0.1, 0], np.array(crank) + [0.05, side * 0.12, 0.1], 0.06, 6) for side in (1, -1)
        ]
        parts.append(Part("rider", s.union(body), shirt))
        parts.append(Part("rider_head", s.blob((0.1, 0.09, 0.12), shoulder + [0.05, 0, 0.2]), skin, "none"))
        keypoints["rider_head"] = tuple(float(v) for v in shoulder + [0.05, 0, 0.2])
    points = {k: tuple(float(x) for x in v) for k, v in keypoints.items()}
    return AssetMesh(parts, points, "bicycle", {"rider": bool(params.get("rider", True))})


@asset(
    "pushchair",
    version=1,
    class_name="pushchair",
    group="road users",
    motion="wheels",
    max_triangles=1500,
    params={"color": Param(None, "fabric colour RGB 0..1 (default: drawn)", kind="color")},
)
def pushchair(params: dict[str, Any]) -> AssetMesh:
    """Pushchair: aluminium frame, fabric seat and hood, four small rolling wheels, push bar at -x."""
    from simgen.assets import shapes as s
    from simgen.materials.library import material, plain

    rng = _rng(params)
    cloth = material("fabric", rng, **({"color": params["color"]} if params.get("color") else {}))
    alu = plain((0.75, 0.76, 0.78), name="metal", specular=0.9)
    dark = plain((0.05, 0.05, 0.05), name="rubber", specular=0.05)
    r = 0.09
    legs = [
        s.segment((x, y * 0.22, r), (x * 0.3 - 0.05, y * 0.22, 0.6), 0.012, 6) for x in (0.3, -0.3) for y in (1, -1)
    ]
    legs.append(s.segment((-0.3, -0.24, 1.0), (-0.3, 0.24, 1.0), 0.015, 6))
    legs += [s.segment((-0.12, y * 0.22, 0.6), (-0.3, y * 0.22, 1.0), 0.012, 6) for y in (1, -1)]
    seat = s.box([0.4, 0.38, 0.08], (0.0, 0, 0.55))
    back = s.box([0.06, 0.38, 0.35], (-0.16, 0, 0.75))
    hood = s.blob((0.18, 0.2, 0.12), (-0.1, 0, 0.93))
    parts = [Part("frame", s.union(legs), alu), Part("seat", s.union([seat, back, hood]), cloth)]
    for name, x, y in (("fl", 0.3, 0.22), ("fr", 0.3, -0.22), ("rl", -0.3, 0.22), ("rr", -0.3, -0.22)):
        _wheel(parts, name, (x, y, r), r, 0.03, (dark, alu))
    return AssetMesh(parts, {"push_bar": (-0.3, 0.0, 1.0)}, "pushchair")
