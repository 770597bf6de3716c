"""``ParameterValueDistribution`` files: parameter combinations -> simgen variants.

Deterministic distributions (value sets, distribution sets, ranges with a step) give their
values; stochastic ones (uniform, normal, log-normal, histograms) are discretised into
``STOCHASTIC_POINTS`` equally likely quantiles. Every combination is imported on its own (the
storyboard is re-run with those values) and becomes one equally weighted variant, so an
imported case is a family of episodes.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

from scipy.stats import norm

from simgen.interop.openscenario.params import Scope
from simgen.interop.openscenario.positions import Unsupported, num
from simgen.interop.xmlread import Node

STOCHASTIC_POINTS = 5
MAX_COMBINATIONS = 32


def _range(node: Node | None) -> tuple[float, float] | None:
    if node is None:
        return None
    scope = Scope()
    return num(node, "lowerLimit", scope), num(node, "upperLimit", scope)


def _single(node: Node) -> list[str]:
    """Values of one single-parameter distribution."""
    scope = Scope()
    body = node.children[0] if node.children else None
    if body is None:
        raise Unsupported(node, "empty distribution")
    if body.tag == "DistributionSet":
        return [e.attrib.get("value", "") for e in body.findall("Element")]
    if body.tag == "DistributionRange":
        lo, hi = _range(body.find("Range")) or (0.0, 0.0)
        step = num(body, "stepWidth", scope)
        n = int(math.floor((hi - lo) / step + 1e-9)) + 1 if step > 0 else 1
        return [repr(round(lo + k * step, 9)) for k in range(n)]
    qs = [(k + 0.5) / STOCHASTIC_POINTS for k in range(STOCHASTIC_POINTS)]
    if body.tag == "UniformDistribution":
        lo, hi = _range(body.find("Range")) or (0.0, 1.0)
        return [repr(round(lo + q * (hi - lo), 6)) for q in qs]
    if body.tag in ("NormalDistribution", "LogNormalDistribution"):
        mean = (
            num(body, "expectedValue", scope, 0.0) if body.tag == "NormalDistribution" else num(body, "mu", scope, 0.0)
        )
        sd = (
            math.sqrt(num(body, "variance", scope, 1.0))
            if body.tag == "NormalDistribution"
            else num(body, "sigma", scope, 1.0)
        )
        lo, hi = _range(body.find("Range")) or (-math.inf, math.inf)
        vals = [mean + sd * float(norm.ppf(q)) for q in qs]
        if body.tag == "LogNormalDistribution":
            vals = [math.exp(v) for v in vals]
        return [repr(round(min(max(v, lo), hi), 6)) for v in vals]
    raise Unsupported(body, f"<{body.tag}> distributions are not mapped")


def combinations(dist: Node, skipped: list[str]) -> list[dict[str, str]]:
    """Every parameter assignment the distribution describes (capped at ``MAX_COMBINATIONS``)."""
    axes: list[list[dict[str, str]]] = []
    for group in dist.iter():
        try:
            if group.tag in ("DeterministicSingleParameterDistribution", "StochasticDistribution"):
                name = group.attrib.get("parameterName", "")
                axes.append([{name: v} for v in _single(group)])
            elif group.tag == "ValueSetDistribution":
                sets = [
                    {
                        a.attrib.get("parameterRef", ""): a.attrib.get("value", "")
                        for a in s.findall("ParameterAssignment")
                    }
                    for s in group.findall("ParameterValueSet")
                ]
                if sets:
                    axes.append(sets)
        except Unsupported as exc:
            skipped.append(f"{exc.node.where}: {exc.node.path}: {exc}")
    combos = []
    for parts in itertools.product(*axes) if axes else [()]:
        merged: dict[str, str] = {}
        for p in parts:
            merged.update(p)
        combos.append(merged)
    if len(combos) > MAX_COMBINATIONS:
        skipped.append(
            f"{dist.where}: {dist.path}: {len(combos)} parameter combinations; "
            f"the first {MAX_COMBINATIONS} are imported"
        )
        combos = combos[:MAX_COMBINATIONS]
    return combos


def scenario_file(dist: Node, base: Path) -> Path:
    """The scenario file a distribution applies to, relative to the distribution file."""
    sf = dist.find("ScenarioFile")
    if sf is None:
        raise Unsupported(dist, "ParameterValueDistribution without a ScenarioFile")
    return (base / sf.attrib.get("filepath", "")).resolve()
