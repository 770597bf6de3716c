"""``traffic_barrel``: an orange-and-white channelizer drum on a black ballast ring (road works).

A slightly tapered orange drum with white reflective bands and a flat top, standing on a wider
rubber ring. One rigid body: every part hangs on fixed joints, so it is a BOP model as it is.
"""

from __future__ import annotations

from typing import Any

from simgen.assets.registry import AssetMesh, Param, Part, asset

SECTIONS = 16  # facets around: round enough at street distances, under 600 triangles in all
TAPER = 0.88  # top radius over bottom radius of the drum
BASE_HEIGHT = 0.06  # metres of the ballast ring
BAND_PROUD = 1.01  # white bands stand 1 % proud of the drum so they never z-fight with it


@asset(
    "traffic_barrel",
    version=1,
    class_name="barrel",
    group="built world",
    max_triangles=800,
    params={
        "height": Param({"uniform": [0.85, 1.0]}, "metres, ground to the top of the drum", ge=0.4, le=1.5),
        "radius": Param({"uniform": [0.26, 0.3]}, "metres, drum radius at the bottom", ge=0.1, le=0.6),
        "bands": Param(2, "white reflective bands", ge=0, le=4, kind="int"),
        "ballast": Param(True, "a black rubber ring around the foot", kind="bool"),
    },
)
def traffic_barrel(params: dict[str, Any]) -> AssetMesh:
    """Orange-and-white traffic barrel (channelizer drum) on a black ballast ring."""
    from simgen.assets import shapes as s
    from simgen.materials.library import plain

    h, r, bands = float(params["height"]), float(params["radius"]), int(params["bands"])
    foot = BASE_HEIGHT if params["ballast"] else 0.0
    drum_h = h - foot
    drum = s.cone(r, drum_h, [0, 0, foot], sections=SECTIONS, top_radius=TAPER * r)
    parts = [Part("drum", drum, plain((0.95, 0.38, 0.05), name="plastic"))]
    if bands:
        band_h = drum_h / (2 * bands + 1)
        pieces = []
        for i in range(bands):
            z0 = foot + (2 * i + 1) * band_h
            r0 = r * (1 - (1 - TAPER) * (z0 - foot) / drum_h) * BAND_PROUD
            r1 = r * (1 - (1 - TAPER) * (z0 + band_h - foot) / drum_h) * BAND_PROUD
            pieces.append(s.cone(r0, band_h, [0, 0, z0], sections=SECTIONS, top_radius=r1))
        parts.append(Part("bands", s.union(pieces), plain((0.95, 0.95, 0.95), name="reflective"), "none"))
    if foot:
        ring = s.cylinder(1.3 * r, foot, [0, 0, foot / 2], sections=SECTIONS)
        parts.append(Part("ballast", ring, plain((0.08, 0.08, 0.08), name="rubber")))
    keypoints: dict[str, tuple[float, ...]] = {"top": (0.0, 0.0, h), "foot": (0.0, 0.0, 0.0)}
    return AssetMesh(parts, keypoints, "barrel")
