"""Target shares: what a dataset achieved against the ``targets:`` its scenario stated.

A scenario may state ``targets: {classes: {defect: 0.2}, variants: {night: 0.3}}``: the share of
annotations per class, and of episodes per variant. This module reads a finished dataset (the
targets from its manifest's resolved scenario) and reports achieved against target, flagging
shares under target by more than the tolerance.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from simgen.dataset.reader import Dataset

DEFAULT_TOLERANCE = 0.05  # absolute share a target may be missed by before it is flagged


def scenario_targets(ds: Dataset) -> dict[str, Any] | None:
    """The ``targets`` block of the scenario recorded in the dataset's manifest, or None."""
    if not ds.manifest:
        return None
    config = (ds.manifest.get("scenario") or {}).get("config") or {}
    targets = config.get("targets")
    return targets if targets else None


def achieved_vs_target(ds: Dataset, targets: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Per targeted class/variant: target share, achieved share, and ``under`` when short by > tolerance."""
    targets = targets if targets is not None else scenario_targets(ds)
    if not targets:
        return None
    tol = float(targets.get("tolerance") or DEFAULT_TOLERANCE)
    out: dict[str, Any] = {"tolerance": tol}
    if targets.get("classes"):
        per_class = Counter(a.category for a in ds.annotations if not a.iscrowd)
        total = sum(per_class.values()) or 1
        out["classes"] = {
            name: _row(float(share), per_class.get(name, 0) / total, tol) for name, share in targets["classes"].items()
        }
    if targets.get("variants"):
        episodes: dict[int, str | None] = {}
        for ep in (ds.manifest or {}).get("episodes") or []:
            episodes[int(ep["index"])] = ep.get("variant")
        per_variant = Counter(episodes.values())
        total = len(episodes) or 1
        out["variants"] = {
            name: _row(float(share), per_variant.get(name, 0) / total, tol)
            for name, share in targets["variants"].items()
        }
    return out


def _row(target: float, achieved: float, tol: float) -> dict[str, Any]:
    return {"target": target, "achieved": achieved, "under": achieved < target - tol, "off": achieved - target}


__all__ = ["DEFAULT_TOLERANCE", "achieved_vs_target", "scenario_targets"]
