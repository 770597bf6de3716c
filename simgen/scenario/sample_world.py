"""Sample one episode's world extras: light, sky, haze, terrain, placement, actors, mounts, events.

Light and sky follow the time of day; placement rejects interpenetrating draws.

Called once from :func:`simgen.scenario.sampling.sample` after the plain objects and cameras
are drawn; it returns them updated plus a :class:`SceneSpec`. Every draw uses the
:class:`~simgen.scenario.sampling.Sampler` generator of its own key path, so placement retries
of one object never shift another object's draws.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from simgen.errors import AssetError, ScenarioError, did_you_mean
from simgen.kinds.registry import kind_of
from simgen.scenario.drawn_type import as_instance_type
from simgen.scenario.grounding import check_clearance, is_grounded, waypoint_paths
from simgen.scenario.scene_spec import DEFAULT_LIGHT, DEFAULT_SKY, SceneSpec
from simgen.scenario.spec import ObjectInstance
from simgen.scenario.world_models import _PlacedAfter
from simgen.sensors.camera.model import CameraSpec

if TYPE_CHECKING:
    from simgen.scenario.models import Scenario
    from simgen.scenario.sampling import Sampler

SUNRISE, SUNSET, MAX_ELEVATION = 6.0, 20.0, 70.0
NIGHT_SKY, DUSK_SKY, DAY_SKY = (0.02, 0.03, 0.07), (0.85, 0.45, 0.3), (0.55, 0.7, 0.92)
WARM, MOON = (1.0, 0.62, 0.38), (0.55, 0.65, 1.0)


def sun_elevation(hours: float) -> float:
    """Sun elevation in degrees at local time ``hours`` (sunrise 6 h, sunset 20 h, 70 deg at 13 h)."""
    phase = (hours - SUNRISE) / (SUNSET - SUNRISE)
    if 0.0 <= phase <= 1.0:
        return MAX_ELEVATION * math.sin(math.pi * phase)
    # below the horizon: mirror the arc, reaching -MAX_ELEVATION at solar midnight
    night = (hours - SUNSET) % 24.0 / (24.0 - (SUNSET - SUNRISE))
    return -MAX_ELEVATION * math.sin(math.pi * night)


def daylight(hours: float) -> float:
    """0 (night) .. 1 (full day): civil twilight ramps from -6 deg to 30 deg of sun elevation."""
    return float(np.clip((sun_elevation(hours) + 6.0) / 36.0, 0.0, 1.0))


def _lerp(a: tuple[float, ...], b: tuple[float, ...], t: float) -> tuple[float, float, float]:
    x, y, z = (float(p + (q - p) * t) for p, q in zip(a, b, strict=True))
    return x, y, z


def sun_light(hours: float) -> dict[str, Any]:
    """Light from time of day: direction towards the sun (or a high moon), dimmer and warmer at dusk.

    Returns the keys of :data:`DEFAULT_LIGHT`. Noon gives intensity 1; night 0.15.
    """
    elev = sun_elevation(hours)
    f = daylight(hours)
    az = math.radians(15.0 * (hours - 13.0))
    e = math.radians(max(elev, 25.0) if f > 0 else 60.0)
    direction = (math.sin(az) * math.cos(e), -math.cos(az) * math.cos(e), math.sin(e))
    day_color = _lerp(WARM, (1.0, 1.0, 1.0), float(np.clip(elev / 30.0, 0.0, 1.0)))
    return {
        "direction": tuple(round(d, 9) for d in direction),
        "intensity": 0.15 + 0.85 * f,
        "ambient": 0.3 + 0.3 * f,
        "diffuse": 0.25 + 0.1 * f,
        "specular": 0.05,
        "color": _lerp(MOON, day_color, min(1.0, 3.0 * f)),
        "shadow": False,
    }


def sky_color(hours: float) -> tuple[float, float, float]:
    """Background colour from time of day: night blue-black, orange at dusk, blue by day."""
    f = daylight(hours)
    if f < 0.3:
        return _lerp(NIGHT_SKY, DUSK_SKY, f / 0.3)
    return _lerp(DUSK_SKY, DAY_SKY, (f - 0.3) / 0.7)


def resolve(value: Any, sampler: Sampler, path: str) -> Any:
    """Plain JSON-safe data of a model/tuple/list/dict with every distribution drawn at its key path."""
    if value is None or isinstance(value, bool | str | int | float):
        return value
    if isinstance(value, BaseModel):
        return {
            name: resolve(getattr(value, name), sampler, f"{path}.{name}")
            for name in type(value).model_fields
            if getattr(value, name) is not None
        }
    if isinstance(value, tuple | list):
        return [resolve(v, sampler, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: resolve(v, sampler, f"{path}.{k}") for k, v in value.items()}
    return float(sampler.draw(value, path))


# --- geometry of instances (no simulator: analytic extents) ---------------------------------------


def _rotation(q: tuple[float, float, float, float]) -> np.ndarray:
    x, y, z, w = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def local_half_extents(inst: ObjectInstance, base_dir: Path) -> np.ndarray:
    """(3,) conservative half extents (metres) of the instance in its own frame, about its base position."""
    return kind_of(inst.type).half_extents(inst.shape, base_dir)


def _is_surface(inst: ObjectInstance) -> bool:
    """A ground-like asset (road, floor) or object with ``metadata: {surface: true}`` (road meshes).

    Objects stand on it, so placement does not avoid its box.
    """
    return inst.metadata.get("surface") is True or kind_of(inst.type).surface


def world_half_extents(inst: ObjectInstance, base_dir: Path) -> np.ndarray:
    """(3,) half extents of the world-axis-aligned box around the rotated instance."""
    return np.abs(_rotation(inst.orientation)) @ local_half_extents(inst, base_dir)


def _overlaps(c: np.ndarray, h: np.ndarray, boxes: list[tuple[np.ndarray, np.ndarray, str]], skip: str) -> str | None:
    for c2, h2, name in boxes:
        if name != skip and bool(np.all(np.abs(c - c2) < h + h2 - 1e-9)):
            return name
    return None


# --- placement regions -----------------------------------------------------------------------------


def _lift(region: Any, half: np.ndarray) -> float:
    """What to add to a region's z to get the object's centre: its half height for ``anchor: bottom``."""
    return float(half[2]) if region.anchor == "bottom" else 0.0


def _draw_box(region: Any, rng: np.random.Generator, half: np.ndarray, support: Any) -> np.ndarray:
    lo, hi = np.asarray(region.min, float), np.asarray(region.max, float)
    c = rng.uniform(lo, hi) if np.any(hi > lo) else lo.copy()
    c[2] += _lift(region, half)
    return c


def _draw_disc(region: Any, rng: np.random.Generator, half: np.ndarray, support: Any) -> np.ndarray:
    r0, r1 = region.inner_radius, region.radius
    r = math.sqrt(rng.uniform(r0 * r0, r1 * r1))
    a = rng.uniform(0.0, 2 * math.pi)
    cx, cy, cz = region.center
    return np.array([cx + r * math.cos(a), cy + r * math.sin(a), cz + _lift(region, half)])


def _draw_surface(region: Any, rng: np.random.Generator, half: np.ndarray, support: Any) -> np.ndarray:
    (sc, sh) = support
    lo = sc[:2] - sh[:2] + half[:2] + region.margin
    hi = sc[:2] + sh[:2] - half[:2] - region.margin
    if np.any(hi < lo):
        raise ValueError("the object does not fit on its support")
    xy = rng.uniform(lo, hi)
    return np.array([xy[0], xy[1], sc[2] + sh[2] + half[2] + region.lift])


def _draw_path(region: Any, rng: np.random.Generator, half: np.ndarray, support: Any) -> np.ndarray:
    pts = np.asarray(region.points, dtype=float)
    seg = np.diff(pts, axis=0)
    lengths = np.linalg.norm(seg, axis=1)
    cum = np.concatenate([[0.0], np.cumsum(lengths)])
    s = rng.uniform(0.0, cum[-1])
    i = int(np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1))
    t = (s - cum[i]) / lengths[i] if lengths[i] > 0 else 0.0
    p = pts[i] + t * seg[i]
    d = seg[i][:2] / max(float(np.linalg.norm(seg[i][:2])), 1e-12)
    side = rng.uniform(-region.lateral, region.lateral) if region.lateral > 0 else 0.0
    return np.array([p[0] - d[1] * side, p[1] + d[0] * side, p[2] + _lift(region, half)])


def terrain_top(heights: np.ndarray, size: tuple[float, float], centre: np.ndarray, half: np.ndarray) -> float:
    """Highest terrain height (metres) under an object's footprint, plus 2 mm.

    The terrain is piecewise linear between grid nodes, so its maximum over the footprint lies
    on a node inside it or on the footprint's boundary: both are checked (boundary every quarter
    grid spacing); the 2 mm cover the difference between bilinear lookup and Bullet's triangles.
    """
    from simgen.scenario.terrain import height_at

    rows, cols = heights.shape
    x0, x1 = centre[0] - half[0], centre[0] + half[0]
    y0, y1 = centre[1] - half[1], centre[1] + half[1]
    gx = (np.arange(cols) / (cols - 1) - 0.5) * size[0]
    gy = (np.arange(rows) / (rows - 1) - 0.5) * size[1]
    inside = heights[np.ix_((gy >= y0) & (gy <= y1), (gx >= x0) & (gx <= x1))]
    top = float(inside.max()) if inside.size else -np.inf
    step = min(size[0] / (cols - 1), size[1] / (rows - 1)) / 4
    xs = np.linspace(x0, x1, max(2, int(np.ceil((x1 - x0) / step)) + 1))
    ys = np.linspace(y0, y1, max(2, int(np.ceil((y1 - y0) / step)) + 1))
    edge = [(x, y) for x in xs for y in (y0, y1)] + [(x, y) for y in ys for x in (x0, x1)]
    return max(top, *(height_at(heights, size, float(x), float(y)) for x, y in edge)) + 0.002


REGIONS = {"box": _draw_box, "disc": _draw_disc, "surface": _draw_surface, "path": _draw_path}


def _resolve_ref(ref: str, names: dict[str, int], path: str, file: str | None) -> int:
    if ref in names:
        return names[ref]
    raise ScenarioError(
        f"no object or instance named '{ref}'",
        file=file,
        path=path,
        hint=did_you_mean(ref, list(names)) or "use an object's name or name_K for its K-th instance",
    )


def _index_names(objects: list[ObjectInstance]) -> dict[str, int]:
    """Instance name and object name (its first instance) -> position in ``objects``."""
    names: dict[str, int] = {}
    for i, o in enumerate(objects):
        names.setdefault(o.source, i)
        names[o.name] = i
    return names


def sample_world(
    scenario: Scenario, sampler: Sampler, objects: list[ObjectInstance], cameras: tuple[CameraSpec, ...]
) -> tuple[list[ObjectInstance], tuple[CameraSpec, ...], SceneSpec]:
    """Resolve world extras; returns (objects placed and annotated, cameras with mounts, scene)."""
    file = scenario.source
    base = scenario.base_dir
    specs = {o.name: (j, o) for j, o in enumerate(scenario.objects)}
    first_of: dict[str, int] = {}
    out: list[ObjectInstance] = []
    boxes: list[tuple[np.ndarray, np.ndarray, str]] = []
    pending: list[tuple[int, str, Any]] = []
    counters: dict[str, int] = {}
    for inst in objects:
        j, entry = specs[inst.source]
        spec = as_instance_type(entry, inst.type)
        k = counters.get(inst.source, 0)
        counters[inst.source] = k + 1
        p = f"objects[{j}][{k}]"
        first_of.setdefault(inst.source, inst.instance_id)
        label = {"unique": None, "shared": first_of[inst.source], "none": 0}[spec.instance_ids]
        inst = _resolve_instance(inst, spec, sampler, p, label, f"objects[{j}]", file, base)
        inst = _ground_rule(inst, spec, j, p, scenario, base)
        if isinstance(spec.placement, _PlacedAfter):
            pass  # placed once the regions (relative_to) or the cameras (hidden/visible_from) are known
        elif spec.placement is not None:
            pending.append((len(out), p, spec.placement))
        elif spec.spawn and not _is_surface(inst):
            boxes.append((np.asarray(inst.position, float), world_half_extents(inst, base), inst.name))
        out.append(inst)
    names = _index_names(out)
    ground = _ground(scenario, sampler)
    terrain: tuple[np.ndarray, Any] | None = None  # (heights, (size x, size y))
    if "heightfield" in ground and pending:
        from simgen.scenario.terrain import heightfield_heights

        terrain = (heightfield_heights(ground["heightfield"], base), tuple(ground["heightfield"]["size"]))
    for idx, p, region in pending:
        inst = out[idx]
        half = world_half_extents(inst, base)
        key = f"objects[{specs[inst.source][0]}]"
        c = _place(inst, half, p, key, region, out, names, boxes, terrain, sampler, file, base)
        pos = (float(c[0]), float(c[1]), float(c[2]))
        sampler.sampled[f"{p}.placement"] = list(pos)
        out[idx] = inst = dataclasses.replace(inst, position=pos)
        boxes.append((c, half, inst.name))
    from simgen.scenario.relative import place_after

    out = place_after(scenario, sampler, out, None, boxes)
    for idx, inst in enumerate(out):
        b = inst.behavior
        if b is not None and b["type"] == "drop":
            x, y, z = inst.position
            out[idx] = dataclasses.replace(inst, position=(x, y, z + b["height"]))
    _check_refs(scenario, out, names, file)
    return out, cameras, _scene(scenario, sampler, out, names, ground)


def _ground_rule(inst: ObjectInstance, spec: Any, j: int, p: str, scenario: Scenario, base: Path) -> ObjectInstance:
    """Apply the z convention (see :mod:`simgen.scenario.grounding`) and refuse bodies that start sunk.

    A grounded actor's ``position`` z is its feet height above its support: its instance
    position becomes the centre it would have over a support at z = 0 (the world lifts it onto
    the real support). Waypoint z stays a feet height (the world applies it every step).
    """
    file = scenario.source
    grounded = is_grounded(inst.type)
    # extents about the base are exact for primitives and generated assets, not for URDFs and meshes
    exact = inst.type in ("box", "sphere", "cylinder", "capsule") or ("params" in inst.shape and not _is_surface(inst))
    flat = scenario.world.ground.type in ("plane", "checker") and exact
    if not grounded and not flat:
        return inst
    half_z = float(world_half_extents(inst, base)[2])
    moved = inst.behavior is not None and inst.behavior["type"] in ("waypoints", "follow")
    given = "position" in spec.model_fields_set  # the default position is no request to check
    if spec.placement is None and not moved and (given or grounded):  # a path or target decides where it starts
        check_clearance(inst.name, float(inst.position[2]), grounded, half_z, f"objects[{j}].position", file, flat)
    carried = isinstance(spec.placement, _PlacedAfter)  # the placement moves the path: its z is relative
    for k, z in [] if carried else waypoint_paths(inst.behavior):
        check_clearance(inst.name, z, grounded, half_z, f"objects[{j}].behavior.points[{k}]", file, flat)
    if grounded and spec.placement is None:
        x, y, z = inst.position
        return dataclasses.replace(inst, position=(x, y, z + half_z))
    return inst


def _resolve_instance(
    inst: ObjectInstance,
    spec: Any,
    sampler: Sampler,
    p: str,
    label: int | None,
    key: str,
    file: str | None,
    base: Path,
) -> ObjectInstance:
    """An instance with its label id, metadata, behavior and joints drawn; its asset read (errors at ``key``)."""
    kind = kind_of(inst.type)
    behavior = resolve(spec.behavior, sampler, f"{p}.behavior") if spec.behavior is not None else None
    update: dict[str, Any] = {
        "label_id": label,
        "metadata": {**kind.attributes(inst.shape), **spec.metadata},
        "behavior": behavior,
        "joints": {n: float(sampler.draw(v, f"{p}.joints.{n}")) for n, v in spec.joints.items()},
        "spawn": spec.spawn,
    }
    names = kind.joint_names()
    known: tuple[str, ...] = () if names is None else names
    for joint in spec.joints if names is not None else ():
        if joint not in known:
            raise ScenarioError(
                f"the {spec.type} has no joint '{joint}'",
                file=file,
                path=f"{key}.joints.{joint}",
                hint=did_you_mean(joint, list(known)) or f"joints: {', '.join(known)}",
            )
    if behavior is not None and behavior["type"] == "static":
        update["mass"] = 0.0
    inst = dataclasses.replace(inst, **update)
    if kind.reads_files:
        try:  # read the asset now, so a bad file is reported at its key path before anything renders
            local_half_extents(inst, base)
        except AssetError as err:
            issue = err.issues[0]
            raise AssetError(issue.message, file=file, path=f"{key}.path", hint=issue.hint) from None
    return inst


def _place(
    inst: ObjectInstance,
    half: np.ndarray,
    p: str,
    key: str,
    region: Any,
    out: list[ObjectInstance],
    names: dict[str, int],
    boxes: list[tuple[np.ndarray, np.ndarray, str]],
    terrain: tuple[np.ndarray, Any] | None,
    sampler: Sampler,
    file: str | None,
    base: Path,
) -> np.ndarray:
    """Draw ``inst``'s centre in its placement region, retrying until it overlaps no earlier box."""
    if is_grounded(inst.type) and region.anchor != "bottom":
        raise ScenarioError(
            f"'{inst.name}' walks or drives: it stands on its support, so anchor: centre does not apply",
            file=file,
            path=f"{key}.placement.anchor",
            hint="remove anchor: it stands on the support under the point the region draws",
        )
    support, skip = None, ""
    if region.region == "surface":
        if region.support == "ground":
            x0, y0, x1, y1 = region.area
            support = (np.array([(x0 + x1) / 2, (y0 + y1) / 2, 0.0]), np.array([(x1 - x0) / 2, (y1 - y0) / 2, 0.0]))
        else:
            s = out[_resolve_ref(region.support, names, f"{p}.placement.support", file)]
            support = (np.asarray(s.position, float), world_half_extents(s, base))
            skip = s.name
    rng = sampler.rng(f"{p}.placement")
    clash = None
    for _ in range(region.max_tries):
        try:
            c = REGIONS[region.region](region, rng, half, support)
        except ValueError as err:
            raise ScenarioError(
                f"cannot place '{inst.name}' on '{region.support}': {err}", file=file, path=f"{p}.placement"
            ) from None
        if terrain is not None and region.region == "surface" and region.support == "ground":
            c[2] += terrain_top(terrain[0], terrain[1], c, half)
        clash = _overlaps(c, half, boxes, skip) if region.avoid_overlap else None
        if clash is None:
            break
    else:
        raise ScenarioError(
            f"could not place '{inst.name}' in its {region.region} region without overlapping "
            f"'{clash}' after {region.max_tries} tries",
            file=file,
            path=f"{p}.placement",
            hint="enlarge the region, lower the count, or raise max_tries",
        )
    return c


def _check_refs(scenario: Scenario, out: list[ObjectInstance], names: dict[str, int], file: str | None) -> None:
    specs = {o.name: j for j, o in enumerate(scenario.objects)}
    for inst in out:
        b = inst.behavior
        if b is not None and b["type"] == "follow":
            _resolve_ref(b["target"], names, f"objects[{specs[inst.source]}].behavior.target", file)


def _ground(scenario: Scenario, sampler: Sampler) -> dict[str, Any]:
    """Checker or heightfield parameters of the ground (terrain seed drawn and recorded)."""
    w = scenario.world
    ground: dict[str, Any] = {}
    if w.ground.type == "checker":
        ground = {"checker": resolve(w.ground.checker, sampler, "world.ground.checker")}
    elif w.ground.type == "heightfield":
        hf = resolve(w.ground.heightfield, sampler, "world.ground.heightfield")
        if hf["source"] == "image" and not hf.get("path"):
            raise ScenarioError(
                "a heightfield with source: image needs 'path'",
                file=scenario.source,
                path="world.ground.heightfield.path",
            )
        if hf["source"] == "image":
            from simgen.scenario.assets import check_asset_path, resolve_asset
            from simgen.scenario.terrain import heightmap_problem

            problem = check_asset_path(hf["path"], scenario.base_dir, kind="heightmap")
            if problem is None:
                problem = heightmap_problem(resolve_asset(hf["path"], scenario.base_dir))
            if problem:
                raise AssetError(
                    problem[0], file=scenario.source, path="world.ground.heightfield.path", hint=problem[1]
                )
        if hf["source"] == "noise":
            hf["seed"] = int(sampler.rng("world.ground.heightfield.seed").integers(0, 2**31 - 1))
        ground = {"heightfield": hf}
    return ground


def _scene(
    scenario: Scenario, sampler: Sampler, out: list[ObjectInstance], names: dict[str, int], ground: dict[str, Any]
) -> SceneSpec:
    w = scenario.world
    file = scenario.source
    hours = None if w.time_of_day is None else float(sampler.draw(w.time_of_day, "world.time_of_day"))
    light = dict(DEFAULT_LIGHT) if hours is None else sun_light(hours)
    light.update(resolve(w.light, sampler, "world.light"))
    light = {k: tuple(v) if isinstance(v, list) else v for k, v in light.items()}
    sky: tuple[float, ...] | None
    if w.sky is not None:
        sky = tuple(resolve(w.sky, sampler, "world.sky"))[:3]
    else:
        sky = DEFAULT_SKY if hours is None else sky_color(hours)
    haze = resolve(w.haze, sampler, "world.haze") if w.haze is not None else None
    events = []
    spawnable = {o.source for o in out if not o.spawn}
    for i, ev in enumerate(scenario.events):
        p = f"events[{i}]"
        trig = resolve(ev.trigger, sampler, f"{p}.trigger")
        if trig["type"] == "window":
            if trig["end"] < trig["start"]:
                raise ScenarioError("window end is before its start", file=file, path=f"{p}.trigger.end")
            trig["at"] = float(sampler.rng(f"{p}.trigger.at").uniform(trig["start"], trig["end"]))
            sampler.sampled[f"{p}.trigger.at"] = trig["at"]
        for key in ("a", "b"):
            if trig.get(key) is not None and trig[key] != "ground":
                trig[key] = out[_resolve_ref(trig[key], names, f"{p}.trigger.{key}", file)].name
        actions = []
        for a, act in enumerate(ev.actions):
            d = resolve(act, sampler, f"{p}.actions[{a}]")
            for key in ("object", "actor"):
                if key in d:
                    if d["type"] == "spawn":
                        if d[key] not in spawnable:
                            raise ScenarioError(
                                f"'{d[key]}' is not an object declared with 'spawn: false'",
                                file=file,
                                path=f"{p}.actions[{a}].{key}",
                            )
                    else:
                        d[key] = out[_resolve_ref(d[key], names, f"{p}.actions[{a}].{key}", file)].name
            actions.append(d)
        events.append({"name": ev.name, "trigger": trig, "actions": actions})
    return SceneSpec(
        light=light,
        sky=None if sky is None else (float(sky[0]), float(sky[1]), float(sky[2])),
        haze=haze,
        ground=ground,
        time_of_day=hours,
        events=tuple(events),
    )
