"""Regenerate the shipped image textures in assets/textures/ (CC0 by construction: drawn here).

    PYTHONPATH=$PWD python scripts/make_textures.py

Each PNG is one of simgen's procedural generators with fixed parameters, 128x128 and tileable,
so scenarios can show the ``images:`` form of the texture randomizer without third-party files.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from simgen.materials.material import Texture
from simgen.materials.textures import texture_image

OUT = Path(__file__).resolve().parents[1] / "assets" / "textures"
TEXTURES = {
    "tiles.png": Texture.make("checker", seed=0, size=128, cells=4, colors=[[0.78, 0.76, 0.7], [0.62, 0.6, 0.55]]),
    "cardboard.png": Texture.make("grain", seed=1, size=128, streak=48, colors=[[0.55, 0.42, 0.27], [0.7, 0.56, 0.38]]),
    "speckle.png": Texture.make("perlin", seed=2, size=128, cells=8, colors=[[0.25, 0.27, 0.3], [0.55, 0.57, 0.6]]),
}


def main() -> int:
    """Write every texture; print their paths and sizes."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name, tex in TEXTURES.items():
        buf = io.BytesIO()
        Image.fromarray(texture_image(tex)).save(buf, format="PNG", optimize=True)
        (OUT / name).write_bytes(buf.getvalue())
        print(f"{OUT / name}: {len(buf.getvalue())} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
