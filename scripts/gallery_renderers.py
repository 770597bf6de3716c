"""Draw the same frame from every renderer side by side, labels drawn on (docs/gallery/renderers.jpg).

The labels are the same in every tile: they come from pybullet's pass whatever makes the RGB.

    python scripts/gallery_renderers.py --scenario quickstart -o docs/gallery/renderers.jpg
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

import simgen
from simgen.batch.preview import preview_frames
from simgen.resources import scenario_path
from simgen.viz.sheet import draw_labels


def main() -> None:
    """Render frame 0 of episode 0 with each renderer and save one labeled strip."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="quickstart")
    ap.add_argument("--renderers", default="tiny,workbench,cycles")
    ap.add_argument("--tile-width", type=int, default=400)
    ap.add_argument("-o", "--out", default="docs/gallery/renderers.jpg")
    args = ap.parse_args()
    path = Path(args.scenario)
    scenario = simgen.load(path if path.suffix in (".yaml", ".yml") else scenario_path(args.scenario))
    tiles = []
    for name in args.renderers.split(","):
        frame = preview_frames(scenario, episodes=1, frames=1, renderer=name)[0]
        img = draw_labels(frame)
        h, w = img.shape[:2]
        img = cv2.resize(img, (args.tile_width, round(h * args.tile_width / w)), interpolation=cv2.INTER_AREA)
        caption = np.full((24, args.tile_width, 3), 30, np.uint8)
        text = f"{name}: {len(frame.labels)} labels"
        cv2.putText(caption, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (235, 235, 235), 1, cv2.LINE_AA)
        tiles.append(np.pad(np.vstack([caption, img]), ((3, 3), (3, 3), (0, 0))))
    strip = np.hstack(tiles)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.out, cv2.cvtColor(strip, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    import os
    import sys

    main()
    sys.stdout.flush()
    os._exit(0)  # skip Blender's GL teardown, which asserts when pybullet's EGL shared the process
