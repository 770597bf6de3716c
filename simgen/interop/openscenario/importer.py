"""``simgen import FILE.xosc``: an OpenSCENARIO 1.x file -> a simgen scenario (YAML + road meshes).

The storyboard is run at import time on kinematic agents (:mod:`.storyboard`), so triggers
become times and every moving entity becomes a timed ``trajectory`` behaviour; the road network
becomes a ``road_network`` scene (meshes written beside the YAML, one region per lane). A
``ParameterValueDistribution`` file becomes one variant per parameter combination.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simgen.errors import ScenarioError
from simgen.interop.opendrive.network import LanePath, Network, load_network
from simgen.interop.openscenario.agents import Agent
from simgen.interop.openscenario.entities import ENTITY_TAGS, Catalogs, Entity, build_entity
from simgen.interop.openscenario.params import ParamError, Scope
from simgen.interop.openscenario.positions import Context
from simgen.interop.openscenario.storyboard import Runner
from simgen.interop.xmlread import Node, parse_xml

DT = 0.05  # import-time simulation step, seconds
MAX_TIME = 60.0  # longest storyboard run
DEFAULT_TIME = 20.0  # when nothing stops the storyboard earlier
SAMPLE_TOL = 0.01  # metres (and ~0.6 degrees) a dropped trajectory sample may deviate
EGO_NAMES = ("ego", "hero", "host")


@dataclass
class Imported:
    """One run of one scenario: its entities' objects, the network, the run length and the report."""

    entities: list[Entity]
    agents: dict[str, Agent]
    net: Network | None
    xodr: Path | None
    duration: float
    skipped: list[str] = field(default_factory=list)


def _entities(root: Node, scope: Scope, catalogs: Catalogs, skipped: list[str]) -> list[tuple[str, Entity]]:
    out: list[tuple[str, Entity]] = []
    taken: set[str] = set()
    ents = root.find("Entities")
    for so in ents.findall("ScenarioObject") if ents is not None else []:
        name = so.attrib.get("name", "entity")
        body = next((c for c in so.children if c.tag in (*ENTITY_TAGS, "CatalogReference")), None)
        escope = scope
        if body is not None and body.tag == "CatalogReference":
            try:
                found = catalogs.find(body, scope)
            except ScenarioError as exc:
                skipped.append(f"{body.where}: {body.path}: catalog unreadable: {exc}")
                found = None
            if found is None:
                entry = f"{body.attrib.get('catalogName')}/{scope.resolve(body.attrib.get('entryName', ''))}"
                skipped.append(f"{body.where}: {body.path}: catalog entry {entry} not found; imported as a car")
                body = Node("Vehicle", {"vehicleCategory": "car"}, body.line, body.col, body.file)
            else:
                body, escope = found
        if body is None or body.tag not in ENTITY_TAGS:
            skipped.append(f"{so.where}: {so.path}: no Vehicle, Pedestrian or MiscObject; imported as a car")
            body = Node("Vehicle", {"vehicleCategory": "car"}, so.line, so.col, so.file)
        ent = build_entity(name, body, escope, taken)
        for note in ent.notes:
            skipped.append(f"{body.where}: {body.path}: {note}")
        for ctrl in so.findall("ObjectController"):
            skipped.append(f"{ctrl.where}: {ctrl.path}: controllers are not mapped (entities follow the storyboard)")
        out.append((name, ent))
    for sel in ents.findall("EntitySelection") if ents is not None else []:
        skipped.append(f"{sel.where}: {sel.path}: entity selections are not mapped")
    return out


def _routes(catalogs: Catalogs, root: Node) -> dict[tuple[str, str], Node]:
    routes = {key: node for key, node in catalogs.entries().items() if node.tag == "Route"}
    for r in root.iter("Route"):
        routes.setdefault(("", r.attrib.get("name", "")), r)
    return routes


def _network(root: Node, base: Path, scope: Scope, skipped: list[str]) -> tuple[Network | None, Path | None]:
    logic = root.walk("RoadNetwork/LogicFile")
    if logic is None:
        return None, None
    path = (base / scope.resolve(logic.attrib.get("filepath", ""))).resolve()
    if not path.is_file():
        skipped.append(
            f"{logic.where}: {logic.path}: road network {path.name} not found; no roads, road positions unusable"
        )
        return None, None
    net, notes = load_network(path)
    skipped += notes
    return net, path


def run_scenario(path: Path, overrides: dict[str, str] | None = None) -> Imported:
    """Parse ``path`` and run its storyboard (``overrides`` replace global parameter values)."""
    root = parse_xml(path, "OpenSCENARIO")
    storyboard = root.find("Storyboard")
    if storyboard is None:
        raise ScenarioError("no <Storyboard> in this OpenSCENARIO file", file=path, line=root.line, path=root.tag)
    skipped: list[str] = []
    try:
        scope = Scope().child(root.find("ParameterDeclarations"), overrides)
    except ParamError as exc:
        raise ScenarioError(f"parameter declarations: {exc}", file=path, line=root.line) from None
    catalogs = Catalogs(root, path.parent, scope)
    net, xodr = _network(root, path.parent, scope, skipped)
    ents = _entities(root, scope, catalogs, skipped)
    ctx = Context(net, {}, _routes(catalogs, root), catalogs)
    for name, ent in ents:
        start = LanePath.from_points(np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
        ctx.agents[name] = Agent(ent, start)
    runner = Runner(ctx, scope, DT, skipped)
    _init(runner, storyboard.find("Init"))
    stories, stop = runner.build(storyboard)
    duration = _run(runner, stories, stop)
    return Imported([e for _, e in ents], ctx.agents, net, xodr, duration, skipped)


def _init(runner: Runner, init: Node | None) -> None:
    actions = init.find("Actions") if init is not None else None
    for node in actions.children if actions is not None else []:
        if node.tag != "Private":
            runner.skip(node, f"<{node.tag}> init actions are not mapped")
            continue
        actor = runner.scope.resolve(node.attrib.get("entityRef", ""))
        # teleports first, so speeds and trajectories apply to the placed entity
        privates = sorted(node.findall("PrivateAction"), key=lambda p: 0 if p.find("TeleportAction") else 1)
        for private in privates:
            runner.apply(private, actor, runner.scope)


def _record(runner: Runner) -> None:
    for agent in runner.ctx.agents.values():
        c, h = agent.center()
        agent.record.append((runner.t, float(c[0]), float(c[1]), float(c[2]), h))


def _run(runner: Runner, stories: list[Any], stop: Any) -> float:
    """Step until the stop trigger holds or ``MAX_TIME``; returns the run length."""
    limit = MAX_TIME if not stop.empty else DEFAULT_TIME
    _record(runner)
    while runner.t < limit - 1e-9:
        runner.tick(stories)
        if runner.t > 0 and stop.holds(runner):
            break
        for agent in runner.ctx.agents.values():
            agent.step(runner.t, runner.dt, runner.ctx.agents)
            if agent.rebase_due:
                agent.rebase(runner.ctx.net)
        runner.t = round(runner.t + runner.dt, 9)
        _record(runner)
        if stop.empty and stories and all(s.ended is not None for s in stories) and runner.t >= 5.0:
            break
    if runner.t >= limit - 1e-9 and not stop.empty:
        runner.skipped.append(f"storyboard ran {MAX_TIME:g} s without its stop trigger holding; cut there")
    return max(runner.t, DT)


def simplify(rec: list[tuple[float, float, float, float, float]]) -> list[int]:
    """Indices of samples to keep so linear interpolation stays within ``SAMPLE_TOL`` (Douglas-Peucker in time)."""
    arr = np.asarray(rec)
    arr[:, 4] = np.unwrap(arr[:, 4])
    keep = {0, len(arr) - 1}
    stack = [(0, len(arr) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        f = (arr[a + 1 : b, 0] - arr[a, 0]) / (arr[b, 0] - arr[a, 0])
        interp = arr[a] + f[:, None] * (arr[b] - arr[a])
        err = np.abs(arr[a + 1 : b, 1:4] - interp[:, 1:4]).max(axis=1)
        err = np.maximum(err, np.abs(arr[a + 1 : b, 4] - interp[:, 4]))
        i = int(np.argmax(err))
        if err[i] > SAMPLE_TOL:
            k = a + 1 + i
            keep.add(k)
            stack += [(a, k), (k, b)]
    return sorted(keep)


def behaviour(agent: Agent) -> tuple[list[float], float, dict[str, Any]]:
    """Initial centre, initial yaw (degrees) and the ``trajectory`` (or ``static``) behaviour."""
    rec = agent.record
    arr = np.asarray(rec)
    moves = np.ptp(arr[:, 1:4], axis=0).max() > 1e-4 or np.ptp(np.unwrap(arr[:, 4])) > 1e-4
    first = [round(v, 3) for v in rec[0][1:4]]
    yaw0 = round(math.degrees(rec[0][4]), 3)
    if not moves:
        return first, yaw0, {"type": "static"}
    idx = simplify(rec)
    if len(idx) < 2:
        idx = [0, len(rec) - 1]
    yaws = np.degrees(np.unwrap(arr[idx, 4]))
    return (
        first,
        yaw0,
        {
            "type": "trajectory",
            "times": [round(float(arr[i, 0]), 4) for i in idx],
            "points": [[round(float(arr[i, k]), 3) for k in (1, 2, 3)] for i in idx],
            "yaw": [round(float(y), 2) for y in yaws],
        },
    )
