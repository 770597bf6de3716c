"""A parametric quadruped: deer, dog, cow and horse differ only in proportions and coat.

Parts: ``body`` (barrel, the collision hull), ``neck``, ``head``, ``tail``, ears or antlers, and
four ``leg_*`` links on revolute joints about y at the hips and shoulders, swung by the
walking gait in ``simgen.sim.animate`` (stance legs sweep backwards while the body moves).
Keypoints: nose, eyes, withers, tail base, hips and hooves (KITTI/COCO-style animal keypoints).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.assets.registry import AssetMesh, Joint, Param, Part, asset

# shoulder height (m), body length/height, leg share of height, neck length share, head length share
PRESETS: dict[str, dict[str, Any]] = {
    "deer": {"height": (0.9, 1.1), "body": 1.15, "legs": 0.58, "neck": 0.45, "head": 0.28, "coat": (0.5, 0.34, 0.2)},
    "dog": {"height": (0.4, 0.65), "body": 1.25, "legs": 0.5, "neck": 0.3, "head": 0.32, "coat": (0.45, 0.32, 0.2)},
    "cow": {"height": (1.3, 1.5), "body": 1.45, "legs": 0.45, "neck": 0.3, "head": 0.32, "coat": (0.15, 0.12, 0.1)},
    "horse": {"height": (1.45, 1.7), "body": 1.3, "legs": 0.55, "neck": 0.5, "head": 0.4, "coat": (0.4, 0.25, 0.15)},
}


def quadruped(params: dict[str, Any], species: str) -> AssetMesh:
    """Build one animal of ``species`` at shoulder height ``params['height']``."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    pre = PRESETS[species]
    rng = np.random.default_rng(np.random.SeedSequence(int(params.get("seed", 0))))
    h = float(params["height"])
    build = float(params["build"])
    base = np.asarray(params.get("color") or pre["coat"], dtype=float)
    coat = plain(
        tuple(float(v) for v in np.clip(base * (1 + rng.uniform(-0.12, 0.12, 3)), 0, 1)), name="fur", specular=0.1
    )
    dark = plain(tuple(float(v) for v in base * 0.45), name="fur_dark", specular=0.1)
    leg_len = pre["legs"] * h
    body_h = (h - leg_len) * 1.2 * build
    body_l = pre["body"] * h
    body_w = body_h * 0.85
    bz = leg_len + body_h / 2 - 0.05 * h
    body = s.blob((body_l / 2, body_w / 2, body_h / 2), (0, 0, bz), subdivisions=2)
    parts = [Part("body", body, coat)]
    withers = np.array([body_l * 0.36, 0.0, bz + body_h * 0.3])
    neck_len = pre["neck"] * h
    head_pt = withers + neck_len * np.array([0.55, 0, 0.83])
    parts.append(Part("neck", s.segment(withers, head_pt, body_h * 0.2, sections=8), coat, "none"))
    head_l = pre["head"] * h
    head_c = head_pt + np.array([head_l * 0.35, 0, -head_l * 0.1])
    parts.append(Part("head", s.blob((head_l / 2, head_l * 0.22, head_l * 0.25), head_c, subdivisions=1), coat, "none"))
    nose = head_c + np.array([head_l / 2, 0, -head_l * 0.05])
    extras = []
    for side in (1, -1):
        ear = head_pt + np.array([0, side * head_l * 0.18, head_l * 0.15])
        extras.append(s.segment(ear, ear + np.array([-0.02, side * 0.04, 0.12]) * h, 0.012 * h, sections=5))
        if species == "deer" and params.get("antlers", True):
            a0 = head_pt + np.array([0.02 * h, side * head_l * 0.1, head_l * 0.2])
            a1 = a0 + np.array([-0.05, side * 0.12, 0.3]) * h
            extras += [
                s.segment(a0, a1, 0.012 * h, 5),
                s.segment(a0 + (a1 - a0) * 0.5, a0 + (a1 - a0) * 0.5 + np.array([0.1, 0, 0.1]) * h, 0.01 * h, 5),
            ]
    parts.append(Part("ears", s.union(extras), dark, "none"))
    tail0 = np.array([-body_l / 2 + 0.02, 0, bz + body_h * 0.25])
    tail_len = {"deer": 0.12, "dog": 0.35, "cow": 0.7, "horse": 0.7}[species] * h
    parts.append(
        Part("tail", s.segment(tail0, tail0 + tail_len * np.array([-0.35, 0, -0.94]), 0.025 * h, 5), dark, "none")
    )
    keypoints = {"nose": tuple(nose), "withers": tuple(withers), "tail_base": tuple(tail0)}
    for side in (1, -1):
        keypoints[f"eye_{'l' if side > 0 else 'r'}"] = tuple(
            head_c + np.array([head_l * 0.2, side * head_l * 0.18, head_l * 0.1])
        )
    leg_r = max(0.02, 0.05 * h * build)
    hip_z = leg_len + 0.05 * h
    for name, lx, ly in (("fl", 0.36, 1), ("fr", 0.36, -1), ("hl", -0.36, 1), ("hr", -0.36, -1)):
        pivot = np.array([lx * body_l, ly * body_w * 0.3, hip_z])
        foot = pivot - np.array([0, 0, hip_z])
        leg = s.union(
            [
                s.segment(pivot, foot + np.array([0, 0, 0.05 * h]), leg_r, 6),
                s.cylinder(leg_r * 1.1, 0.05 * h, foot + np.array([0, 0, 0.025 * h]), sections=6),
            ]
        )
        joint = Joint(tuple(float(v) for v in pivot), (0.0, 1.0, 0.0), f"leg_{name}", float(hip_z))
        parts.append(Part(f"leg_{name}", leg, coat, "none", None, joint))
        keypoints[f"hoof_{name}"] = tuple(float(v) for v in foot)
        keypoints[f"hip_{name}"] = tuple(float(v) for v in pivot)
    keypoints = {k: tuple(float(v) for v in p) for k, p in keypoints.items()}
    return AssetMesh(parts, keypoints, species, {"species": species})


def _params(species: str) -> dict[str, Param]:
    lo, hi = PRESETS[species]["height"]
    return {
        "height": Param({"uniform": [lo, hi]}, "shoulder height, metres", ge=0.15, le=2.5),
        "build": Param({"uniform": [0.9, 1.1]}, "body girth factor (1 = typical)", ge=0.6, le=1.6),
        "color": Param(None, "coat colour RGB 0..1 (default: the species' coat, varied)", kind="color"),
    }


def _register(species: str, doc: str) -> None:
    def generate(params: dict[str, Any]) -> AssetMesh:
        return quadruped(params, species)

    generate.__doc__ = doc
    asset(
        species,
        version=1,
        class_name=species,
        group="animals",
        motion="quadruped",
        params=_params(species),
        max_triangles=4000,
    )(generate)


_register("deer", "Deer: slender legs, long neck, antlers; walks with a four-beat gait.")
_register("dog", "Dog: short legs, long body, raised tail; walks with a four-beat gait.")
_register("cow", "Cow: heavy barrel, short neck, long tail; walks with a four-beat gait.")
_register("horse", "Horse: tall legs, long neck and head, long tail; walks with a four-beat gait.")
