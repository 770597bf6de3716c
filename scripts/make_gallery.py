"""Regenerate docs/gallery/*.jpg and docs/gallery.md: one labelled contact sheet per shipped scenario.

    PYTHONPATH=$PWD python scripts/make_gallery.py [--renderer auto]

Each sheet is ``simgen preview`` of the scenario (2 episodes x 4 frames; one frame per camera of
a multi-camera rig) with the cameras scaled to 480 px wide, saved as a small JPEG.
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

from PIL import Image

import simgen
from simgen.batch.preview import write_preview
from simgen.resources import shipped_scenarios

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 480
MAX_SHEET_WIDTH = 1600


def main() -> int:
    """Render every shipped scenario's sheet and rewrite the gallery page."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--renderer", default="auto")
    args = ap.parse_args()
    out = ROOT / "docs" / "gallery"
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Gallery",
        "",
        "One contact sheet per shipped scenario, drawn by `simgen preview` (labels on: boxes, masks, classes),",
        "regenerated with `PYTHONPATH=$PWD python scripts/make_gallery.py`. The eight edge-case scenarios are",
        "built with the procedural asset library and scene layouts (docs/assets.md); the known-object models",
        "of the tabletop and bin-picking scenes (duck, mug, torus, can, ball) stay as they are, being the",
        "6D-pose classes. `quickstart` and `sensor_suite` are plain-primitive demos of the pipeline and sensors.",
        "",
    ]
    for path in shipped_scenarios():
        sc = simgen.load(path)
        cams = [  # cameras with explicit intrinsics keep their size (their lens is defined in pixels)
            c
            if c.intrinsics is not None
            else c.model_copy(update={"width": WIDTH, "height": WIDTH * c.height // c.width})
            for c in sc.cameras
        ]
        sc = sc.model_copy(update={"cameras": cams})
        rig = len(cams) > 1
        with tempfile.TemporaryDirectory() as tmp:
            png = Path(tmp) / "sheet.png"
            n = write_preview(sc, png, episodes=1 if rig else 2, frames=1 if rig else 4, renderer=args.renderer)
            im = Image.open(png).convert("RGB")
        if im.width > MAX_SHEET_WIDTH:
            im = im.resize((MAX_SHEET_WIDTH, im.height * MAX_SHEET_WIDTH // im.width), Image.LANCZOS)
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=72, optimize=True)
        (out / f"{sc.name}.jpg").write_bytes(buf.getvalue())
        image = f"![{sc.name}: {n} frames](gallery/{sc.name}.jpg)"
        lines += [f"## {sc.name}", "", sc.description.strip(), "", image, ""]
        print(f"{sc.name}: {n} frames, {len(buf.getvalue()) // 1024} KiB")
    (ROOT / "docs" / "gallery.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
