"""Regenerate the small procedural meshes shipped in assets/meshes (run on purpose, then commit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

OUT = Path(__file__).resolve().parent.parent / "assets" / "meshes"


def main() -> None:
    """Write torus.obj (a ring part) and bracket.obj (an L-shaped bracket), sizes in metres."""
    OUT.mkdir(parents=True, exist_ok=True)
    torus = trimesh.creation.torus(major_radius=0.06, minor_radius=0.02, major_sections=32, minor_sections=12)
    torus.export(OUT / "torus.obj")
    a = trimesh.creation.box(extents=(0.12, 0.03, 0.02))
    b = trimesh.creation.box(extents=(0.03, 0.03, 0.08))
    b.apply_translation((-0.045, 0.0, 0.05))
    bracket = trimesh.util.concatenate([a, b])
    bracket.export(OUT / "bracket.obj")
    deer().export(OUT / "deer.obj")
    print(f"wrote {OUT}/torus.obj, bracket.obj, deer.obj")
    hills_png(OUT.parent / "heightmaps" / "hills.png")


def hills_png(path: Path) -> None:
    """A 65 x 65 greyscale heightmap: two smooth hills (white = top) on a plain, for terrain tests."""
    from PIL import Image

    y, x = np.mgrid[-1:1:65j, -1:1:65j]
    h = np.exp(-((x - 0.4) ** 2 + (y - 0.3) ** 2) / 0.08) + 0.6 * np.exp(-((x + 0.5) ** 2 + (y + 0.4) ** 2) / 0.05)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(h / h.max() * 255).astype(np.uint8)).save(path)
    print(f"wrote {path}")


def deer() -> trimesh.Trimesh:
    """A low-poly deer-sized animal (1.6 m long, 1.5 m tall at the head), facing +x, feet at z=0."""
    parts = [trimesh.creation.box(extents=(1.1, 0.4, 0.45), transform=_at(0, 0, 1.0))]
    for x in (-0.42, 0.42):
        for y in (-0.13, 0.13):
            parts.append(trimesh.creation.cylinder(radius=0.05, height=0.8, sections=8, transform=_at(x, y, 0.4)))
    neck = trimesh.creation.cylinder(radius=0.08, height=0.5, sections=8)
    neck.apply_transform(trimesh.transformations.rotation_matrix(0.6, (0, 1, 0)))
    neck.apply_translation((0.65, 0, 1.3))
    parts.append(neck)
    parts.append(trimesh.creation.box(extents=(0.32, 0.16, 0.16), transform=_at(0.85, 0, 1.5)))
    parts.append(trimesh.creation.box(extents=(0.25, 0.06, 0.08), transform=_at(-0.6, 0, 1.15)))
    return trimesh.util.concatenate(parts)


def _at(x: float, y: float, z: float) -> np.ndarray:
    return trimesh.transformations.translation_matrix((x, y, z))


if __name__ == "__main__":
    main()
