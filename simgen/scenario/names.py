"""Every name a scenario uses to point at something must resolve when the file is loaded.

References by name, and what each must name:

- ``objects[].behavior.target`` (follow), ``objects[].placement.support`` (surface, or
  ``ground``), ``events[].trigger.a`` / ``.b`` (proximity: two objects; contact: ``b`` may be
  ``ground``), ``events[].actions[].object`` (remove, impulse) and ``.actor`` (set_speed: an
  actor that has a speed, i.e. a waypoints or follow behaviour): an object name (its first
  instance) or an instance name ``<object>_<K>`` with K below the object's largest count;
- ``events[].actions[].object`` of ``spawn``: an object declared with ``spawn: false`` (a
  template: all its instances appear);
- ``events[].actions[].camera`` of a camera fault: a camera as the episode has it, so a stereo
  pair is ``<name>_left`` / ``<name>_right`` and a surround rig ``<name>_<K>``; omitted: all;
- ``events[].actions[].sensor`` of any other sensor fault (``lidar_dropout``, ``imu_bias_jump``,
  or one a sensor type registers): an entry of ``sensors:`` of the type that declares the fault;
  omitted: all of that type, of which there must be at least one.

Mount bodies and actors are checked with the sensors (:func:`simgen.scenario.sensor_models.check_sensors`),
classes in :func:`simgen.scenario.loader.check_semantics`. A name that points nowhere used to be
found only while sampling, or never (a fault aimed at a sensor that does not exist does nothing);
here it is a located error with a did-you-mean, for ``simgen validate`` and ``simgen.load`` alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from simgen.errors import did_you_mean
from simgen.sensors.registry import sensor_faults

KeyPath = tuple[str | int, ...]
Add = Callable[..., None]
MAX_SUGGESTED_INSTANCES = 16  # instance names offered per object in a did-you-mean
SPEED_BEHAVIORS = ("waypoints", "follow")


def fault_targets() -> dict[str, str]:
    """Fault action name -> the sensor type it faults (a ``camera`` fault names a camera), from the registry."""
    return {name: owner for name, (owner, _) in sensor_faults().items()}


def largest_count(count: Any) -> int | None:
    """Most instances an object entry can have (None when its count is not known before sampling)."""
    support = getattr(count, "support", None)
    if support is None:
        return None
    most = float(support()[1])  # a ${...} reference may only know an unbounded range
    return int(most) if math.isfinite(most) else None


def camera_names(scenario: Any) -> list[str]:
    """Camera names as episodes have them: stereo pairs and surround rigs expanded."""
    names: list[str] = []
    for cam in scenario.cameras:
        if cam.stereo is not None:
            names += [f"{cam.name}_left", f"{cam.name}_right"]
        elif cam.surround is not None:
            names += [f"{cam.name}_{k}" for k in range(cam.surround)]
        else:
            names.append(cam.name)
    return names


class ObjectNames:
    """The objects of a scenario and the instance names ``<object>_<K>`` they can have."""

    def __init__(self, scenario: Any) -> None:
        self.most = {o.name: largest_count(o.count) for o in scenario.objects}
        self.behavior = {o.name: (o.behavior.type if o.behavior is not None else "physics") for o in scenario.objects}
        self.templates = [o.name for o in scenario.objects if not o.spawn]

    def object_of(self, ref: str) -> str | None:
        """The object entry ``ref`` names (itself or one of its instances), or None."""
        if ref in self.most and self.most[ref] != 0:
            return ref
        base, _, k = ref.rpartition("_")
        if base in self.most and k.isdigit() and str(int(k)) == k:
            most = self.most[base]
            if most is None or int(k) < most:
                return base
        return None

    def choices(self) -> list[str]:
        """Names offered in a did-you-mean: every object and its first instances."""
        out = list(self.most)
        for name, most in self.most.items():
            out += [f"{name}_{k}" for k in range(min(most if most is not None else 1, MAX_SUGGESTED_INSTANCES))]
        return out

    def unknown(self, ref: str) -> tuple[str, str]:
        """Message and hint for a reference that names no object or instance."""
        hint = did_you_mean(ref, self.choices()) or "use an object's name or name_K for its K-th instance"
        if self.most.get(ref) == 0:
            return f"no object or instance named '{ref}'", f"'{ref}' has no instances (its count is 0)"
        base, _, k = ref.rpartition("_")
        most = self.most.get(base)
        if k.isdigit() and most is not None:
            hint = f"'{base}' has at most {most} instances, {base}_0 .. {base}_{most - 1}"
            if most == 0:
                hint = f"'{base}' has no instances (its count is 0)"
        return f"no object or instance named '{ref}'", hint


def check_names(scenario: Any, add: Add) -> None:
    """Report every reference by name that resolves to nothing, through ``add(path, message, hint)``."""
    objects = ObjectNames(scenario)

    def need_object(path: KeyPath, ref: str | None, *, ground: bool = False) -> str | None:
        if ref is None or (ground and ref == "ground"):
            return None
        if ref == "ground":
            add(path, "'ground' is not an object here", "name an object or instance")
            return None
        found = objects.object_of(ref)
        if found is None:
            add(path, *objects.unknown(ref))
        return found

    for j, obj in enumerate(scenario.objects):
        b = obj.behavior
        if b is not None and b.type == "follow":
            if need_object(("objects", j, "behavior", "target"), b.target) == obj.name:
                add(("objects", j, "behavior", "target"), f"'{obj.name}' cannot follow itself")
        region = obj.placement
        if getattr(region, "region", None) == "surface":
            need_object(("objects", j, "placement", "support"), region.support, ground=True)
    cameras = camera_names(scenario)
    for j, obj in enumerate(scenario.objects):
        _check_placement(obj, ("objects", j, "placement"), cameras, need_object, add)
    sensors = {s.name: s.type for s in scenario.sensors}
    for i, ev in enumerate(scenario.events):
        trig = ev.trigger
        if trig.type == "proximity":
            need_object(("events", i, "trigger", "a"), trig.a)
            need_object(("events", i, "trigger", "b"), trig.b)
        elif trig.type == "contact":
            need_object(("events", i, "trigger", "a"), trig.a)
            need_object(("events", i, "trigger", "b"), trig.b, ground=True)
        for a, act in enumerate(ev.actions):
            _check_action(act, ("events", i, "actions", a), objects, cameras, sensors, need_object, add)


def _check_placement(
    obj: Any, path: KeyPath, cameras: list[str], need_object: Callable[..., str | None], add: Add
) -> None:
    """Names in relative placements: the reference object (not the object itself) and the camera."""
    region = obj.placement
    for key in ("relative_to", "behind"):
        ref = getattr(region, key, None)
        if ref is not None and need_object((*path, key), ref) == obj.name:
            add((*path, key), f"'{obj.name}' cannot be placed relative to itself")
    for key in ("hidden_from", "visible_from"):
        cam = getattr(region, key, None)
        if cam is not None and cam not in cameras:
            hint = did_you_mean(cam, cameras) or f"cameras: {', '.join(cameras)}"
            add((*path, key), f"no camera named '{cam}'", hint)


def _check_action(
    act: Any,
    path: KeyPath,
    objects: ObjectNames,
    cameras: list[str],
    sensors: dict[str, str],
    need_object: Callable[..., str | None],
    add: Add,
) -> None:
    kind = act.type
    if kind == "spawn":
        if act.object not in objects.templates:
            if objects.object_of(act.object) is not None:
                message = f"'{act.object}' is not an object declared with 'spawn: false'"
                hint = f"add 'spawn: false' to the object '{objects.object_of(act.object)}' to spawn it by event"
            else:
                message = f"no object named '{act.object}' to spawn"
                hint = did_you_mean(act.object, objects.templates) or (
                    f"objects with spawn: false: {', '.join(objects.templates)}"
                    if objects.templates
                    else "declare the object with 'spawn: false'"
                )
            add((*path, "object"), message, hint)
    elif kind in ("remove", "impulse"):
        need_object((*path, "object"), act.object)
    elif kind == "set_speed":
        found = need_object((*path, "actor"), act.actor)
        if found is not None and objects.behavior[found] not in SPEED_BEHAVIORS:
            add(
                (*path, "actor"),
                f"'{act.actor}' has no speed to set (its behavior is {objects.behavior[found]})",
                "set_speed drives actors with a waypoints or follow behavior",
            )
    elif fault_targets().get(kind) == "camera":
        if act.camera is not None and act.camera not in cameras:
            rig = [c for c in cameras if c.startswith(f"{act.camera}_")]
            hint = did_you_mean(act.camera, cameras) or f"cameras: {', '.join(cameras)}"
            if rig:
                hint = f"'{act.camera}' is a rig; its cameras are {', '.join(rig)}"
            add((*path, "camera"), f"no camera named '{act.camera}'", hint)
    elif kind in fault_targets():
        want = fault_targets()[kind]
        of_type = [n for n, t in sensors.items() if t == want]
        if act.sensor is None:
            if not of_type:
                add(path, f"{kind} needs {_a(want)} sensor, but 'sensors:' has none", f"add {_a(want)} to 'sensors:'")
        elif act.sensor not in of_type:
            if act.sensor in sensors:
                message = f"sensor '{act.sensor}' is {_a(sensors[act.sensor])}, not {_a(want)}"
            else:
                message = f"no {want} sensor named '{act.sensor}'"
            hint = did_you_mean(act.sensor, of_type) or (
                f"{want} sensors: {', '.join(of_type)}" if of_type else f"add {_a(want)} to 'sensors:'"
            )
            add((*path, "sensor"), message, hint)


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


__all__ = ["ObjectNames", "camera_names", "check_names", "fault_targets", "largest_count"]
