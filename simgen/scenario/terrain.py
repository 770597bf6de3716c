"""Terrain heights (pure numpy): seeded value noise or a greyscale image, and bilinear lookup.

Used by placement (objects rest on the terrain) and by the simulator, which builds the same grid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

MAX_HEIGHTMAP_SIDE = 1024  # pixels; a terrain grid larger than this is a memory risk, not detail


def value_noise(rng: np.random.Generator, n: int, size: float, feature: float) -> np.ndarray:
    """(n, n) float64 smooth noise in [0, 1]: random lattice values every ``feature`` metres, smoothstep-blended."""
    cells = max(1, int(np.ceil(size / feature)))
    lattice = rng.random((cells + 1, cells + 1))
    t = np.linspace(0.0, cells, n)
    i = np.minimum(t.astype(int), cells - 1)
    f = t - i
    f = f * f * (3 - 2 * f)
    rows = lattice[i] * (1 - f)[:, None] + lattice[i + 1] * f[:, None]
    out = rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]
    lo, hi = out.min(), out.max()
    return (out - lo) / (hi - lo) if hi > lo else np.zeros_like(out)


def heightfield_heights(hf: dict[str, Any], base_dir: Path) -> np.ndarray:
    """(rows, cols) heights in metres, row index along y, column along x, both increasing.

    Noise uses the recorded ``seed``; an image is read as greyscale (row 0 = +y edge, as seen
    from above) with black = 0 and white = ``height``.
    """
    if hf["source"] == "image":
        from PIL import Image

        from simgen.scenario.assets import resolve_asset

        with Image.open(resolve_asset(hf["path"], base_dir)) as im:
            if max(im.size) > MAX_HEIGHTMAP_SIDE or min(im.size) < 2:
                from simgen.errors import AssetError

                raise AssetError(
                    f"heightmap '{hf['path']}' is {im.size[0]}x{im.size[1]} pixels; "
                    f"sides must be 2..{MAX_HEIGHTMAP_SIDE}"
                )
            grey = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
        return grey[::-1] * hf["height"]
    rng = np.random.default_rng(hf["seed"])
    return value_noise(rng, hf["resolution"], max(hf["size"]), hf["feature"]) * hf["height"]


def height_at(heights: np.ndarray, size: tuple[float, float], x: float, y: float) -> float:
    """Bilinear terrain height (metres) at world (x, y) from a :func:`heightfield_heights` grid."""
    rows, cols = heights.shape
    c = (x / size[0] + 0.5) * (cols - 1)
    r = (y / size[1] + 0.5) * (rows - 1)
    c0, r0 = int(np.clip(np.floor(c), 0, cols - 2)), int(np.clip(np.floor(r), 0, rows - 2))
    fc, fr = c - c0, r - r0
    top = heights[r0, c0] * (1 - fc) + heights[r0, c0 + 1] * fc
    bot = heights[r0 + 1, c0] * (1 - fc) + heights[r0 + 1, c0 + 1] * fc
    return float(top * (1 - fr) + bot * fr)
