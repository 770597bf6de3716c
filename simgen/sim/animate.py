"""Motion of moving parts driven by how far a body travels: rolling wheels and walking gaits.

An animator runs after every physics step (see :meth:`World.step`). It measures the distance
the body's base moved along its own forward axis (x) since the last step and turns it into
joint angles, so wheels roll and legs swing exactly as fast as the actor moves, whatever
behaviour or event set the speed, and stop when it stops:

- ``wheels``: each ``wheel`` joint turns by distance / radius (rolling without slip).
- ``quadruped``: a four-beat lateral-sequence walk (hind left, fore left, hind right, fore
  right, a quarter cycle apart); one stride (``STRIDE_PER_LEG`` leg lengths) per gait cycle.
- ``biped`` (the humanoid): legs in anti-phase, arms opposite to the legs, knees flexed in
  swing; above ``RUN_SPEED`` the swing is larger and the elbows bend (running).

Gait phase advances by 2 pi per stride of distance, so cadence follows speed. A leg is in
stance (foot on the ground, sweeping backwards) while ``cos(phase) < 0``: :meth:`Gait.contacts`.
Only kinematically driven bodies animate (a falling ragdoll keeps its physics).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simgen.scenario.spec import ObjectInstance
    from simgen.sim.world import World

STRIDE_PER_LEG = 1.6  # stride length (one full gait cycle) in leg lengths
RUN_SPEED = 2.2  # m/s above which a person runs
QUADRUPED_OFFSETS = {"leg_hl": 0.0, "leg_fl": 0.25, "leg_hr": 0.5, "leg_fr": 0.75}  # cycles


class Animator:
    """Base: tracks the body's forward travel between updates."""

    def __init__(self, world: World, iid: int, uid: int) -> None:
        self.world = world
        self.iid = iid
        self.uid = uid
        pos, _ = world.client.p.getBasePositionAndOrientation(uid, physicsClientId=world.client.id)
        self.last: np.ndarray = np.asarray(pos, dtype=float)
        self.speed = 0.0

    def travel(self, dt: float) -> float:
        """Signed distance (metres) moved along the body's x axis since the last call."""
        p, cid = self.world.client.p, self.world.client.id
        pos, orn = p.getBasePositionAndOrientation(self.uid, physicsClientId=cid)
        pos = np.asarray(pos, dtype=float)
        fwd = np.asarray(p.getMatrixFromQuaternion(orn), dtype=float).reshape(3, 3)[:, 0]
        d = float(np.dot(pos - self.last, fwd))
        self.last = pos
        self.speed = abs(d) / dt if dt > 0 else 0.0
        return d

    def active(self) -> bool:
        """True when a kinematic behaviour moves the body (physics-driven bodies are left alone)."""
        ctrl = self.world.controllers.get(self.iid)
        return ctrl is not None and ctrl.kinematic

    def update(self, dt: float) -> None:
        """Advance by one physics step of ``dt`` seconds."""
        if not self.active():
            return
        self.apply(self.travel(dt))

    def apply(self, distance: float) -> None:
        """Turn ``distance`` metres of forward travel into joint angles."""

    def set_joint(self, j: int, angle: float) -> None:
        """Set joint ``j`` now and as its held target (kinematic re-posing keeps it)."""
        p, cid = self.world.client.p, self.world.client.id
        p.resetJointState(self.uid, j, angle, physicsClientId=cid)
        self.world.joint_targets.setdefault(self.iid, {})[j] = angle


class Wheels(Animator):
    """Rolls every ``wheel`` joint by distance / radius."""

    def __init__(self, world: World, iid: int, uid: int, joints: list[tuple[int, Any]]) -> None:
        super().__init__(world, iid, uid)
        self.wheels = [(j, joint.radius) for j, joint in joints if joint.role == "wheel"]
        self.angle = {j: 0.0 for j, _ in self.wheels}

    def apply(self, distance: float) -> None:
        """Turn each wheel; positive travel turns the top of the wheel forward (+y rotation)."""
        for j, r in self.wheels:
            self.angle[j] = (self.angle[j] + distance / r) % (2 * math.pi)
            self.set_joint(j, self.angle[j])


class Gait(Animator):
    """A cyclic gait: phase advances 2 pi per stride travelled; legs swing as ``-A sin(phase)``."""

    stride = 1.0
    offsets: dict[str, float] = {}

    def __init__(self, world: World, iid: int, uid: int) -> None:
        super().__init__(world, iid, uid)
        self.phase = 0.0
        self.amplitude = 0.0

    def leg_phase(self, leg: str) -> float:
        """Phase (radians) of ``leg`` now."""
        return self.phase + 2 * math.pi * self.offsets[leg]

    def contacts(self) -> dict[str, bool]:
        """Leg -> in stance (foot planted, sweeping backwards relative to the body)."""
        return {leg: math.cos(self.leg_phase(leg)) < 0 for leg in self.offsets}

    def advance(self, distance: float, target_amplitude: float) -> None:
        """Move the phase by the distance travelled; ease the swing amplitude towards its target."""
        self.phase = (self.phase + 2 * math.pi * abs(distance) / self.stride) % (2 * math.pi)
        self.amplitude += 0.1 * (target_amplitude - self.amplitude)


class QuadrupedGait(Gait):
    """Four-beat walk of the ``leg_*`` joints of a quadruped asset."""

    offsets = QUADRUPED_OFFSETS

    def __init__(self, world: World, iid: int, uid: int, joints: list[tuple[int, Any]]) -> None:
        super().__init__(world, iid, uid)
        self.legs = {joint.role: j for j, joint in joints if joint.role in self.offsets}
        leg_len = max([joint.radius for _, joint in joints if joint.role in self.offsets] or [0.5])
        self.stride = STRIDE_PER_LEG * leg_len

    def apply(self, distance: float) -> None:
        """Swing the legs (amplitude grows with speed up to a trot's)."""
        self.advance(distance, min(0.45, 0.25 + 0.08 * self.speed) if self.speed > 0.05 else 0.0)
        for leg, j in self.legs.items():
            self.set_joint(j, -self.amplitude * math.sin(self.leg_phase(leg)))


class BipedGait(Gait):
    """Walk or run of the humanoid's hips, knees, shoulders and elbows."""

    offsets = {"left": 0.0, "right": 0.5}

    def __init__(self, world: World, iid: int, uid: int, height: float) -> None:
        super().__init__(world, iid, uid)
        from simgen.sim.humanoid import JOINT_NAMES

        self.j = {n: i for i, n in enumerate(JOINT_NAMES)}
        self.stride = STRIDE_PER_LEG * 0.5 * height  # legs are half the height

    def apply(self, distance: float) -> None:
        """Pose the limbs for the current phase; running swings further and bends the elbows."""
        running = self.speed > RUN_SPEED
        target = (0.7 if running else min(0.45, 0.2 + 0.15 * self.speed)) if self.speed > 0.05 else 0.0
        self.advance(distance, target)
        a = self.amplitude
        for side in ("left", "right"):
            ph = self.leg_phase(side)
            self.set_joint(self.j[f"{side}_hip"], -a * math.sin(ph))
            self.set_joint(self.j[f"{side}_knee"], (1.6 if running else 1.1) * a * max(0.0, math.cos(ph)))
            self.set_joint(self.j[f"{side}_shoulder"], 0.8 * a * math.sin(ph))
            self.set_joint(self.j[f"{side}_elbow"], -(1.2 if running else 0.3) * a)


def make_animator(world: World, obj: ObjectInstance, uid: int) -> Animator | None:
    """The animator of an instance's moving parts, or None when it has none (its kind decides)."""
    from simgen.kinds.registry import kind_of

    return kind_of(obj.type).animator(world, obj, uid)


ANIMATORS = {"wheels": Wheels, "quadruped": QuadrupedGait}
