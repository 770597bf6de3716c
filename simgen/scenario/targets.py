"""Rebalancing: turn ``targets:`` shares into per-variant episode quotas.

A scenario may state the share of annotations it wants per class and the share of episodes per
variant::

    targets:
      classes: {defect: 0.2}      # 20 % of all annotations
      variants: {night: 0.3}      # 30 % of episodes
      tolerance: 0.05             # simgen stats flags shares further under target than this

Variants are what can change the class mix, so the plan works on them:

1. For every variant, sample :data:`PROBES` episodes (no simulation, only the sampler) and count
   the labeled objects per class, times frames and cameras: ``C[v, k]`` = expected annotations of
   class k per episode of variant v, ``N[v]`` their sum.
2. Find variant weights ``w >= 0``, ``sum(w) = 1`` by non-negative least squares on the linear
   conditions ``sum_v w_v (C[v, k] - t_k N[v]) = 0`` (class k's share equals ``t_k``, multiplied
   out), ``w_v = t_v`` for targeted variants, and a weak pull towards the scenario's own weights
   for the rest, so an untouched variant keeps its relative weight.
3. Episode quotas ``round(w_v * episodes)`` by largest remainder; the quota list is shuffled by
   a generator keyed ``targets`` from the master seed, and episode i takes the i-th entry. So the
   achieved episode shares are exact up to rounding (no sampling noise), and the class shares are
   as close as the expected object counts allow (visibility decides the rest).

Without ``targets:`` variants are drawn per episode by weight as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from simgen.errors import did_you_mean

if TYPE_CHECKING:
    from simgen.scenario.models import Scenario

PROBES = 16  # episodes sampled per variant to estimate its class counts
CLASS_ROW_WEIGHT = 1.0
VARIANT_ROW_WEIGHT = 10.0
PRIOR_WEIGHT = 0.001  # pull towards the scenario's own weights, only decides what the targets leave open
SUM_WEIGHT = 1000.0


def check_targets(scenario: Scenario, add: Callable[..., None]) -> None:
    """Located errors for targets naming unknown classes/variants or asking for more than 100 %."""
    t = scenario.targets
    if t is None:
        return
    names = scenario.class_names
    for cls in t.classes:
        if cls not in names:
            add(("targets", "classes", cls), f"class '{cls}' is not in this scenario", did_you_mean(cls, names))
    variants = [v.name for v in scenario.variants]
    for name in t.variants:
        if name not in variants:
            add(
                ("targets", "variants", name),
                f"variant '{name}' is not in this scenario",
                did_you_mean(name, variants) or ("add a 'variants:' block" if not variants else None),
            )
    for kind, shares in (("classes", t.classes), ("variants", t.variants)):
        if sum(shares.values()) > 1 + 1e-9:
            add(("targets", kind), f"target shares add up to {sum(shares.values()):g}, more than 1")
    if (t.classes or t.variants) and len(scenario.variants) < 2:
        add(
            ("targets",),
            "targets are reached by giving episodes to variants, and this scenario has fewer than two",
            "add 'variants:' that change the class mix, e.g. one that sets a rare class's count",
        )


def class_counts(scenario: Scenario, master_seed: int, n_episodes: int) -> tuple[np.ndarray, list[str]]:
    """(V, K) expected annotations per episode of each variant and class (labeled objects x frames x cameras)."""
    from simgen.scenario.sampling import _sample_as

    names = list(scenario.class_names)
    ignored = set(scenario.labels.ignore_classes)
    counts = np.zeros((len(scenario.variants), len(names)))
    for v in range(len(scenario.variants)):
        for probe in range(PROBES):
            spec = _sample_as(scenario, probe, n_episodes, master_seed, v, None)
            per_frame = spec.frames * max(1, len(spec.cameras))
            for obj in spec.objects:
                if obj.spawn and obj.label != 0 and obj.class_name not in ignored:
                    counts[v, names.index(obj.class_name)] += per_frame
    return counts / PROBES, names


def variant_weights(scenario: Scenario, master_seed: int, n_episodes: int) -> np.ndarray:
    """(V,) weights, summing to 1, that reach the targets as closely as the variants allow."""
    from scipy.optimize import nnls

    t = scenario.targets
    assert t is not None
    names_v = [v.name for v in scenario.variants]
    prior = np.array([v.weight for v in scenario.variants], dtype=float)
    prior = prior / prior.sum() if prior.sum() > 0 else np.full(len(prior), 1 / len(prior))
    rows, rhs = [], []
    if t.classes:
        counts, names = class_counts(scenario, master_seed, n_episodes)
        total = counts.sum(axis=1)
        scale = max(float(total.max()), 1e-9)
        for cls, share in t.classes.items():
            rows.append(CLASS_ROW_WEIGHT * (counts[:, names.index(cls)] - share * total) / scale)
            rhs.append(0.0)
    for name, share in t.variants.items():
        row = np.zeros(len(names_v))
        row[names_v.index(name)] = VARIANT_ROW_WEIGHT
        rows.append(row)
        rhs.append(VARIANT_ROW_WEIGHT * share)
    for i in range(len(names_v)):
        if names_v[i] not in t.variants:
            row = np.zeros(len(names_v))
            row[i] = PRIOR_WEIGHT
            # untargeted variants share what targeted ones leave, in their own proportions
            free = 1 - sum(t.variants.values())
            rest = prior[[j for j, n in enumerate(names_v) if n not in t.variants]].sum()
            rows.append(row)
            rhs.append(PRIOR_WEIGHT * (free * prior[i] / rest if rest > 0 else 0.0))
    rows.append(np.full(len(names_v), SUM_WEIGHT))
    rhs.append(SUM_WEIGHT)
    w, _ = nnls(np.array(rows), np.array(rhs))
    return w / w.sum()


def quotas(weights: np.ndarray, n_episodes: int) -> list[int]:
    """Episodes per variant: ``weights * n_episodes`` rounded by largest remainder (sums to n_episodes)."""
    raw = np.asarray(weights, dtype=float) * n_episodes
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    for i in order[: n_episodes - int(base.sum())]:
        base[i] += 1
    return [int(b) for b in base]


def plan(scenario: Scenario, master_seed: int, n_episodes: int) -> dict[str, Any]:
    """Weights, quotas and the per-episode variant order for a run (cached on the scenario)."""
    cache = scenario._language.setdefault("targets_plan", {})
    key = (master_seed, n_episodes)
    if key not in cache:
        w = variant_weights(scenario, master_seed, n_episodes)
        q = quotas(w, n_episodes)
        order = np.repeat(np.arange(len(q)), q)
        rng = np.random.default_rng(np.random.SeedSequence(entropy=master_seed, spawn_key=(_TARGETS_KEY,)))
        cache[key] = {"weights": w.tolist(), "quotas": q, "order": rng.permutation(order).tolist()}
    return cache[key]


_TARGETS_KEY = int.from_bytes(b"targets", "little")  # spawn key of the quota shuffle's generator


def planned_variant(scenario: Scenario, master_seed: int, index: int, n_episodes: int) -> int:
    """The variant episode ``index`` takes under the targets' quota plan."""
    order = plan(scenario, master_seed, n_episodes)["order"]
    return int(order[index % len(order)])


__all__ = ["check_targets", "class_counts", "plan", "planned_variant", "quotas", "variant_weights"]
