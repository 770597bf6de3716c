"""Ground variants: a checker-textured plane and a heightfield (seeded noise or a greyscale image).

Generated files (texture PNG, textured plane OBJ) go to a content-addressed cache in the temp
folder, written atomically, so parallel workers share them safely.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from simgen.export.atomic import write_bytes, write_text

PLANE_HALF = 100.0  # metres; the visual plane's half size
TEXTURE_PX = 64  # texture side in pixels (2 x 2 cells)


def _cache(name: str) -> Path:
    return Path(tempfile.gettempdir()) / "simgen-ground-cache" / name


def checker_image(colors: Any) -> np.ndarray:
    """(64, 64, 3) uint8 texture of 2 x 2 cells: colors[0] at (row 0, col 0) and on the diagonal."""
    a = np.asarray(colors[0], dtype=float)[:3]
    b = np.asarray(colors[1], dtype=float)[:3]
    half = TEXTURE_PX // 2
    idx = np.arange(TEXTURE_PX) // half
    parity = (idx[:, None] + idx[None, :]) % 2
    img = np.where(parity[:, :, None] == 0, a, b)
    return np.round(img * 255).astype(np.uint8)


def checker_files(cell: float, colors: Any) -> tuple[Path, Path]:
    """(OBJ, PNG) of a 200 m square at z=0 whose UVs tile the 2 x 2 texture every ``2 * cell`` metres."""
    from PIL import Image

    img = checker_image(colors)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    digest = hashlib.sha256(buf.getvalue() + repr(float(cell)).encode()).hexdigest()[:20]
    png, obj = _cache(f"checker-{digest}.png"), _cache(f"checker-{digest}.obj")
    if not png.exists():
        write_bytes(png, buf.getvalue())
    if not obj.exists():
        s, u = PLANE_HALF, PLANE_HALF / (2 * cell)
        text = (
            f"v {s} {-s} 0\nv {s} {s} 0\nv {-s} {s} 0\nv {-s} {-s} 0\n"
            f"vt {u} {-u}\nvt {u} {u}\nvt {-u} {u}\nvt {-u} {-u}\n"
            "vn 0 0 1\nf 1/1/1 2/2/1 3/3/1\nf 1/1/1 3/3/1 4/4/1\n"
        )
        write_text(obj, text)
    return obj, png


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
            grey = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
        return grey[::-1] * hf["height"]
    rng = np.random.default_rng(hf["seed"])
    return value_noise(rng, hf["resolution"], max(hf["size"]), hf["feature"]) * hf["height"]


def build_heightfield(client: Any, hf: dict[str, Any], base_dir: Path, rgba: list[float]) -> tuple[int, np.ndarray]:
    """Create the terrain body; returns (uid, heights).

    Grid point (r, c) lies at ``x = (c / (cols - 1) - 0.5) * size_x``,
    ``y = (r / (rows - 1) - 0.5) * size_y``, ``z = heights[r, c]``.
    """
    p, cid = client.p, client.id
    heights = heightfield_heights(hf, base_dir)
    rows, cols = heights.shape
    sx, sy = hf["size"]
    col = p.createCollisionShape(
        p.GEOM_HEIGHTFIELD,
        meshScale=[sx / (cols - 1), sy / (rows - 1), 1.0],
        heightfieldTextureScaling=(cols - 1) / 2,
        heightfieldData=heights.ravel().tolist(),
        numHeightfieldRows=cols,
        numHeightfieldColumns=rows,
        physicsClientId=cid,
    )
    # Bullet centres the terrain's height range on the body origin.
    mid = (float(heights.max()) + float(heights.min())) / 2
    uid = p.createMultiBody(0, col, -1, basePosition=[0, 0, mid], physicsClientId=cid)
    p.changeVisualShape(uid, -1, rgbaColor=rgba, physicsClientId=cid)
    return uid, heights


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
