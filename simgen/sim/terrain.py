"""Ground bodies: a checker-textured plane and a heightfield terrain.

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

from simgen.scenario.terrain import heightfield_heights

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


FLOOR_CELLS = 40  # grid cells per side of the visual floor


def floor_obj_text(uv_half: float, cells: int = FLOOR_CELLS) -> str:
    """OBJ text of a ``2 * PLANE_HALF`` metre square at z=0, facing up, as a ``cells`` x ``cells`` grid.

    One big quad (two triangles) shades differently on each side of its diagonal under the EGL
    renderer, a visible band across every image; a grid of small quads shades evenly. UVs run
    from ``-uv_half`` to ``uv_half`` across the square.
    """
    t = np.linspace(-1.0, 1.0, cells + 1)
    lines = [f"v {x * PLANE_HALF:.6g} {y * PLANE_HALF:.6g} 0" for y in t for x in t]
    lines += [f"vt {x * uv_half:.6g} {y * uv_half:.6g}" for y in t for x in t]
    lines.append("vn 0 0 1")
    n = cells + 1
    for r in range(cells):
        for c in range(cells):
            a, b, d, e = r * n + c + 1, r * n + c + 2, (r + 1) * n + c + 2, (r + 1) * n + c + 1
            lines.append(f"f {a}/{a}/1 {b}/{b}/1 {d}/{d}/1")
            lines.append(f"f {a}/{a}/1 {d}/{d}/1 {e}/{e}/1")
    return "\n".join(lines) + "\n"


def floor_file() -> Path:
    """OBJ of the plain visual floor (cached per process user)."""
    from simgen.core.fileio import write_text  # atomic writes; lazy like cached_obj

    obj = _cache(f"floor-{FLOOR_CELLS}.obj")
    if not obj.exists():
        write_text(obj, floor_obj_text(1.0))
    return obj


def checker_files(cell: float, colors: Any) -> tuple[Path, Path]:
    """(OBJ, PNG) of a 200 m square at z=0 whose UVs tile the 2 x 2 texture every ``2 * cell`` metres."""
    from PIL import Image

    from simgen.core.fileio import write_bytes, write_text  # atomic writes; lazy like cached_obj

    img = checker_image(colors)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    digest = hashlib.sha256(buf.getvalue() + repr(float(cell)).encode()).hexdigest()[:20]
    png, obj = _cache(f"checker-{digest}.png"), _cache(f"checker-{digest}-{FLOOR_CELLS}.obj")
    if not png.exists():
        write_bytes(png, buf.getvalue())
    if not obj.exists():
        write_text(obj, floor_obj_text(PLANE_HALF / (2 * cell)))
    return obj, png


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
