"""The storyboard, run at import time: Init, then acts and events started by their triggers.

Every ``dt`` the runner starts the acts and events whose triggers hold, applies their private
actions to the maneuver group's actors, advances every agent, and records poses. Elements end
when their actions do (speed reached, lane change done, trajectory end reached, teleport at
once). The stop trigger, or ``max_time``, ends the run. Elements and actions it cannot map are
reported once each (element path and what was skipped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simgen.interop.opendrive.network import LanePath
from simgen.interop.openscenario.agents import STRAIGHT, Agent, Ramp, Sync
from simgen.interop.openscenario.conditions import Trigger
from simgen.interop.openscenario.params import ParamError, Scope
from simgen.interop.openscenario.positions import Context, Pose, Unsupported, num, resolve, resolve_child, route_path
from simgen.interop.xmlread import Node


@dataclass
class Element:
    """A story, act, maneuver group, maneuver or event: its trigger, children and state times."""

    kind: str
    name: str
    node: Node
    scope: Scope
    trigger: Trigger
    children: list[Element] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    started: float | None = None
    ended: float | None = None
    pending: list[tuple[Node, str]] = field(default_factory=list)  # (action, actor) still running


class Runner:
    """Runs one storyboard on agents; collects the skipped-element report."""

    def __init__(self, ctx: Context, scope: Scope, dt: float, skipped: list[str]) -> None:
        self.ctx, self.scope, self.dt, self.t = ctx, scope, dt, 0.0
        self.skipped = skipped
        self._seen: set[tuple[str, str]] = set()
        self.elements: list[Element] = []
        self.by_name: dict[str, Element] = {}

    # --- reporting and look-ups ---------------------------------------------------------------

    def skip(self, node: Node, what: str) -> None:
        """Report ``node`` once: ``file:line:col: element path: what``."""
        key = (node.where, what)
        if key not in self._seen:
            self._seen.add(key)
            self.skipped.append(f"{node.where}: {node.path}: {what}")

    def agent(self, node: Node, ref: str) -> Agent:
        """The agent an ``entityRef`` names."""
        name = self.scope.resolve(ref)
        if name not in self.ctx.agents:
            raise Unsupported(node, f"entityRef {name!r} names no entity")
        return self.ctx.agents[name]

    def state_is(self, ref: str, state: str) -> bool:
        """StoryboardElementStateCondition on element (or action) ``ref``."""
        el = self.by_name.get(ref)
        if el is None:
            return False
        if state in ("startTransition", "runningState"):
            return el.started is not None and (state == "startTransition" or el.ended is None)
        if state in ("endTransition", "completeState", "stopTransition"):
            return el.ended is not None
        if state == "standbyState":
            return el.started is None
        return False

    # --- building -----------------------------------------------------------------------------

    def build(self, storyboard: Node) -> tuple[list[Element], Trigger]:
        """The element tree of every Story, and the storyboard's stop trigger."""
        stories = []
        for story in storyboard.findall("Story"):
            sc = self.scope.child(story.find("ParameterDeclarations"))
            st = self._element("story", story, sc, None)
            for act in story.findall("Act"):
                a = self._element("act", act, sc, act.find("StartTrigger"))
                st.children.append(a)
                for mg in act.findall("ManeuverGroup"):
                    g = self._element("maneuverGroup", mg, sc, None)
                    actors = mg.find("Actors")
                    g.actors = (
                        [sc.resolve(r.attrib.get("entityRef", "")) for r in actors.findall("EntityRef")]
                        if actors
                        else []
                    )
                    a.children.append(g)
                    for man in mg.findall("Maneuver") + mg.findall("CatalogReference"):
                        if man.tag == "CatalogReference":
                            self.skip(man, "maneuver catalog references are not mapped")
                            continue
                        msc = sc.child(man.find("ParameterDeclarations"))
                        m = self._element("maneuver", man, msc, None)
                        g.children.append(m)
                        for ev in man.findall("Event"):
                            m.children.append(self._element("event", ev, msc, ev.find("StartTrigger")))
            stories.append(st)
        stop = Trigger(storyboard.find("StopTrigger"))
        return stories, stop

    def _element(self, kind: str, node: Node, scope: Scope, trig: Node | None) -> Element:
        el = Element(kind, node.attrib.get("name", ""), node, scope, Trigger(trig))
        self.elements.append(el)
        self.by_name.setdefault(el.name, el)
        for act in node.findall("Action") if kind == "event" else []:
            self.by_name.setdefault(
                act.attrib.get("name", ""), Element("action", act.attrib.get("name", ""), act, scope, Trigger(None))
            )
        return el

    # --- running ------------------------------------------------------------------------------

    def tick(self, stories: list[Element]) -> None:
        """Start what may start, apply actions, and end what is finished, at the current time."""
        for story in stories:
            if story.started is None:
                story.started = self.t
            for act in story.children:
                self._act(act)
            if story.ended is None and all(a.ended is not None for a in story.children):
                story.ended = self.t

    def _act(self, act: Element) -> None:
        if act.ended is not None:
            return
        if act.started is None:
            if not (act.trigger.empty or self.holds(act)):
                return
            act.started = self.t
        for group in act.children:
            if group.started is None:
                group.started = self.t
            for man in group.children:
                if man.started is None:
                    man.started = self.t
                for ev in man.children:
                    self._event(ev, group.actors)
                if man.ended is None and all(e.ended is not None for e in man.children):
                    man.ended = self.t
            if group.ended is None and all(m.ended is not None for m in group.children):
                group.ended = self.t
        if all(g.ended is not None for g in act.children):
            act.ended = self.t

    def holds(self, el: Element) -> bool:
        """Whether ``el``'s start trigger holds, its parameters in scope."""
        old, self.scope = self.scope, el.scope
        try:
            return el.trigger.holds(self)
        finally:
            self.scope = old

    def _event(self, ev: Element, actors: list[str]) -> None:
        if ev.ended is not None:
            return
        if ev.started is None:
            if not (ev.trigger.empty or self.holds(ev)):
                return
            ev.started = self.t
            for act in ev.node.findall("Action"):
                el = self.by_name.get(act.attrib.get("name", ""))
                if el is not None and el.node is act:
                    el.started = self.t
                for actor in actors or [""]:
                    if self.apply(act, actor, ev.scope):
                        ev.pending.append((act, actor))
        ev.pending = [(a, who) for a, who in ev.pending if not self.done(a, who, ev.scope)]
        if not ev.pending:
            ev.ended = self.t
            for act in ev.node.findall("Action"):
                el = self.by_name.get(act.attrib.get("name", ""))
                if el is not None and el.node is act and el.ended is None:
                    el.ended = self.t

    def apply(self, action: Node, actor: str, scope: Scope) -> bool:
        """Apply one ``Action``/``PrivateAction`` to ``actor``; True when it keeps running."""
        old, self.scope = self.scope, scope
        try:
            private = action.find("PrivateAction") if action.tag == "Action" else action
            if private is None or not private.children:
                what = action.children[0] if action.children else action
                self.skip(what, f"<{what.tag}> is not mapped (only private actions move entities)")
                return False
            if actor not in self.ctx.agents:
                self.skip(action, f"actor {actor!r} is not an entity")
                return False
            return apply_private(self, private.children[0], self.ctx.agents[actor])
        except (Unsupported, ParamError) as exc:
            node = exc.node if isinstance(exc, Unsupported) else action
            self.skip(node, str(exc))
            return False
        finally:
            self.scope = old

    def done(self, action: Node, actor: str, scope: Scope) -> bool:
        """Whether an applied action has finished on ``actor``."""
        agent = self.ctx.agents.get(actor)
        if agent is None:
            return True
        private = action.find("PrivateAction") if action.tag == "Action" else action
        body = private.walk("LongitudinalAction/SpeedAction") if private is not None else None
        if body is not None:
            return agent.speed is None and agent.rate is None
        if private is not None and private.walk("LateralAction") is not None:
            return agent.lateral is None
        if private is not None and private.find("RoutingAction") is not None:
            return agent.s >= agent.path.length - 1e-6
        if private is not None and private.find("SynchronizeAction") is not None:
            return agent.sync is None
        return True


# --- private actions ------------------------------------------------------------------------------


def _speed_target(node: Node, runner: Runner, agent: Agent) -> float:
    target = node.find("SpeedActionTarget")
    t = target.children[0] if target is not None and target.children else None
    if t is None:
        raise Unsupported(node, "SpeedAction without a target")
    if t.tag == "AbsoluteTargetSpeed":
        return num(t, "value", runner.scope)
    ref = runner.agent(t, t.attrib.get("entityRef", ""))
    value = num(t, "value", runner.scope)
    if t.attrib.get("speedTargetValueType", "delta") == "factor":
        return ref.v * value
    return ref.v + value


def speed_action(node: Node, runner: Runner, agent: Agent) -> bool:
    """SpeedAction: step, or a ramp over a time, a distance or at a rate."""
    target = _speed_target(node, runner, agent)
    dyn = node.find("SpeedActionDynamics") or node.find("TransitionDynamics")
    kind = dyn.attrib.get("dynamicsShape", "step") if dyn is not None else "step"
    dim = dyn.attrib.get("dynamicsDimension", "time") if dyn is not None else "time"
    value = abs(num(dyn, "value", runner.scope, 0.0)) if dyn is not None else 0.0
    agent.speed, agent.rate, agent.timed = None, None, None
    if kind == "step" or value == 0:
        agent.v = target
        return False
    if dim == "rate":
        agent.rate = (target, value)
        return True
    duration = value if dim == "time" else 2 * value / max(abs(agent.v + target), 1e-6)
    agent.speed = Ramp(agent.v, target, runner.t, duration, kind)
    return True


def _lane_offset_of(agent: Agent, runner: Runner, lane: int) -> float:
    """The ``d`` that puts ``agent`` on the centre of ``lane`` (road numbering) where it is."""
    net = runner.ctx.net
    where = agent.road_coords(net)
    if where is None or net is None:
        raise Unsupported(runner_node(runner), "lane change needs the entity on the road network")
    rid, _, s, t, direction = where
    tc, _ = net.roads[rid].lane_t(lane, s)
    return agent.d + (tc - t) * direction


def runner_node(runner: Runner) -> Node:
    """A node to locate messages about the runner's current action (the storyboard root)."""
    return runner.elements[0].node if runner.elements else Node("Storyboard", {}, 0, 0, "")


def lane_change(node: Node, runner: Runner, agent: Agent) -> bool:
    """LaneChangeAction to an absolute lane or one relative to an entity's lane."""
    target = node.find("LaneChangeTarget")
    t = target.children[0] if target is not None and target.children else None
    if t is None:
        raise Unsupported(node, "LaneChangeAction without a target")
    if t.tag == "AbsoluteTargetLane":
        lane = int(num(t, "value", runner.scope))
    else:
        ref = runner.agent(t, t.attrib.get("entityRef", ""))
        where = ref.road_coords(runner.ctx.net)
        if where is None:
            raise Unsupported(t, "the reference entity is not on the road network")
        steps = int(num(t, "value", runner.scope)) * where[4]
        lane = where[1] + steps
        if where[1] * lane <= 0 and steps:
            lane += 1 if steps > 0 else -1
    try:
        d1 = _lane_offset_of(agent, runner, lane) + num(node, "targetLaneOffset", runner.scope, 0.0)
    except Unsupported:
        raise
    except Exception as exc:  # noqa: BLE001 - unknown lane: reported
        raise Unsupported(t, str(exc)) from None
    return _lateral(node.find("LaneChangeActionDynamics"), runner, agent, d1)


def _lateral(dyn: Node | None, runner: Runner, agent: Agent, d1: float) -> bool:
    kind = dyn.attrib.get("dynamicsShape", "step") if dyn is not None else "step"
    dim = dyn.attrib.get("dynamicsDimension", "time") if dyn is not None else "time"
    value = abs(num(dyn, "value", runner.scope, 0.0)) if dyn is not None else 0.0
    if kind == "step" or value == 0:
        agent.d, agent.lateral = d1, None
        return False
    duration = (
        value if dim == "time" else (value / max(agent.v, 1e-3) if dim == "distance" else abs(d1 - agent.d) / value)
    )
    agent.lateral = Ramp(agent.d, d1, runner.t, duration, kind)
    return True


def lane_offset(node: Node, runner: Runner, agent: Agent) -> bool:
    """LaneOffsetAction: absolute or relative target offset from the lane centre."""
    target = node.find("LaneOffsetTarget")
    t = target.children[0] if target is not None and target.children else None
    if t is None:
        raise Unsupported(node, "LaneOffsetAction without a target")
    value = num(t, "value", runner.scope)
    net = runner.ctx.net
    where = agent.road_coords(net)
    base = agent.d
    if where is not None and net is not None:
        rid, lane, s, tt, direction = where
        tc, _ = net.roads[rid].lane_t(lane, s)
        base = agent.d + (tc - tt) * direction
    if t.tag == "RelativeTargetLaneOffset":
        ref = runner.agent(t, t.attrib.get("entityRef", ""))
        value += ref.d
    dyn = node.find("LaneOffsetActionDynamics")
    if dyn is not None and "dynamicsDimension" not in dyn.attrib:
        dyn = Node(
            dyn.tag,
            {**dyn.attrib, "dynamicsDimension": "rate", "value": dyn.attrib.get("maxLateralAcc", "0")},
            dyn.line,
            dyn.col,
            dyn.file,
        )
    return _lateral(dyn, runner, agent, base + value)


def place(agent: Agent, pose: Pose, net_ctx: Context) -> None:
    """Teleport ``agent`` to ``pose`` and make it drive along the lane (or route, or heading) there."""
    agent.d, agent.lateral, agent.timed, agent.yaw_offset = 0.0, None, None, 0.0
    if pose.path is not None:
        agent.path, agent.s = pose.path, pose.path_s
        return
    net = net_ctx.net
    if net is not None and pose.road is not None and pose.lane:
        road = net.roads[pose.road]
        lane_dir = road.forward(pose.lane)
        road_h = float(road.reference(np.array([pose.s]))[2][0])
        ahead = math.cos(pose.h - road_h) >= 0
        direction = 1 if ahead else -1
        try:
            agent.path = net.lane_path(pose.road, pose.lane, pose.s or 0.0, STRAIGHT, direction=direction)
        except Exception:  # noqa: BLE001 - fall back to a straight line
            agent.path = None  # type: ignore[assignment]
        if agent.path is not None and agent.path.length > 0:
            agent.s = 0.0
            p, h, _ = agent.path.at(0.0)
            agent.d = float(-(pose.x - p[0]) * math.sin(h) + (pose.y - p[1]) * math.cos(h))
            agent.yaw_offset = (pose.h - h + math.pi) % (2 * math.pi) - math.pi
            del lane_dir
            return
    start = np.array([pose.x, pose.y, pose.z])
    end = start + STRAIGHT * np.array([math.cos(pose.h), math.sin(pose.h), 0.0])
    agent.path, agent.s = LanePath.from_points(np.stack([start, end]), np.array([pose.h, pose.h])), 0.0


def teleport(node: Node, runner: Runner, agent: Agent) -> bool:
    """TeleportAction: move to a position at once."""
    pos = node.find("Position")
    if pos is None:
        raise Unsupported(node, "TeleportAction without a Position")
    place(agent, resolve(runner.ctx, pos, runner.scope), runner.ctx)
    return False


def follow_trajectory(node: Node, runner: Runner, agent: Agent) -> bool:
    """FollowTrajectoryAction with a polyline: drive along its vertices (timed when a TimeReference says)."""
    traj = node.find("Trajectory") or node.walk("TrajectoryRef/Trajectory")
    if traj is None:
        raise Unsupported(node, "only inline Trajectory elements are mapped (no catalog trajectories)")
    shape = traj.find("Shape")
    line = shape.find("Polyline") if shape is not None else None
    if line is None:
        what = shape.children[0].tag if shape is not None and shape.children else "Shape"
        raise Unsupported(shape or traj, f"trajectory shape <{what}> is not mapped (polylines only)")
    scope = runner.scope.child(traj.find("ParameterDeclarations"))
    verts = line.findall("Vertex")
    poses = [resolve_child(runner.ctx, v, "Position", scope) for v in verts]
    pts = np.array([[p.x, p.y, p.z] for p in poses])
    if len(pts) < 2:
        raise Unsupported(line, "a polyline needs at least two vertices")
    agent.path = LanePath.from_points(pts)
    agent.s, agent.d, agent.lateral, agent.yaw_offset = 0.0, 0.0, None, 0.0
    timing = node.walk("TimeReference/Timing")
    if timing is not None and all("time" in v.attrib for v in verts):
        times = np.array([num(v, "time", scope) for v in verts]) * num(timing, "scale", scope, 1.0)
        times += num(timing, "offset", scope, 0.0)
        keep = np.concatenate([[True], np.linalg.norm(np.diff(pts[:, :2], axis=0), axis=1) > 1e-6])
        if timing.attrib.get("domainAbsoluteRelative", "absolute") == "relative":
            times = times + runner.t
        agent.timed_times = times[keep]
        agent.timed = (agent.path.cum, 0.0)
    return True


def synchronize(node: Node, runner: Runner, agent: Agent) -> bool:
    """SynchronizeAction: a constant speed that brings the entity to its target when the master is at his."""
    master = runner.agent(node, node.attrib.get("masterEntityRef", ""))
    mpos = resolve_child(runner.ctx, node, "TargetPositionMaster", runner.scope)
    tpos = resolve_child(runner.ctx, node, "TargetPosition", runner.scope)
    final = node.walk("FinalSpeed/AbsoluteSpeed")
    target_s = agent.path.project(np.array([tpos.x, tpos.y]))
    agent.sync = Sync(
        runner.scope.resolve(node.attrib.get("masterEntityRef", "")),
        np.array([mpos.x, mpos.y]),
        target_s,
        num(final, "value", runner.scope) if final is not None else None,
        num(node, "targetTolerance", runner.scope, 1.0),
    )
    del master
    return True


def apply_private(runner: Runner, action: Node, agent: Agent) -> bool:
    """Dispatch one private action by its element names; Unsupported for what is not mapped."""
    inner = action.children[0] if action.children else None
    tag = action.tag
    if tag == "LongitudinalAction" and inner is not None and inner.tag == "SpeedAction":
        return speed_action(inner, runner, agent)
    if tag == "LateralAction" and inner is not None and inner.tag == "LaneChangeAction":
        return lane_change(inner, runner, agent)
    if tag == "LateralAction" and inner is not None and inner.tag == "LaneOffsetAction":
        return lane_offset(inner, runner, agent)
    if tag == "TeleportAction":
        return teleport(action, runner, agent)
    if tag == "RoutingAction" and inner is not None and inner.tag == "FollowTrajectoryAction":
        return follow_trajectory(inner, runner, agent)
    if tag == "RoutingAction" and inner is not None and inner.tag == "AssignRouteAction":
        return assign_route(inner, runner, agent)
    if tag == "SynchronizeAction":
        return synchronize(action, runner, agent)
    what = f"{tag}/{inner.tag}" if inner is not None else tag
    raise Unsupported(inner or action, f"<{what}> is not mapped")


def assign_route(node: Node, runner: Runner, agent: Agent) -> bool:
    """AssignRouteAction: drive along the route's lanes from the nearest point on it."""
    route = node.children[0] if node.children else None
    if route is not None and route.tag == "CatalogReference":
        key = (
            runner.scope.resolve(route.attrib.get("catalogName", "")),
            runner.scope.resolve(route.attrib.get("entryName", "")),
        )
        route = runner.ctx.routes.get(key)
    if route is None or route.tag != "Route":
        raise Unsupported(node, "AssignRouteAction needs a Route or a route catalog reference")
    path = route_path(runner.ctx, route, runner.scope)
    p = agent.pose()[0]
    agent.path, agent.s, agent.d = path, path.project(p[:2]), 0.0
    return False
