"""Events: triggers checked after every physics step, actions run when they fire.

One registry of trigger checks and one of actions, keyed by the YAML ``type`` names of
:mod:`simgen.scenario.world_models`. Each event fires at most once; the world appends a record
``{event, trigger, time, step, actions}`` to the episode's event log (listed in the manifest).
Sensor faults (the actions each sensor type declares in its registration) become
:class:`~simgen.scenario.scene_spec.FaultWindow` records that the sensors (and the image-time
camera faults) query with :meth:`World.active_faults`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from simgen.scenario.scene_spec import FaultWindow
from simgen.scenario.world_models import fault_types

if TYPE_CHECKING:
    from simgen.sim.world import World

TriggerCheck = Callable[["World", dict[str, Any]], bool]
ActionRun = Callable[["World", dict[str, Any], str], None]
TRIGGERS: dict[str, TriggerCheck] = {}
ACTIONS: dict[str, ActionRun] = {}
EPS = 1e-9


def trigger(name: str) -> Callable[[TriggerCheck], TriggerCheck]:
    """Register the check of trigger ``type: name``."""

    def deco(fn: TriggerCheck) -> TriggerCheck:
        TRIGGERS[name] = fn
        return fn

    return deco


def action(name: str) -> Callable[[ActionRun], ActionRun]:
    """Register the action ``type: name``."""

    def deco(fn: ActionRun) -> ActionRun:
        ACTIONS[name] = fn
        return fn

    return deco


@trigger("at")
@trigger("window")
def _at(world: World, trig: dict[str, Any]) -> bool:
    return world.time >= trig["at"] - EPS


@trigger("proximity")
def _proximity(world: World, trig: dict[str, Any]) -> bool:
    a, b = world.uid_by_name(trig["a"]), world.uid_by_name(trig["b"])
    if a is None or b is None:
        return False
    pa, pb = world.body_pose(a)[0], world.body_pose(b)[0]
    return float(np.linalg.norm(np.subtract(pa, pb))) <= trig["distance"] + EPS


@trigger("contact")
def _contact(world: World, trig: dict[str, Any]) -> bool:
    a = world.uid_by_name(trig["a"])
    if a is None:
        return False
    p, cid = world.client.p, world.client.id
    other = trig.get("b")
    if other is None:
        return len(p.getContactPoints(bodyA=a, physicsClientId=cid)) > 0
    b = world.ground_uid if other == "ground" else world.uid_by_name(other)
    if b is None or b < 0:
        return False
    return len(p.getContactPoints(bodyA=a, bodyB=b, physicsClientId=cid)) > 0


@action("spawn")
def _spawn(world: World, act: dict[str, Any], event: str) -> None:
    world.spawn(act["object"])


@action("remove")
def _remove(world: World, act: dict[str, Any], event: str) -> None:
    world.remove(act["object"])


@action("impulse")
def _impulse(world: World, act: dict[str, Any], event: str) -> None:
    iid = world.iid_by_name(act["object"])
    if iid is not None:
        world.queue_impulse(iid, act["impulse"])


@action("set_speed")
def _set_speed(world: World, act: dict[str, Any], event: str) -> None:
    iid = world.iid_by_name(act["actor"])
    ctrl = world.controllers.get(iid) if iid is not None else None
    if ctrl is not None:
        ctrl.speed_override = act["speed"]


@action("set_light")
def _set_light(world: World, act: dict[str, Any], event: str) -> None:
    for key in ("intensity", "ambient", "color", "direction"):
        if act.get(key) is not None:
            world.light[key] = tuple(act[key]) if isinstance(act[key], list) else act[key]


def _fault(world: World, act: dict[str, Any], event: str) -> None:
    params = {k: v for k, v in act.items() if k not in ("type", "camera", "sensor", "duration")}
    sensor = act.get("camera", act.get("sensor"))
    t = world.time
    world.faults.append(FaultWindow(act["type"], sensor, t, t + act["duration"], params, event))


def action_run(kind: str) -> ActionRun:
    """What action ``type: kind`` does: a registered world action, or a sensor fault window."""
    if kind in ACTIONS:
        return ACTIONS[kind]
    if kind in fault_types():  # declared by a sensor type's registration
        return _fault
    raise KeyError(f"no action '{kind}'")


class EventRunner:
    """Checks the episode's events after each step and fires each at most once."""

    def __init__(self, events: tuple[dict[str, Any], ...]) -> None:
        self.events = list(events)
        self.fired: set[int] = set()

    def check(self, world: World) -> None:
        """Fire every not-yet-fired event whose trigger holds now, in declaration order."""
        for i, ev in enumerate(self.events):
            if i in self.fired or not TRIGGERS[ev["trigger"]["type"]](world, ev["trigger"]):
                continue
            self.fired.add(i)
            for act in ev["actions"]:
                action_run(act["type"])(world, act, ev["name"])
            world.spec.event_log.append(
                {
                    "event": ev["name"],
                    "trigger": ev["trigger"]["type"],
                    "time": round(world.time, 9),
                    "step": world.steps,
                    "actions": [a["type"] for a in ev["actions"]],
                }
            )
