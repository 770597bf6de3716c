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


def heightmap_problem(path: Path) -> tuple[str, str] | None:
    """(message, hint) when the image at ``path`` cannot be a heightmap (unreadable, too small, too large).

    Reads the image header only, so a scenario can be checked per episode at sampling time.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
    except UnidentifiedImageError:
        return f"heightmap '{path.name}' is not an image file", "use a greyscale PNG"
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        return f"cannot read heightmap '{path.name}': {err}", "use a greyscale PNG"
    if max(w, h) > MAX_HEIGHTMAP_SIDE or min(w, h) < 2:
        return (
            f"heightmap '{path.name}' is {w}x{h} pixels; sides must be 2..{MAX_HEIGHTMAP_SIDE}",
            f"resize it to at most {MAX_HEIGHTMAP_SIDE} pixels a side",
        )
    return None


def heightfield_heights(hf: dict[str, Any], base_dir: Path) -> np.ndarray:
    """(rows, cols) heights in metres, row index along y, column along x, both increasing.

    Noise uses the recorded ``seed``; an image is read as greyscale (row 0 = +y edge, as seen
    from above) with black = 0 and white = ``height``.
    """
    if hf["source"] == "image":
        from PIL import Image

        from simgen.errors import AssetError
        from simgen.scenario.assets import resolve_asset

        path = resolve_asset(hf["path"], base_dir)
        problem = heightmap_problem(path)
        if problem:
            raise AssetError(problem[0], path="world.ground.heightfield.path", hint=problem[1])
        with Image.open(path) as im:
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
