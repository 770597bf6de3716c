"""Actor behaviours: one small controller class per YAML ``behavior.type``, in one registry.

A controller is created when its body is built and is called by :meth:`World.step` around every
physics step: ``before_step(t, dt)`` (apply forces) and ``after_step(t)`` (kinematic poses, at
the new time ``t``). Kinematic actors (waypoints, follow) get mass 0 and are placed exactly
where their path says at each step, so their poses are analytic; dynamic bodies still collide
with them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simgen.sim.world import World

Pose = tuple[np.ndarray, np.ndarray]  # position (3,), quaternion xyzw (4,)


class Controller:
    """Base behaviour: physics only (nothing to do). Subclasses override the hooks they need."""

    kinematic = False

    def __init__(self, world: World, iid: int, params: dict[str, Any]) -> None:
        self.world = world
        self.iid = iid
        self.params = params
        pos, orn = world.base_pose(iid)
        self.initial: Pose = (np.asarray(pos, float), np.asarray(orn, float))
        self.speed_override: float | None = None

    @property
    def uid(self) -> int:
        """The actor's pybullet body uid."""
        return self.world.uid_of[self.iid]

    def start(self) -> None:
        """Called once right after the body is created."""

    def before_step(self, t: float, dt: float) -> None:
        """Called before the physics step from ``t`` to ``t + dt``."""

    def after_step(self, t: float) -> None:
        """Called after the physics step, ``t`` being the new simulated time."""


CONTROLLERS: dict[str, type[Controller]] = {}


def controller(name: str) -> Callable[[type[Controller]], type[Controller]]:
    """Register the controller class of ``behavior.type: name``."""

    def deco(cls: type[Controller]) -> type[Controller]:
        CONTROLLERS[name] = cls
        return cls

    return deco


def _yaw_quat(yaw: float) -> np.ndarray:
    return np.array([0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)])


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of quaternions in xyzw order (a then b applied in a's frame: a * b)."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ]
    )


@controller("static")
class Static(Controller):
    """Never moves: built with mass 0."""


@controller("physics")
class Physics(Controller):
    """Physics-driven with a velocity at t = 0."""

    def start(self) -> None:
        """Set the initial linear and angular velocity."""
        w = self.world
        w.client.p.resetBaseVelocity(
            self.uid, self.params["velocity"], self.params["angular_velocity"], physicsClientId=w.client.id
        )


@controller("waypoints")
class Waypoints(Controller):
    """Kinematic motion along a polyline at a per-segment speed; arc length advances by v * dt."""

    kinematic = True

    def __init__(self, world: World, iid: int, params: dict[str, Any]) -> None:
        super().__init__(world, iid, params)
        pts = np.asarray(params["points"], dtype=float)
        if params.get("loop"):
            pts = np.vstack([pts, pts[:1]])
        self.points = pts
        seg = np.diff(pts, axis=0)
        self.lengths = np.linalg.norm(seg, axis=1)
        self.cum = np.concatenate([[0.0], np.cumsum(self.lengths)])
        n = len(seg)
        speeds = params.get("speeds")
        self.speeds = np.asarray(speeds if speeds else [params["speed"]] * n, dtype=float)
        if len(self.speeds) < n:
            self.speeds = np.concatenate([self.speeds, np.full(n - len(self.speeds), self.speeds[-1])])
        self.s = 0.0

    def segment(self) -> int:
        """Index of the segment the actor is on."""
        s = self.s % self.cum[-1] if self.params.get("loop") and self.cum[-1] > 0 else self.s
        return int(np.clip(np.searchsorted(self.cum, s, side="right") - 1, 0, len(self.lengths) - 1))

    def position(self) -> tuple[np.ndarray, int]:
        """World position at the current arc length, and the segment index."""
        total = self.cum[-1]
        s = self.s % total if self.params.get("loop") and total > 0 else min(self.s, total)
        i = int(np.clip(np.searchsorted(self.cum, s, side="right") - 1, 0, len(self.lengths) - 1))
        f = (s - self.cum[i]) / self.lengths[i] if self.lengths[i] > 0 else 0.0
        return self.points[i] + f * (self.points[i + 1] - self.points[i]), i

    def start(self) -> None:
        """Put the actor at the first waypoint."""
        self.after_step(self.world.time)

    def before_step(self, t: float, dt: float) -> None:
        """Advance the arc length for the part of this step after ``start``."""
        moving = max(0.0, min(dt, t + dt - self.params["start"]))
        v = self.speed_override if self.speed_override is not None else self.speeds[self.segment()]
        self.s += v * moving

    def after_step(self, t: float) -> None:
        """Place the body at its path position (facing the segment direction if asked)."""
        pos, i = self.position()
        orn = self.initial[1]
        if self.params.get("face_motion", True):
            d = self.points[i + 1] - self.points[i]
            if abs(d[0]) + abs(d[1]) > 1e-12:
                orn = quat_mul(_yaw_quat(math.atan2(d[1], d[0])), orn)
        placed = self.world.on_support(self.iid, pos, orn, clearance=float(pos[2]))  # z: feet above support
        self.world.set_kinematic_pose(self.iid, placed, orn)


@controller("trajectory")
class Trajectory(Controller):
    """Kinematic timed path: the pose at time ``t`` is interpolated between the bracketing points."""

    kinematic = True

    def __init__(self, world: World, iid: int, params: dict[str, Any]) -> None:
        super().__init__(world, iid, params)
        self.points = np.asarray(params["points"], dtype=float)
        self.times = np.asarray(params["times"], dtype=float)
        yaw = params.get("yaw")
        if yaw is None:
            d = np.diff(self.points[:, :2], axis=0)
            seg = np.arctan2(d[:, 1], d[:, 0])
            moving = np.hypot(d[:, 0], d[:, 1]) > 1e-9
            # a standing segment keeps the heading of the last moving one (or the next, at the start)
            last = seg[moving][0] if np.any(moving) else 0.0
            heads = []
            for a, m in zip(seg, moving, strict=True):
                last = a if m else last
                heads.append(last)
            self.yaw = np.unwrap(np.array([*heads, heads[-1]]))
        else:
            self.yaw = np.unwrap(np.radians(np.asarray(yaw, dtype=float)))

    def start(self) -> None:
        """Put the actor at its pose at the current time."""
        self.after_step(self.world.time)

    def after_step(self, t: float) -> None:
        """Place the body at its interpolated position and heading."""
        pos = np.array([np.interp(t, self.times, self.points[:, k]) for k in range(3)])
        yaw = float(np.interp(t, self.times, self.yaw))
        orn = quat_mul(_yaw_quat(yaw), self.initial[1])
        placed = self.world.on_support(self.iid, pos, orn, clearance=float(pos[2]))  # z: feet above support
        self.world.set_kinematic_pose(self.iid, placed, orn)


@controller("drop")
class Drop(Controller):
    """Held still until ``at``, then released to fall under physics."""

    def after_step(self, t: float) -> None:
        """Keep the body at its start pose, at rest, until release."""
        if t <= self.params["at"] + 1e-12:
            self.world.set_kinematic_pose(self.iid, *self.initial, keep_velocity=False)

    def start(self) -> None:
        """Hold from the beginning."""
        self.after_step(self.world.time)


@controller("force")
class Force(Controller):
    """A constant world-frame force at the centre of mass during ``[start, start + duration)``."""

    def before_step(self, t: float, dt: float) -> None:
        """Apply the force when ``t`` is inside the window."""
        p0 = self.params["start"]
        if p0 - 1e-12 <= t < p0 + self.params["duration"] - 1e-12:
            self.world.apply_force(self.iid, self.params["force"])


@controller("follow")
class Follow(Controller):
    """Kinematic: keeps ``offset`` (in the target's frame) from a target, rigidly or at most ``speed``."""

    kinematic = True

    def desired(self) -> Pose | None:
        """Target pose composed with the offset; None when the target is gone."""
        target = self.world.uid_by_name(self.params["target"])
        if target is None:
            return None
        pos, orn = self.world.body_pose(target)
        rot = np.asarray(self.world.client.p.getMatrixFromQuaternion(orn), dtype=float).reshape(3, 3)
        return np.asarray(pos) + rot @ np.asarray(self.params["offset"], float), np.asarray(orn, float)

    def start(self) -> None:
        """Snap onto the target when rigid; chasers start where they were placed."""
        if self.params.get("speed") is None:
            self.after_step(self.world.time)

    def after_step(self, t: float) -> None:
        """Move towards (or onto) the desired pose."""
        want = self.desired()
        if want is None:
            return
        speed = self.speed_override if self.speed_override is not None else self.params.get("speed")
        if speed is None:
            self.world.set_kinematic_pose(self.iid, self.world.on_support(self.iid, *want), want[1])
            return
        cur, orn = self.world.base_pose(self.iid)
        delta = want[0] - np.asarray(cur)
        dist = float(np.linalg.norm(delta))
        step = speed * self.world.spec.world.time_step
        new = want[0] if dist <= step else np.asarray(cur) + delta * (step / dist)
        self.world.set_kinematic_pose(self.iid, self.world.on_support(self.iid, new, orn), np.asarray(orn))


def make_controller(world: World, iid: int, behavior: dict[str, Any] | None) -> Controller | None:
    """The controller of an instance's resolved ``behavior`` (None for plain physics bodies)."""
    if behavior is None:
        return None
    return CONTROLLERS[behavior["type"]](world, iid, behavior)
