"""manifest.json and DATASET_CARD.md: what was generated, from what, and how.

The manifest is byte-identical between identical runs except for ``created``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from simgen.export.atomic import write_json, write_text


def build_manifest(
    *,
    version: str,
    scenario: dict[str, Any],
    run: dict[str, Any],
    episodes: list[dict[str, Any]],
    class_names: list[str],
    counts: dict[str, Any],
) -> dict[str, Any]:
    """Assemble the manifest document (see DESIGN: seeds, sampled values, sensors, counts)."""
    return {
        "simgen_version": version,
        "synthetic": True,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "scenario": scenario,
        "run": run,
        "classes": [{"id": i + 1, "name": n} for i, n in enumerate(class_names)],
        "counts": counts,
        "episodes": episodes,
    }


def count_labels(records: list[dict[str, Any]], class_names: list[str]) -> dict[str, Any]:
    """Images and annotations per split and per class, from the COCO-style frame records."""
    per_class: Counter[str] = Counter()
    per_split: Counter[str] = Counter()
    annotations = 0
    for rec in records:
        per_split[rec["split"]] += 1
        for ann in rec["annotations"]:
            annotations += 1
            per_class[class_names[ann["category_id"] - 1]] += 1
    return {
        "images": len(records),
        "annotations": annotations,
        "images_per_split": dict(sorted(per_split.items())),
        "annotations_per_class": {n: per_class.get(n, 0) for n in class_names},
    }


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically, indented for diffing."""
    write_json(out_dir / "manifest.json", manifest, indent=2)


def write_dataset_card(out_dir: Path, manifest: dict[str, Any]) -> None:
    """Write ``DATASET_CARD.md``: what this data is, that it is synthetic, how it was made, its limits."""
    sc = manifest["scenario"]
    run = manifest["run"]
    counts = manifest["counts"]
    classes = ", ".join(f"{c['id']}: {c['name']}" for c in manifest["classes"])
    per_class = "\n".join(f"| {k} | {v} |" for k, v in counts["annotations_per_class"].items())
    text = f"""# Dataset card: {sc["name"]}

**This dataset is synthetic.** Every image was rendered by simgen {manifest["simgen_version"]}
from a physics simulation (pybullet); no real sensor captured it. Every label was computed from the
simulator's ground truth (segmentation buffer and body poses), not drawn by people.

## What it shows
{sc.get("description") or "(no description in the scenario)"}

## How it was generated
- Scenario: `{sc["path"]}` (sha256 `{sc["sha256"]}`)
- Master seed: {run["seed"]}; episodes: {run["episodes"]}; frames per episode: {run["frames"]}
- Renderer: {run["renderer"]}; formats: {", ".join(run["formats"])}
- Episode seeds and every sampled parameter are listed per episode in `manifest.json`.
  Rerunning the same scenario with the same seed reproduces the annotations byte for byte.

## Contents
- Images: {counts["images"]} ({", ".join(f"{k}: {v}" for k, v in counts["images_per_split"].items())})
- Annotations: {counts["annotations"]}
- Classes (category id: name): {classes}

| class | annotations |
|---|---|
{per_class}

## Labels
Boxes are tight boxes of the *visible* mask, in pixels (COCO `[x, y, w, h]`). Masks are COCO
RLE of the visible pixels. Objects with fewer than the scenario's `min_visible_pixels` visible
pixels (or a visible share below `min_visibility`) are not annotated, or are kept as crowd /
ignore regions (`iscrowd: 1`, KITTI `DontCare`) when `ignore_regions` is set. With the amodal
pass on, each object is also rendered alone: amodal boxes and masks, visibility (visible /
amodal pixels) and KITTI occlusion levels come from that. 3D boxes (camera and world frame),
6D poses (OpenCV camera axes) and keypoints of articulated bodies come from the simulator's
poses and the objects' geometry. Class ids are the scenario's class positions in every format
(COCO/BOP from 1, YOLO from 0). Splits are by whole episode, so near-duplicate frames never
straddle splits.

## Known limits
- Rendering is rasterised (pybullet TinyRenderer or OpenGL through EGL): simple lighting, no
  global illumination, no motion blur; the EGL renderer ignores shadows and light colour.
- Materials are flat colours unless the assets carry textures; expect a domain gap to real
  cameras. Mix with real data or use domain randomization before deployment.
- Physics is rigid-body (Bullet) with a fixed time step; deformables are not modelled.
"""
    text += _failures_section(manifest.get("failures", []))
    write_text(out_dir / "DATASET_CARD.md", text)


def _failures_section(failures: list[dict[str, Any]]) -> str:
    """Card section naming the episodes that failed every attempt (empty when none did)."""
    if not failures:
        return ""
    rows = "\n".join(f"| {f['index']} | {f['seed']} | {f['error']} |" for f in failures)
    return f"""
## Missing episodes
{len(failures)} episode(s) failed on every attempt and are not in this dataset; `manifest.json`
lists them under `failures`, with a traceback file each. `simgen render ... --resume` retries them.

| episode | seed | error |
|---|---|---|
{rows}
"""
