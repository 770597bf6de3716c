"""Regenerate the small procedural meshes shipped in assets/meshes (run on purpose, then commit)."""

from __future__ import annotations

from pathlib import Path

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
    print(f"wrote {OUT}/torus.obj, bracket.obj")


if __name__ == "__main__":
    main()
