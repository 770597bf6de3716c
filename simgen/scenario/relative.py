"""Placements that read other poses: next to an object, hidden behind one, or in a camera's view.

``relative_to`` placements are drawn after the region placements (so the reference is where it
will be), ``hidden_from``/``visible_from`` ones after the cameras. Each try draws ``gap`` and
``lateral`` from the placement's own generator (key path ``objects[j][k].placement``), so the
episode stays a pure function of (seed, episode, attempt). The visibility half of the sugar is a
``require:`` condition (:meth:`HiddenPlacement.conditions`), checked by rejection sampling.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simgen.errors import ScenarioError
from simgen.scenario.distributions import Constant, Ref
from simgen.scenario.world_models import HiddenPlacement, RelativePlacement, VisiblePlacement

if TYPE_CHECKING:
    from simgen.scenario.sampling import Sampler
    from simgen.scenario.spec import ObjectInstance
    from simgen.sensors.camera.model import CameraSpec

Box = tuple[np.ndarray, np.ndarray, str]


def draw_value(value: Any, sampler: Sampler, rng: np.random.Generator, path: str) -> float:
    """A fresh draw per try for distributions; references and constants as they are."""
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Constant):
        return float(value.value)
    if isinstance(value, Ref):
        return float(sampler.draw(value, path))
    return float(value.sample(rng))


def start_pose(inst: ObjectInstance) -> tuple[np.ndarray, np.ndarray]:
    """(position, rotation) an instance starts the episode with: a waypoint actor at its first point."""
    from simgen.scenario.requirements import heading, start_position
    from simgen.scenario.sample_world import local_half_extents

    pos = start_position(inst)
    if _starts_on_feet(inst):  # its first waypoint's z is a feet height: the world stands its centre higher
        pos[2] += float(local_half_extents(inst, Path("."))[2])  # walking and driving kinds read no files
    return pos, heading(inst)


def support(rot: np.ndarray, half: np.ndarray, direction: np.ndarray) -> float:
    """Half-width of a box (rotation ``rot``, local half extents ``half``) along a world unit ``direction``."""
    return float(np.abs(rot.T @ direction) @ half)


def carry_path(inst: ObjectInstance, pos: np.ndarray) -> ObjectInstance:
    """The instance at ``pos``, its waypoint path (if any) moved so that it starts there."""
    from simgen.scenario.grounding import is_grounded

    b = inst.behavior
    update: dict[str, Any] = {"position": tuple(float(v) for v in pos)}
    if b is not None and b.get("type") == "waypoints":
        shift = pos - np.asarray(b["points"][0], dtype=float)
        if is_grounded(inst.type):
            shift[2] = 0.0  # a walking or driving actor's waypoint z is its feet height: it stays
        update["behavior"] = {**b, "points": [[float(v) for v in np.asarray(q, float) + shift] for q in b["points"]]}
    return dataclasses.replace(inst, **update)


def _starts_on_feet(inst: ObjectInstance) -> bool:
    """True when ``inst``'s start z is a feet height: a walking or driving actor on waypoints."""
    from simgen.scenario.grounding import is_grounded

    b = inst.behavior or {}
    return b.get("type") == "waypoints" and is_grounded(inst.type)


def _beside(
    ref: ObjectInstance,
    inst: ObjectInstance,
    direction: np.ndarray,
    across: np.ndarray,
    offsets: tuple[float, float],
    base: Path,
) -> np.ndarray:
    """Centre of ``inst`` ``gap`` past ``ref``'s box along ``direction``, ``lateral`` along ``across``, grounded."""
    from simgen.scenario.sample_world import _rotation, local_half_extents

    gap, lateral = offsets
    r_pos, r_rot = start_pose(ref)
    o_rot = _rotation(inst.orientation)
    o_half, r_half = local_half_extents(inst, base), local_half_extents(ref, base)
    reach = support(r_rot, r_half, direction) + gap + support(o_rot, o_half, direction)
    c = r_pos + direction * reach + across * lateral
    up = np.array([0.0, 0.0, 1.0])
    c[2] = r_pos[2] - support(r_rot, r_half, up) + support(o_rot, o_half, up)
    return c


def relative_centre(
    region: RelativePlacement, ref: ObjectInstance, inst: ObjectInstance, offsets: tuple[float, float], base: Path
) -> np.ndarray:
    """Centre of ``inst`` on ``region.side`` of ``ref`` in ``ref``'s frame (x forward, y left)."""
    _, rot = start_pose(ref)
    fwd, left = rot[:, 0].copy(), rot[:, 1].copy()
    fwd[2] = left[2] = 0.0
    fwd /= max(np.linalg.norm(fwd), 1e-12)
    left /= max(np.linalg.norm(left), 1e-12)
    direction, across = {
        "front": (fwd, left),
        "behind": (-fwd, left),
        "left": (left, fwd),
        "right": (-left, fwd),
    }[region.side]
    return _beside(ref, inst, direction, across, offsets, base)


def camera_start(cam: CameraSpec, objects: list[ObjectInstance]) -> np.ndarray:
    """(4, 4) world_from_camera at the episode start (a mounted camera on its actor's start pose)."""
    if cam.mount is None or cam.mount_from_camera is None:
        return cam.world_from_camera
    inst = next((o for o in objects if o.name == cam.mount), None)
    if inst is None:
        return cam.world_from_camera
    pos, rot = start_pose(inst)
    world_from_mount = np.eye(4)
    world_from_mount[:3, :3], world_from_mount[:3, 3] = rot, pos
    return world_from_mount @ cam.mount_from_camera


def hidden_centre(
    region: HiddenPlacement,
    cam: np.ndarray,
    ref: ObjectInstance,
    inst: ObjectInstance,
    offsets: tuple[float, float],
    base: Path,
) -> np.ndarray:
    """Centre of ``inst`` on the far side of ``ref`` along the camera's horizontal line of sight to it."""
    r_pos, _ = start_pose(ref)
    sight = r_pos - cam[:3, 3]
    sight[2] = 0.0
    n = float(np.linalg.norm(sight))
    if n < 1e-9:
        raise ValueError("the camera stands on the occluder")
    direction = sight / n
    across = np.array([-direction[1], direction[0], 0.0])
    return _beside(ref, inst, direction, across, offsets, base)


def visible_centre(
    region: VisiblePlacement,
    cam: CameraSpec,
    pose: np.ndarray,
    inst: ObjectInstance,
    rng: np.random.Generator,
    base: Path,
) -> np.ndarray:
    """Centre of ``inst`` on the ground under a pixel drawn uniformly in the image, within ``range``."""
    from simgen.scenario.sample_world import world_half_extents

    u, v = rng.uniform(0, cam.width - 1), rng.uniform(0, cam.height - 1)
    k = cam.K
    d = pose[:3, :3] @ np.array([(u - k[0, 2]) / k[0, 0], (v - k[1, 2]) / k[1, 1], 1.0])
    origin = pose[:3, 3]
    if d[2] >= -1e-9:
        raise ValueError("the pixel looks above the horizon")
    t = -origin[2] / d[2]
    ground = origin + t * d
    dist = math.hypot(*(ground - origin)[:2])
    if not region.range[0] <= dist <= region.range[1]:
        raise ValueError(f"the ground there is {dist:.1f} m away")
    ground[2] = world_half_extents(inst, base)[2]
    return ground


def place_after(
    scenario: Any,
    sampler: Sampler,
    objects: list[ObjectInstance],
    cameras: tuple[CameraSpec, ...] | None,
    boxes: list[Box],
) -> list[ObjectInstance]:
    """Place every relative (``cameras`` None) or view (cameras given) placement, in object order."""
    from simgen.scenario.sample_world import _index_names, _overlaps, world_half_extents

    kinds = (RelativePlacement,) if cameras is None else (HiddenPlacement, VisiblePlacement)
    specs = {o.name: (j, o) for j, o in enumerate(scenario.objects)}
    counters: dict[str, int] = {}
    out = list(objects)
    base = scenario.base_dir
    for idx, inst in enumerate(out):
        j, spec = specs[inst.source]
        k = counters.get(inst.source, 0)
        counters[inst.source] = k + 1
        region = spec.placement
        if not isinstance(region, kinds):
            continue
        p = f"objects[{j}][{k}]"
        names = _index_names(out)
        rng = sampler.rng(f"{p}.placement")
        half = world_half_extents(inst, base)
        clash, problem = None, None
        for _ in range(region.max_tries):
            try:
                c = _centre(region, sampler, rng, p, inst, out, names, cameras, base)
            except ValueError as err:
                problem = str(err)
                continue
            reference = getattr(region, "relative_to", None) or getattr(region, "behind", None)
            skip = out[names[reference]].name if reference in names else ""
            clash = _overlaps(c, half, boxes, skip) if region.avoid_overlap else None
            if clash is None:
                break
        else:
            why = f"overlapping '{clash}'" if clash else problem
            raise ScenarioError(
                f"could not place '{inst.name}' ({why}) after {region.max_tries} tries",
                file=scenario.source,
                path=f"{p}.placement",
                hint="change gap/lateral/range, move the reference, or raise max_tries",
            )
        sampler.sampled[f"{p}.placement"] = [float(v) for v in c]
        out[idx] = carry_path(inst, c)
        boxes.append((c, half, inst.name))
    return out


def _centre(
    region: Any,
    sampler: Sampler,
    rng: np.random.Generator,
    p: str,
    inst: ObjectInstance,
    objects: list[ObjectInstance],
    names: dict[str, int],
    cameras: tuple[CameraSpec, ...] | None,
    base: Path,
) -> np.ndarray:
    """One try's centre for ``region`` (ValueError when this try cannot give one)."""
    from simgen.scenario.sample_world import _resolve_ref

    file = sampler.scenario.source if sampler.scenario is not None else None
    if isinstance(region, VisiblePlacement):
        cam = _camera(region.visible_from, cameras or (), p, file)
        return visible_centre(region, cam, camera_start(cam, objects), inst, rng, base)
    offsets = (
        draw_value(region.gap, sampler, rng, f"{p}.placement.gap"),
        draw_value(region.lateral, sampler, rng, f"{p}.placement.lateral"),
    )
    if isinstance(region, RelativePlacement):
        ref = objects[_resolve_ref(region.relative_to, names, f"{p}.placement.relative_to", file)]
        return relative_centre(region, ref, inst, offsets, base)
    ref = objects[_resolve_ref(region.behind, names, f"{p}.placement.behind", file)]
    cam = _camera(region.hidden_from, cameras or (), p, file)
    return hidden_centre(region, camera_start(cam, objects), ref, inst, offsets, base)


def _camera(name: str, cameras: tuple[CameraSpec, ...], p: str, file: str | None) -> CameraSpec:
    """The episode camera called ``name`` (or a rig's first member); a located error if none."""
    from simgen.errors import did_you_mean

    cam = next((c for c in cameras if c.name == name), None) or next(
        (c for c in cameras if c.name.startswith(f"{name}_")), None
    )
    if cam is None:
        names = [c.name for c in cameras]
        raise ScenarioError(
            f"no camera named '{name}'", file=file, path=f"{p}.placement", hint=did_you_mean(name, names)
        )
    return cam


def occupied(scenario: Any, objects: list[ObjectInstance]) -> list[Box]:
    """Boxes of the spawned objects placement avoids, all but those still to be placed in view."""
    from simgen.scenario.sample_world import _is_surface, world_half_extents

    later = {o.name for o in scenario.objects if isinstance(o.placement, HiddenPlacement | VisiblePlacement)}
    return [
        (np.asarray(o.position, float), world_half_extents(o, scenario.base_dir), o.name)
        for o in objects
        if o.spawn and o.source not in later and not _is_surface(o)
    ]


def place_in_view(
    scenario: Any, sampler: Sampler, objects: list[ObjectInstance], cameras: tuple[CameraSpec, ...]
) -> list[ObjectInstance]:
    """Place the ``hidden_from``/``visible_from`` objects once the cameras are drawn (none: unchanged)."""
    if not any(isinstance(o.placement, HiddenPlacement | VisiblePlacement) for o in scenario.objects):
        return objects
    return place_after(scenario, sampler, objects, cameras, occupied(scenario, objects))
