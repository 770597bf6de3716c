"""OpenSCENARIO ``Position`` elements -> world poses, with the road anchor when there is one.

World, lane, road, relative lane/road/object/world and route positions. A pose remembers the
(road, lane, s, direction) it was given in, so an entity teleported there drives along that
lane's centre afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simgen.interop.opendrive.network import LanePath, Network
from simgen.interop.openscenario.params import Scope
from simgen.interop.xmlread import Node

if TYPE_CHECKING:
    from simgen.interop.openscenario.agents import Agent


POSITION_TYPES = (
    "WorldPosition",
    "LanePosition",
    "RoadPosition",
    "RelativeWorldPosition",
    "RelativeObjectPosition",
    "RelativeLanePosition",
    "RelativeRoadPosition",
    "RoutePosition",
    "GeoPosition",
    "TrajectoryPosition",
)


class Unsupported(ValueError):
    """An element the importer does not map (reported, never fatal)."""

    def __init__(self, node: Node, what: str) -> None:
        super().__init__(what)
        self.node = node


@dataclass
class Pose:
    """World reference-point pose; ``road``/``lane``/``s``/``direction`` when given on a road."""

    x: float
    y: float
    z: float
    h: float
    road: str | None = None
    lane: int | None = None
    s: float | None = None
    offset: float = 0.0
    direction: int = 1
    path: LanePath | None = None  # a route the pose lies on (RoutePosition)
    path_s: float = 0.0


@dataclass
class Context:
    """What positions resolve against: the road network, the agents so far, routes by name."""

    net: Network | None
    agents: dict[str, Agent]
    routes: dict[tuple[str, str], Node]  # (catalog name, route name); inline routes under ("", name)
    catalogs: object = None


def num(node: Node, key: str, scope: Scope, default: float | None = None) -> float:
    """A numeric attribute with parameters resolved (Unsupported when missing or not a number)."""
    raw = node.attrib.get(key)
    if raw is None:
        if default is None:
            raise Unsupported(node, f"missing attribute {key!r}")
        return default
    try:
        value = float(scope.resolve(raw))
    except ValueError as exc:
        raise Unsupported(node, f"{key}={raw!r}: {exc}") from None
    if not math.isfinite(value):
        raise Unsupported(node, f"{key}={raw!r} is not finite")
    return value


def _orient(node: Node, scope: Scope, base: float) -> float:
    o = node.find("Orientation")
    if o is None:
        return base
    h = num(o, "h", scope, 0.0)
    return h if o.attrib.get("type", "relative") == "absolute" else base + h


def _need_net(ctx: Context, node: Node) -> Network:
    if ctx.net is None:
        raise Unsupported(node, "a road position needs the RoadNetwork's OpenDRIVE file, which was not loaded")
    return ctx.net


def _on_road(ctx: Context, node: Node, rid: str, s: float, t: float, lane: int | None, scope: Scope) -> Pose:
    net = _need_net(ctx, node)
    if rid not in net.roads:
        raise Unsupported(node, f"no road {rid!r} in the road network")
    road = net.roads[rid]
    if not 0 <= s <= road.length + 1e-6:
        raise Unsupported(node, f"s={s:g} is outside road {rid} (length {road.length:g})")
    x, y, z, h = road.world(np.array([s]), np.array([t]))
    found = lane if lane is not None else road.lane_at(s, t)
    direction = road.forward(found) if found else 1
    heading = float(h[0]) + (0.0 if direction > 0 else math.pi)
    return Pose(float(x[0]), float(y[0]), float(z[0]), _orient(node, scope, heading), rid, found, s, 0.0, direction)


def _agent(ctx: Context, node: Node, scope: Scope) -> Agent:
    ref = scope.resolve(node.attrib.get("entityRef", ""))
    if ref not in ctx.agents:
        raise Unsupported(node, f"entityRef {ref!r} names no entity placed so far")
    return ctx.agents[ref]


def _next_lane(lane: int, steps: int) -> int:
    """``steps`` lanes over, skipping the centre lane 0."""
    out = lane + steps
    if lane * out <= 0:
        out += 1 if steps > 0 else -1
    return out


def lane_pose(ctx: Context, node: Node, scope: Scope) -> Pose:
    """A ``LanePosition``: lane centre at s, moved ``offset`` metres (left of the road direction)."""
    net = _need_net(ctx, node)
    rid, lane = scope.resolve(node.attrib.get("roadId", "")), int(num(node, "laneId", scope))
    s, off = num(node, "s", scope), num(node, "offset", scope, 0.0)
    if rid not in net.roads:
        raise Unsupported(node, f"no road {rid!r} in the road network")
    try:
        t, _ = net.roads[rid].lane_t(lane, min(max(s, 0.0), net.roads[rid].length))
    except Exception as exc:  # noqa: BLE001 - an unknown lane is reported, not fatal
        raise Unsupported(node, str(exc)) from None
    pose = _on_road(ctx, node, rid, s, t + off, lane, scope)
    pose.offset = off
    return pose


def resolve(ctx: Context, pos: Node, scope: Scope) -> Pose:
    """The pose of a ``Position`` element (or of one of its children given directly)."""
    node = pos.children[0] if pos.tag not in POSITION_TYPES and pos.children else pos
    tag = node.tag
    if tag == "WorldPosition":
        return Pose(
            num(node, "x", scope), num(node, "y", scope), num(node, "z", scope, 0.0), num(node, "h", scope, 0.0)
        )
    if tag == "LanePosition":
        return lane_pose(ctx, node, scope)
    if tag == "RoadPosition":
        rid = scope.resolve(node.attrib.get("roadId", ""))
        return _on_road(ctx, node, rid, num(node, "s", scope), num(node, "t", scope), None, scope)
    if tag in ("RelativeWorldPosition", "RelativeObjectPosition"):
        agent = _agent(ctx, node, scope)
        p, h = agent.pose()
        dx, dy, dz = num(node, "dx", scope), num(node, "dy", scope), num(node, "dz", scope, 0.0)
        if tag == "RelativeObjectPosition":
            dx, dy = dx * math.cos(h) - dy * math.sin(h), dx * math.sin(h) + dy * math.cos(h)
        return Pose(float(p[0] + dx), float(p[1] + dy), float(p[2] + dz), _orient(node, scope, h))
    if tag in ("RelativeLanePosition", "RelativeRoadPosition"):
        return _relative_road(ctx, node, scope)
    if tag == "RoutePosition":
        return _route_pose(ctx, node, scope)
    raise Unsupported(node, f"<{tag}> positions are not mapped")


def _relative_road(ctx: Context, node: Node, scope: Scope) -> Pose:
    net = _need_net(ctx, node)
    agent = _agent(ctx, node, scope)
    where = agent.road_coords(net)
    if where is None:
        raise Unsupported(node, "the reference entity is not on the road network")
    rid, lane, s, t, direction = where
    road = net.roads[rid]
    if node.tag == "RelativeRoadPosition":
        return _on_road(ctx, node, rid, s + num(node, "ds", scope), t + num(node, "dt", scope), None, scope)
    ds = num(node, "ds", scope, 0.0) if "ds" in node.attrib else num(node, "dsLane", scope, 0.0)
    target = _next_lane(lane, int(num(node, "dLane", scope)) * (1 if direction > 0 else -1))
    s2 = s + ds * direction if "dsLane" in node.attrib else s + ds
    s2 = min(max(s2, 0.0), road.length)
    try:
        tc, _ = road.lane_t(target, s2)
    except Exception as exc:  # noqa: BLE001
        raise Unsupported(node, str(exc)) from None
    pose = _on_road(ctx, node, rid, s2, tc + num(node, "offset", scope, 0.0), target, scope)
    return pose


def resolve_child(ctx: Context, parent: Node, tag: str, scope: Scope) -> Pose:
    """The pose of ``parent``'s ``tag`` child (a position element), which must be there."""
    pos = parent.find(tag)
    if pos is None:
        raise Unsupported(parent, f"<{parent.tag}> has no <{tag}>")
    return resolve(ctx, pos, scope)


def route_path(ctx: Context, route: Node, scope: Scope) -> LanePath:
    """Lane centres through a route's waypoints, across junctions towards each next waypoint."""
    net = _need_net(ctx, route)
    found = (w.find("Position") for w in route.findall("Waypoint"))
    wps = [resolve(ctx, pos, scope) for pos in found if pos]
    first = wps[0] if wps else None
    if first is None or first.road is None:
        raise Unsupported(route, "a route needs waypoints given as lane or road positions")
    goal = [w.road for w in wps[1:] if w.road is not None]
    return net.lane_path(first.road, first.lane or -1, first.s or 0.0, 3000.0, toward=goal)


def _route_pose(ctx: Context, node: Node, scope: Scope) -> Pose:
    ref = node.find("RouteRef")
    route = ref.children[0] if ref is not None and ref.children else None
    if route is not None and route.tag == "CatalogReference":
        key = (scope.resolve(route.attrib.get("catalogName", "")), scope.resolve(route.attrib.get("entryName", "")))
        found = ctx.routes.get(key)
        if found is None:
            raise Unsupported(route, f"route {key[1]!r} not found in route catalog {key[0]!r}")
        route = found
    if route is None or route.tag != "Route":
        raise Unsupported(node, "RoutePosition needs a RouteRef with a Route or a route CatalogReference")
    path = route_path(ctx, route, scope)
    inr = node.find("InRoutePosition")
    coords = inr.children[0] if inr is not None and inr.children else None
    if coords is None or coords.tag not in ("FromLaneCoordinates", "FromRoadCoordinates"):
        raise Unsupported(node, "only FromLaneCoordinates/FromRoadCoordinates route positions are mapped")
    ps = num(coords, "pathS", scope)
    p, h, _ = path.at(ps)
    return Pose(float(p[0]), float(p[1]), float(p[2]), h, path=path, path_s=ps)
