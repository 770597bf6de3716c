"""Start and stop triggers evaluated on the import-time kinematic state.

A trigger is condition groups OR-ed, each group's conditions AND-ed. Each condition keeps its
last value for edges (rising, falling) and the time it first fired for ``delay``. Conditions this
module cannot evaluate are reported once and never hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from simgen.interop.openscenario.positions import Unsupported, num, resolve
from simgen.interop.xmlread import Node

if TYPE_CHECKING:
    from simgen.interop.openscenario.agents import Agent
    from simgen.interop.openscenario.storyboard import Runner

RULES: dict[str, Callable[[float, float], bool]] = {
    "greaterThan": lambda a, b: a > b,
    "lessThan": lambda a, b: a < b,
    "equalTo": lambda a, b: abs(a - b) <= 1e-3 * max(1.0, abs(b)),
    "greaterOrEqual": lambda a, b: a >= b,
    "lessOrEqual": lambda a, b: a <= b,
    "notEqualTo": lambda a, b: abs(a - b) > 1e-3 * max(1.0, abs(b)),
}


def compare(node: Node, value: float, runner: Runner) -> bool:
    """``value`` against the condition's ``value`` by its ``rule`` (NaN never holds)."""
    if math.isnan(value):
        return False
    rule = node.attrib.get("rule", "greaterThan")
    return RULES.get(rule, RULES["greaterThan"])(value, num(node, "value", runner.scope))


def _longitudinal(a: Agent, b: Agent) -> float:
    """Distance from ``a`` to ``b`` along ``a``'s heading (negative when ``b`` is behind)."""
    pa, h = a.pose()
    pb, _ = b.pose()
    return float((pb[0] - pa[0]) * math.cos(h) + (pb[1] - pa[1]) * math.sin(h))


def _half(a: Agent) -> float:
    return a.entity.size[0] / 2


def _distance(a: Agent, b: Agent, kind: str, freespace: bool) -> float:
    pa, ha = a.center()
    pb, _ = b.center()
    if kind in ("longitudinal",):
        d = abs((pb[0] - pa[0]) * math.cos(ha) + (pb[1] - pa[1]) * math.sin(ha))
        return max(0.0, d - _half(a) - _half(b)) if freespace else d
    if kind == "lateral":
        d = abs(-(pb[0] - pa[0]) * math.sin(ha) + (pb[1] - pa[1]) * math.cos(ha))
        return max(0.0, d - a.entity.size[1] / 2 - b.entity.size[1] / 2) if freespace else d
    d = float(np.linalg.norm(pb[:2] - pa[:2]))
    return max(0.0, d - _half(a) - _half(b)) if freespace else d


def _free(node: Node, runner: Runner) -> bool:
    return runner.scope.resolve(node.attrib.get("freespace", "false")).lower() == "true"


def _headway(node: Node, ent: Agent, runner: Runner) -> float:
    other = runner.agent(node, node.attrib.get("entityRef", ""))
    d = _longitudinal(ent, other)
    if d <= 0:
        return float("nan")
    if _free(node, runner):
        d = max(0.0, d - _half(ent) - _half(other) + other.entity.center[0] - ent.entity.center[0])
    return d / ent.v if ent.v > 1e-6 else float("nan")


def _ttc(node: Node, ent: Agent, runner: Runner) -> float:
    tgt = node.find("TimeToCollisionConditionTarget")
    ref = tgt.find("EntityRef") if tgt is not None else None
    if ref is None:
        raise Unsupported(node, "only entity targets are mapped for TimeToCollisionCondition")
    other = runner.agent(ref, ref.attrib.get("entityRef", ""))
    d = _longitudinal(ent, other)
    if _free(node, runner):
        d = d - _half(ent) - _half(other)
    closing = ent.v - other.v
    return d / closing if d > 0 and closing > 1e-6 else float("nan")


def _entity_value(node: Node, ent: Agent, runner: Runner) -> bool:
    tag = node.tag
    if tag == "ReachPositionCondition":
        p = resolve(runner.ctx, node.find("Position") or node, runner.scope)
        return float(np.hypot(ent.pose()[0][0] - p.x, ent.pose()[0][1] - p.y)) <= num(node, "tolerance", runner.scope)
    if tag == "DistanceCondition":
        p = resolve(runner.ctx, node.find("Position") or node, runner.scope)
        return compare(node, float(np.hypot(ent.pose()[0][0] - p.x, ent.pose()[0][1] - p.y)), runner)
    if tag == "RelativeDistanceCondition":
        other = runner.agent(node, node.attrib.get("entityRef", ""))
        kind = node.attrib.get("relativeDistanceType", "cartesianDistance")
        return compare(node, _distance(ent, other, kind, _free(node, runner)), runner)
    if tag == "TimeHeadwayCondition":
        return compare(node, _headway(node, ent, runner), runner)
    if tag == "TimeToCollisionCondition":
        return compare(node, _ttc(node, ent, runner), runner)
    if tag == "TraveledDistanceCondition":
        return ent.odometer >= num(node, "value", runner.scope)
    if tag == "SpeedCondition":
        return compare(node, ent.v, runner)
    if tag == "RelativeSpeedCondition":
        return compare(node, ent.v - runner.agent(node, node.attrib.get("entityRef", "")).v, runner)
    if tag == "AccelerationCondition":
        return compare(node, ent.acc, runner)
    if tag == "StandStillCondition":
        return abs(ent.v) < 1e-6 and runner.t - ent.still_since >= num(node, "duration", runner.scope)
    raise Unsupported(node, f"<{tag}> is not evaluated at import; it never holds")


def _value(node: Node, runner: Runner) -> bool:
    tag = node.tag
    if tag == "SimulationTimeCondition":
        return compare(node, runner.t, runner)
    if tag == "StoryboardElementStateCondition":
        ref = runner.scope.resolve(node.attrib.get("storyboardElementRef", ""))
        return runner.state_is(ref, node.attrib.get("state", "completeState"))
    if tag == "ParameterCondition":
        name = node.attrib.get("parameterRef", "")
        try:
            value = float(runner.scope.resolve(f"${name}"))
        except ValueError:
            raise Unsupported(node, f"ParameterCondition on non-numeric parameter {name!r}") from None
        return compare(node, value, runner)
    raise Unsupported(node, f"<{tag}> is not evaluated at import; it never holds")


@dataclass
class Condition:
    """One ``Condition`` with its edge memory."""

    node: Node
    last: bool = False
    fired_at: float | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def raw(self, runner: Runner) -> bool:
        """The condition's value now (before edge and delay)."""
        by_value = self.node.find("ByValueCondition")
        if by_value is not None and by_value.children:
            return _value(by_value.children[0], runner)
        by_entity = self.node.find("ByEntityCondition")
        if by_entity is None:
            raise Unsupported(self.node, "condition has neither ByValueCondition nor ByEntityCondition")
        trig = by_entity.find("TriggeringEntities")
        ec = by_entity.find("EntityCondition")
        if trig is None or ec is None or not ec.children:
            raise Unsupported(by_entity, "ByEntityCondition needs TriggeringEntities and an EntityCondition")
        ents = [runner.agent(r, r.attrib.get("entityRef", "")) for r in trig.findall("EntityRef")]
        values = [_entity_value(ec.children[0], e, runner) for e in ents]
        rule = trig.attrib.get("triggeringEntitiesRule", "any")
        return bool(values) and (all(values) if rule == "all" else any(values))

    def holds(self, runner: Runner) -> bool:
        """Edge- and delay-aware value at the current time."""
        if self.fired_at is None:
            try:
                now = self.raw(runner)
            except Unsupported as exc:
                runner.skip(exc.node, str(exc))
                now = False
            edge = self.node.attrib.get("conditionEdge", "none")
            hit = {
                "rising": now and not self.last,
                "falling": not now and self.last,
                "risingOrFalling": now != self.last,
            }.get(edge, now)
            self.last = now
            if hit:
                self.fired_at = runner.t
            else:
                return False
        delay = num(self.node, "delay", runner.scope, 0.0)
        return runner.t >= self.fired_at + delay - 1e-9


class Trigger:
    """A ``StartTrigger``/``StopTrigger``: OR over groups of AND-ed conditions."""

    def __init__(self, node: Node | None) -> None:
        self.groups = [
            [Condition(c) for c in g.findall("Condition")] for g in (node.findall("ConditionGroup") if node else [])
        ]

    @property
    def empty(self) -> bool:
        """A trigger without conditions (the element starts with its parent)."""
        return not any(self.groups)

    def holds(self, runner: Runner) -> bool:
        """Whether any group has all its conditions holding (every condition is evaluated, for edges)."""
        result = False
        for group in self.groups:
            values = [c.holds(runner) for c in group]
            result = result or (bool(values) and all(values))
        return result
