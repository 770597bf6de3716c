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
    from simgen.assets import shapes as s
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
        box_mat = material("metal", rng, color=(0.85, 0.85, 0.83), wear=params["wear"])
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
    wheelbase = {"sedan": 0.6, "suv": 0.6, "van": 0.62, "truck": 0.62, "bus": 0.6}[style] * L
    track = W / 2 - 0.12
    wheels = {
        "fl": (wheelbase / 2, track),
        "fr": (wheelbase / 2, -track),
        "rl": (-wheelbase / 2, track),
        "rr": (-wheelbase / 2, -track),
    }
    keypoints: dict[str, tuple[float, float, float]] = {}
    for name, (wx, wy) in wheels.items():
        c = (wx, wy, r)
        tyre = s.cylinder(r, 0.22, c, axis="y", sections=14)
        spoke = s.box([1.5 * r, 0.24, 0.12 * r], c)
        joint = Joint(c, (0.0, 1.0, 0.0), "wheel", r)
        parts.append(Part(f"wheel_{name}", tyre, rubber, "none", None, joint))
        parts.append(Part(f"hub_{name}", spoke, rim, "none", f"wheel_{name}"))
        keypoints[f"wheel_{name}"] = c
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
    return AssetMesh(parts, keypoints, "vehicle", {"style": style})


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
