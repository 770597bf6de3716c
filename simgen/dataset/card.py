"""Known gaps to reality on the dataset card, from ``simgen compare DIR --reference ... --update-card``.

The card is regenerated from ``manifest.json`` (as the render wrote it) with two more sections:
the features ``compare`` flagged, with their distances, and size-range flags (COCO's small /
medium / large area buckets of the synthetic boxes against the reference's). ``manifest.json`` is
left untouched, so identical runs still have identical manifests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.dataset.reader import Dataset
from simgen.errors import SimgenError

#: COCO's area buckets (pixels): small < 32^2 <= medium < 96^2 <= large.
SIZE_BUCKETS = {"small": (0.0, 32.0**2), "medium": (32.0**2, 96.0**2), "large": (96.0**2, float("inf"))}
SIZE_FLAG_RATIO = 0.5  # a bucket with less than half the reference's share is flagged


def size_shares(ds: Dataset) -> dict[str, float]:
    """Share of non-crowd boxes per COCO area bucket (box w x h, pixels)."""
    areas = np.array([a.bbox[2] * a.bbox[3] for a in ds.annotations if not a.iscrowd], dtype=float)
    if areas.size == 0:
        return dict.fromkeys(SIZE_BUCKETS, 0.0)
    return {k: float(((areas >= lo) & (areas < hi)).mean()) for k, (lo, hi) in SIZE_BUCKETS.items()}


def gap_sections(ours: Dataset, ref: Dataset, result: dict[str, Any]) -> list[str]:
    """Markdown sections 'Known gaps to reality' and 'Size-range flags' for the card."""
    lines = ["", "## Known gaps to reality", f"Compared with `{result['reference']}` by `simgen compare`."]
    flagged = result["most_different"]
    if not flagged:
        lines.append("- no feature over the thresholds (KL 0.5 nats, Wasserstein 0.5 reference sd)")
    for name in flagged:
        f = result["features"].get(name)
        if f is not None:
            lines.append(
                f"- `{name}`: mean {f['mean']:.3g} here, {f['mean_reference']:.3g} in the reference; "
                f"KL {f['kl']:.3f} nats, Wasserstein {f['wasserstein']:.3g} ({f['wasserstein_rel']:.2f} reference sd)"
            )
        elif name == "classes":
            lines.append(f"- class frequencies: KL {result['classes']['kl']:.3f} nats")
        else:
            lines.append(f"- `{name}` histogram: KL {result['images']['colour_kl'][name[-1]]:.3f} nats")
    if result["classes"]["reference_only"]:
        lines.append(f"- reference classes never generated: {', '.join(result['classes']['reference_only'])}")
    ours_s, ref_s = size_shares(ours), size_shares(ref)
    lines += ["", "## Size-range flags", "| box area | here | reference | |", "|---|---|---|---|"]
    for k in SIZE_BUCKETS:
        low = ref_s[k] > 0 and ours_s[k] < SIZE_FLAG_RATIO * ref_s[k]
        flag = "under-represented" if low else ""
        lines.append(f"| {k} | {100 * ours_s[k]:.1f} % | {100 * ref_s[k]:.1f} % | {flag} |")
    return ["\n".join(lines) + "\n"]


def update_card(ours: Dataset, ref: Dataset, result: dict[str, Any]) -> None:
    """Rewrite ``DATASET_CARD.md`` of a simgen dataset with the comparison's gaps."""
    from simgen.export.manifest import write_dataset_card

    if ours.manifest is None or not ours.root.is_dir():
        raise SimgenError(
            f"{ours.root}: --update-card needs a simgen dataset folder with manifest.json",
            hint="run compare without --update-card on plain COCO data",
        )
    write_dataset_card(ours.root, ours.manifest, extra_sections=gap_sections(ours, ref, result))


__all__ = ["SIZE_BUCKETS", "gap_sections", "size_shares", "update_card"]
