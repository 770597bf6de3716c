"""Assemble and write the imported simgen scenario: YAML with a header, plus the road meshes.

Cameras: ``front`` rides on the ego entity (named Ego/Hero/Host, else the first vehicle) looking
ahead from its front bumper; ``overview`` looks down from high above the region the entities
cover. Both are ordinary camera entries, to be adjusted in the YAML.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from simgen.core.fileio import write_text
from simgen.interop.opendrive.mesh import SURFACE_LIFT, road_meshes
from simgen.interop.opendrive.network import Network
from simgen.interop.openscenario.importer import EGO_NAMES, Imported, behaviour
from simgen.scenario.grounding import is_grounded

FRAME_RATE = 10.0
MAX_FRAMES = 600
MAX_LANE_REGIONS = 400


def _ego(imp: Imported) -> str:
    names = [e.name for e in imp.entities]
    for e in imp.entities:
        if e.name.lower() in EGO_NAMES or e.obj["metadata"]["openscenario_name"].lower() in EGO_NAMES:
            return e.name
    vehicles = [e.name for e in imp.entities if e.kind == "Vehicle"]
    return (vehicles or names)[0]


def objects(imp: Imported) -> list[dict[str, Any]]:
    """Every entity as a simgen object with its resolved behaviour."""
    out = []
    for (_, agent), ent in zip(imp.agents.items(), imp.entities, strict=True):
        first, yaw0, beh = behaviour(agent)
        obj = dict(ent.obj)
        if is_grounded(obj["type"]):  # vehicles and people: z is feet or wheels above the road under them
            first = [*first[:2], 0.0]
            if beh["type"] == "trajectory":
                beh = {**beh, "points": [[x, y, 0.0] for x, y, _ in beh["points"]]}
        obj.update(position=first, rpy=[0, 0, yaw0 if beh["type"] == "static" else 0], mass=0, behavior=beh)
        out.append(obj)
    return out


def cameras(imp: Imported, ego: str) -> list[dict[str, Any]]:
    """A forward camera on the ego entity and a high overview camera."""
    ent = next(e for e in imp.entities if e.name == ego)
    length, _, height = ent.size
    pts = np.array([a.record[0][1:3] for a in imp.agents.values()])  # where everyone starts
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2
    span = float(max(np.max(hi - lo), 20.0))
    alt = min(span * 0.9 + 10.0, 400.0)
    return [
        {
            "name": "front",
            "width": 640,
            "height": 480,
            "fov_y": 50,
            "near": 0.1,
            "far": 200,
            "position": [0, 0, 0],
            "mount": {
                "actor": ego,
                "offset": [round(length / 2 + 0.05, 3), 0, round(height * 0.15, 3)],
                "rpy": [0, 3, 0],
            },
        },
        {
            "name": "overview",
            "width": 640,
            "height": 480,
            "fov_y": 60,
            "near": round(max(1.0, alt / 10), 1),
            "far": round(alt * 3 + span, 1),
            "position": [round(float(centre[0]), 2), round(float(centre[1] - 0.35 * alt), 2), round(alt, 1)],
            "look_at": [round(float(centre[0]), 2), round(float(centre[1]), 2), 0],
        },
    ]


def lane_regions(net: Network, step: float = 5.0) -> dict[str, dict[str, Any]]:
    """One region per lane of every road (driving, sidewalk, ...): its centre line and mean width."""
    out: dict[str, dict[str, Any]] = {}
    for road in net.roads.values():
        for sec in road.sections:
            for lane_id, lane in sorted(sec.lanes.items()):
                if lane_id == 0 or lane.type == "none" or len(out) >= MAX_LANE_REGIONS:
                    continue
                name = f"road {road.id} lane {lane_id}"
                if name in out:
                    continue
                ss = np.linspace(0, road.length, max(2, min(1000, int(road.length / step) + 1)))
                t, w, ok = road.lane_centres(lane_id, ss)
                if ok.sum() < 2 or w[ok].max() <= 0.3:
                    continue
                x, y, z, _ = road.world(ss[ok], t[ok])
                pts = np.round(np.stack([x, y, z + SURFACE_LIFT], axis=1), 3).tolist()
                out[name] = {"points": pts, "width": round(float(np.mean(w[ok])), 3)}
    return out


def scenario(imp: Imported, stem: str, source: Path, variants: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The scenario mapping (meshes named ``<stem>.<part>.obj`` beside the YAML)."""
    ego = _ego(imp)
    objs = objects(imp)
    classes = []
    for o in objs:
        if o["class"] not in classes:
            classes.append(o["class"])
    frames = int(min(MAX_FRAMES, math.floor(imp.duration * FRAME_RATE) + 1))
    data: dict[str, Any] = {
        "version": 1,
        "name": re.sub(r"[^A-Za-z0-9_\-]", "_", source.stem)[:64] or "imported",
        "description": f"Imported from OpenSCENARIO file {source.name}",
        "seed": 0,
        "episodes": max(1, len(variants) if variants else 1),
        "frames": frames,
        "classes": classes,
        "world": {
            "time_step": 0.02,
            "settle_time": 0.0,
            "frame_rate": FRAME_RATE,
            "ground": {"type": "plane", "color": [0.33, 0.42, 0.27, 1.0]},
        },
    }
    if imp.net is not None:
        data["scene"] = {
            "type": "road_network",
            "asphalt": f"{stem}.asphalt.obj",
            "sidewalk": f"{stem}.sidewalk.obj",
            "markings": f"{stem}.markings.obj",
            "lanes": lane_regions(imp.net),
        }
    data["objects"] = objs
    data["cameras"] = cameras(imp, ego)
    data["labels"] = {"min_visible_pixels": 10}
    if variants:
        data["variants"] = variants
    return data


class _Dumper(yaml.SafeDumper):
    """Flow style for short numeric lists (points, positions), block style for the rest."""


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flat = all(isinstance(v, (int, float, str)) for v in value) and len(value) <= 8
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_Dumper.add_representer(list, _list)


def write(out: Path, data: dict[str, Any], imp: Imported, source: Path, skipped: list[str]) -> None:
    """Write the meshes, then the YAML (each atomically), named after ``out``."""
    if imp.net is not None:
        for part, text in road_meshes(imp.net).items():
            write_text(out.parent / f"{out.stem}.{part}.obj", text)
    header = [
        f"# Imported from {source.name} by `simgen import` (ASAM OpenSCENARIO 1.x"
        + (f", road network {imp.xodr.name})." if imp.xodr is not None else ")."),
        f"# Source: {source}",
        "# The storyboard was run at import time: triggers became times and every moving entity a",
        "# timed 'trajectory' behaviour (see docs/openscenario.md). Cameras and looks are yours to edit.",
    ]
    if skipped:
        header.append(f"# {len(skipped)} element(s) could not be mapped; `simgen import` printed each one.")
    text = "\n".join(header) + "\n" + yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=120)
    write_text(out, text)


def _variant(name: str, base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """A variant that turns ``base``'s objects into ``other``'s (fields that differ, per object)."""
    sets: dict[str, Any] = {}
    by_name = {o["name"]: o for o in base["objects"]}
    for o in other["objects"]:
        ref = by_name.get(o["name"], {})
        for key, value in o.items():
            if ref.get(key) != value:
                sets[f"objects.{o['name']}.{key}"] = value
    variant: dict[str, Any] = {"name": name, "weight": 1}
    if sets:
        variant["set"] = sets
    return variant


def import_file(source: Path, out: Path) -> list[str]:
    """Import ``source`` (a scenario or a ParameterValueDistribution) into ``out``; returns skipped lines."""
    from simgen.errors import ScenarioError
    from simgen.interop.openscenario.distribution import combinations, scenario_file
    from simgen.interop.openscenario.importer import run_scenario
    from simgen.interop.openscenario.positions import Unsupported
    from simgen.interop.xmlread import parse_xml

    root = parse_xml(source, "OpenSCENARIO")
    dist = root.find("ParameterValueDistribution")
    skipped: list[str] = []
    if dist is None:
        imp = run_scenario(source)
        data = scenario(imp, out.stem, source, None)
        write(out, data, imp, source, imp.skipped)
        return imp.skipped
    try:
        target = scenario_file(dist, source.parent)
    except Unsupported as exc:
        raise ScenarioError(str(exc), file=source, line=exc.node.line, col=exc.node.col, path=exc.node.path) from None
    combos = combinations(dist, skipped)
    runs = [(c, run_scenario(target, c)) for c in combos]
    datas = [scenario(imp, out.stem, target, None) for _, imp in runs]
    base = datas[0]
    names: list[str] = []
    for k, (combo, _) in enumerate(runs):
        label = "__".join(f"{key}_{value}" for key, value in combo.items()) or "default"
        label = re.sub(r"[^A-Za-z0-9_\-]", "_", label)
        names.append(label[:64] if len(runs) == 1 else f"v{k}_{label}"[:64])
    base["variants"] = [_variant(n, base, d) for n, d in zip(names, datas, strict=True)]
    for d in datas[1:]:  # a variant may swap an entity for one of another class
        base["classes"] += [c for c in d["classes"] if c not in base["classes"]]
    base["episodes"] = len(runs)
    base["frames"] = max(d["frames"] for d in datas)
    base["description"] = f"Imported from {source.name}: {len(runs)} parameter combinations of {target.name}"
    skipped += runs[0][1].skipped
    write(out, base, runs[0][1], source, skipped)
    return skipped
