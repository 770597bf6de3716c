"""manifest.json and DATASET_CARD.md: what was generated, from what, and how.

The manifest is byte-identical between identical runs except for ``created``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

from simgen.core.fileio import write_json, write_text

BIAS_SHARE = 0.05  # a class with a smaller share of annotations than this is flagged on the card
ASSET_LICENCES = {
    "assets": "Apache-2.0, simgen's own procedural assets (scripts/make_assets.py)",
    "pybullet_data": "zlib, pybullet's bundled data (some models there come from third parties; see bullet3)",
}


def build_manifest(
    *,
    version: str,
    scenario: dict[str, Any],
    run: dict[str, Any],
    episodes: list[dict[str, Any]],
    class_names: list[str],
    counts: dict[str, Any],
    notes: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Assemble the manifest document (see DESIGN: seeds, sampled values, sensors, counts).

    ``notes``: per format, the exporter's caveats (:meth:`simgen.export.base.Exporter.notes`).
    """
    return {
        "simgen_version": version,
        "synthetic": True,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "scenario": scenario,
        "run": run,
        "classes": [{"id": i + 1, "name": n} for i, n in enumerate(class_names)],
        "counts": counts,
        "episodes": episodes,
        **({"notes": notes} if notes else {}),
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


def write_dataset_card(out_dir: Path, manifest: dict[str, Any], extra_sections: list[str] | None = None) -> None:
    """Write ``DATASET_CARD.md``: what this data is, that it is synthetic, how it was made, its limits."""
    sc = manifest["scenario"]
    run = manifest["run"]
    counts = manifest["counts"]
    classes = ", ".join(f"{c['id']}: {c['name']}" for c in manifest["classes"])
    per_class = "\n".join(f"| {k} | {v} |" for k, v in counts["annotations_per_class"].items())
    if run["renderer"] in ("cycles", "eevee", "workbench"):
        rendering = (
            f"- RGB rendered by Blender ({run['renderer']}) from the simulated poses; labels, depth and ids\n"
            "  come from pybullet's raster pass of the same geometry (pixel-aligned, see docs/photoreal.md)."
        )
    else:
        rendering = (
            "- Rendering is rasterised (pybullet TinyRenderer or OpenGL through EGL): simple lighting, no\n"
            "  global illumination, no motion blur; the EGL renderer ignores shadows and light colour."
        )
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
pass on, each object's whole silhouette is drawn from its own posed geometry: amodal boxes and
masks, visibility (visible / amodal pixels) and KITTI occlusion levels come from that. 3D boxes
(camera and world frame), 6D poses (OpenCV camera axes) and keypoints of articulated bodies come
from the simulator's poses and the objects' geometry. Class ids are the scenario's class positions in every format
(COCO/BOP from 1, YOLO from 0). Splits are by whole episode, so near-duplicate frames never
straddle splits.

## Known limits
{rendering}
- Materials are flat colours or procedural textures (asset library, `randomize:` entries);
  expect a domain gap to real cameras. Compare with real data (`simgen compare`) and mix it in
  (`simgen mix`) before deployment.
- Physics is rigid-body (Bullet) with a fixed time step; deformables are not modelled.
"""
    text += _format_notes(manifest) + _failures_section(manifest.get("failures", []))
    text += card_details(manifest) + "".join(extra_sections or ())
    write_text(out_dir / "DATASET_CARD.md", text)


def _format_notes(manifest: dict[str, Any]) -> str:
    """The card's "Format notes" section: each exporter's caveats (empty when none)."""
    notes = [n for per_format in manifest.get("notes", {}).values() for n in per_format]
    if not notes:
        return ""
    return "\n## Format notes\n" + "".join(f"- {n}\n" for n in notes)


def sampled_ranges(manifest: dict[str, Any]) -> dict[str, list[float]]:
    """Numeric values drawn per scenario key path, instances of one object folded together.

    ``objects[0][1].size[0]`` (object 0, instance 1) joins ``objects[0].size[0]``; values come from
    ``episodes[].sampled``.
    """
    import re

    out: dict[str, list[float]] = {}
    for ep in manifest.get("episodes") or []:
        for key, value in (ep.get("sampled") or {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            out.setdefault(re.sub(r"^(objects\[\d+\])\[\d+\]", r"\1", key), []).append(float(value))
    return dict(sorted(out.items()))


def bias_flags(manifest: dict[str, Any]) -> list[str]:
    """Classes and variants under their ``targets:`` share (beyond tolerance) or classes under :data:`BIAS_SHARE`."""
    flags = []
    per_class = (manifest.get("counts") or {}).get("annotations_per_class") or {}
    total = sum(per_class.values())
    targets = ((manifest.get("scenario") or {}).get("config") or {}).get("targets") or {}
    tol = float(targets.get("tolerance") or 0.05)
    for name, n in per_class.items():
        share = n / total if total else 0.0
        target = (targets.get("classes") or {}).get(name)
        if target is not None and share < target - tol:
            flags.append(f"class '{name}': {100 * share:.1f} % of annotations, under its target {100 * target:.1f} %")
        elif target is None and share < BIAS_SHARE:
            flags.append(f"class '{name}': {100 * share:.1f} % of annotations, under {100 * BIAS_SHARE:.0f} %")
    episodes = manifest.get("episodes") or []
    for name, target in (targets.get("variants") or {}).items():
        share = sum(1 for e in episodes if e.get("variant") == name) / max(1, len(episodes))
        if share < target - tol:
            flags.append(f"variant '{name}': {100 * share:.1f} % of episodes, under its target {100 * target:.1f} %")
    return flags


def card_details(manifest: dict[str, Any]) -> str:
    """Card sections: machine-readable facts, scenario hashes, class balance and bias flags, ranges, licences."""
    sc = manifest["scenario"]
    lines = ["", "## Facts", "```yaml", "synthetic: true", f"generator: simgen {manifest['simgen_version']}"]
    lines += [f"scenario: {sc.get('name')}", f"scenario_sha256: {sc.get('sha256')}", "```", ""]
    lines += ["## Purpose", sc.get("description") or "(the scenario states no purpose: add a `description:`)", ""]
    lines += ["## Scenarios and their hashes", "| file | sha256 |", "|---|---|"]
    lines.append(f"| `{sc.get('path')}` | `{sc.get('sha256')}` |")
    for base in sc.get("extends") or []:
        if isinstance(base, dict):
            lines.append(f"| `{base.get('path')}` (extended) | `{base.get('sha256')}` |")
    per_class = (manifest.get("counts") or {}).get("annotations_per_class") or {}
    total = sum(per_class.values())
    lines += ["", "## Class balance", "| class | annotations | share |", "|---|---|---|"]
    lines += [f"| {k} | {v} | {100 * v / total if total else 0:.1f} % |" for k, v in per_class.items()]
    flags = bias_flags(manifest)
    lines += ["", "## Bias flags"]
    lines += [f"- {f}" for f in flags] or [f"- none (every class at least {100 * BIAS_SHARE:.0f} % or at its target)"]
    ranges = sampled_ranges(manifest)
    lines += ["", "## Randomization ranges (values actually drawn)", "| key path | draws | min | max |"]
    lines.append("|---|---|---|---|")
    lines += [f"| `{k}` | {len(v)} | {min(v):.4g} | {max(v):.4g} |" for k, v in ranges.items()] or ["| (none) | | | |"]
    lines += requirement_lines(manifest.get("episodes") or [])
    used = sorted(
        {
            o["shape"]["path"]
            for e in manifest.get("episodes") or []
            for o in e.get("objects") or []
            if isinstance(o.get("shape"), dict) and isinstance(o["shape"].get("path"), str)
        }
    )
    lines += ["", "## Assets and their licences"]
    for path in used:
        prefix = path.split(":", 1)[0] if ":" in path else ""
        licence = ASSET_LICENCES.get(prefix, "supplied with the scenario; licence unknown to simgen")
        lines.append(f"- `{path}`: {licence}")
    if not used:
        lines.append("- primitives only (boxes, spheres, cylinders, capsules): no third-party assets")
    return "\n".join(lines) + "\n"


def requirement_lines(episodes: list[dict[str, Any]]) -> list[str]:
    """Card section of ``require:`` conditions: each one's acceptance over every attempt checked (none: empty)."""
    recs = [e["requirements"] for e in episodes if e.get("requirements")]
    if not recs:
        return []
    attempts = sum(r["attempts"] for r in recs)
    lines = [
        "",
        "## Requirements",
        f"Every episode satisfies the scenario's `require:` conditions, drawn by rejection: {len(recs)} episodes "
        f"took {attempts} attempts ({100 * len(recs) / attempts:.1f} % accepted). Per condition, the share of "
        "the attempts that checked it where it held (ground-truth conditions are checked only when every "
        "geometric one held):",
        "",
        "| condition | written at | checked | held | acceptance |",
        "|---|---|---|---|---|",
    ]
    totals: dict[tuple[str, str], list[int]] = {}
    for r in recs:
        for c in r["conditions"]:
            t = totals.setdefault((c["condition"], c["at"]), [0, 0])
            t[0] += c["checked"]
            t[1] += c["failed"]
    for (text, at), (checked, failed) in totals.items():
        rate = f"{100 * (checked - failed) / checked:.1f} %" if checked else "n/a"
        lines.append(f"| `{text}` | `{at}` | {checked} | {checked - failed} | {rate} |")
    return lines


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
