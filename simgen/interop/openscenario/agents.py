"""Import-time kinematics: each entity moves along a path at a speed, with a lateral offset.

An :class:`Agent` is a point on a :class:`~simgen.interop.opendrive.network.LanePath` (a lane
centre, a route, a trajectory polyline or a straight line) at arc length ``s``, shifted ``d``
metres to the left of it, moving at ``v``. Speed and lateral actions are profiles over time
that :meth:`Agent.step` follows; this is how triggers are resolved to times (docs/openscenario.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from simgen.interop.opendrive.mesh import SURFACE_LIFT
from simgen.interop.opendrive.network import LanePath, Network
from simgen.interop.openscenario.entities import Entity

STRAIGHT = 3000.0  # metres of straight path ahead of an entity placed off the road network


def shape(kind: str, f: float) -> float:
    """Transition shape of OpenSCENARIO dynamics at fraction ``f`` in [0, 1]."""
    f = min(max(f, 0.0), 1.0)
    if kind == "step":
        return 1.0
    if kind == "cubic":
        return f * f * (3 - 2 * f)
    if kind == "sinusoidal":
        return (1 - math.cos(math.pi * f)) / 2
    return f


@dataclass
class Ramp:
    """A value moving from ``start`` to ``end`` from time ``t0`` over ``duration`` with ``kind`` shape."""

    start: float
    end: float
    t0: float
    duration: float
    kind: str

    def value(self, t: float) -> float:
        """The value at time ``t``."""
        if self.duration <= 0:
            return self.end
        return self.start + (self.end - self.start) * shape(self.kind, (t - self.t0) / self.duration)

    def done(self, t: float) -> bool:
        """Whether the ramp has reached its end value."""
        return t >= self.t0 + self.duration - 1e-9


@dataclass
class Sync:
    """SynchronizeAction: reach ``target_s`` on the own path when the master reaches its target."""

    master: str
    master_xy: np.ndarray
    target_s: float
    final_speed: float | None
    tolerance: float


@dataclass
class Agent:
    """One entity's kinematic state and its recorded poses."""

    entity: Entity
    path: LanePath
    s: float = 0.0
    d: float = 0.0
    v: float = 0.0
    yaw_offset: float = 0.0
    speed: Ramp | None = None
    rate: tuple[float, float] | None = None  # (target speed, |acceleration|)
    lateral: Ramp | None = None
    sync: Sync | None = None
    timed: tuple[np.ndarray, float] | None = None  # trajectory arc lengths per vertex time, time offset
    timed_times: np.ndarray | None = None
    odometer: float = 0.0
    acc: float = 0.0
    rebase_due: bool = False  # a lane change ended: drive on along the new lane's centre
    d_rate: float = 0.0
    still_since: float = 0.0
    record: list[tuple[float, float, float, float, float]] = field(default_factory=list)

    def pose(self) -> tuple[np.ndarray, float]:
        """Reference point (x, y, z) and heading."""
        p, h, _ = self.path.at(self.s)
        if self.s > self.path.length:  # past the end: straight on
            p = p + (self.s - self.path.length) * np.array([math.cos(h), math.sin(h), 0.0])
        p = p + self.d * np.array([-math.sin(h), math.cos(h), 0.0])
        slip = math.atan2(self.d_rate, self.v) if abs(self.v) > 0.1 else 0.0  # lane changes turn the body
        return p, h + self.yaw_offset + slip

    def center(self) -> tuple[np.ndarray, float]:
        """Bounding-box centre (x, y, z at half height above the ground) and heading."""
        p, h = self.pose()
        cx, cy, _ = self.entity.center
        c = p + np.array([cx * math.cos(h) - cy * math.sin(h), cx * math.sin(h) + cy * math.cos(h), 0.0])
        c[2] = p[2] + SURFACE_LIFT + self.entity.size[2] / 2
        return c, h

    def road_coords(self, net: Network | None) -> tuple[str, int, float, float, int] | None:
        """(road, lane, s, t, direction) under the agent, from its path's lane samples."""
        if net is None:
            return None
        _, _, i = self.path.at(self.s)
        rid = self.path.road[i]
        if not rid or rid not in net.roads:
            return net.locate(self.pose()[0][:2])
        road = net.roads[rid]
        direction = int(self.path.direction[i])
        rs = float(self.path.road_s[i] + direction * (min(self.s, self.path.length) - self.path.cum[i]))
        rs = min(max(rs, 0.0), road.length)
        t = road.lane_t(int(self.path.lane[i]), rs)[0] + direction * self.d
        lane = road.lane_at(rs, t)
        return rid, lane if lane is not None else int(self.path.lane[i]), rs, t, direction

    def step(self, t: float, dt: float, positions: dict[str, Agent]) -> None:
        """Advance speed, lateral offset and arc length from ``t`` to ``t + dt``."""
        v_before, d_before = self.v, self.d
        self._advance(t, dt, positions)
        self.acc = (self.v - v_before) / dt
        self.d_rate = (self.d - d_before) / dt if self.lateral is not None or self.d != d_before else 0.0

    def _advance(self, t: float, dt: float, positions: dict[str, Agent]) -> None:
        if self.sync is not None:
            self._sync(positions)
        if self.speed is not None:
            self.v = self.speed.value(t + dt)
            if self.speed.done(t + dt):
                self.speed = None
        elif self.rate is not None:
            target, acc = self.rate
            dv = target - self.v
            self.v = target if abs(dv) <= acc * dt else self.v + math.copysign(acc * dt, dv)
            if self.v == target:
                self.rate = None
        if self.lateral is not None:
            self.d = self.lateral.value(t + dt)
            if self.lateral.done(t + dt):
                self.lateral, self.rebase_due = None, True
        if self.timed is not None and self.timed_times is not None:
            arcs, t0 = self.timed
            new = float(np.interp(t + dt - t0, self.timed_times, arcs))
            self.v = (new - self.s) / dt
            self.odometer += abs(new - self.s)
            self.s = new
            return
        self.s += self.v * dt
        self.odometer += abs(self.v) * dt
        if abs(self.v) > 1e-6:
            self.still_since = t + dt

    def rebase(self, net: Network | None) -> None:
        """Follow the centre of the lane the agent is in now (after a lane change), keeping its pose."""
        self.rebase_due = False
        where = self.road_coords(net)
        _, _, i = self.path.at(self.s)
        if net is None or where is None or not self.path.road[i] or self.timed is not None:
            return
        rid, lane, rs, _, direction = where
        pos, heading = self.pose()
        try:
            path = net.lane_path(rid, lane, rs, STRAIGHT, direction=direction)
        except Exception:  # noqa: BLE001 - keep the old path where the lane cannot be followed
            return
        p, h, _ = path.at(0.0)
        self.path, self.s = path, 0.0
        self.d = float(-(pos[0] - p[0]) * math.sin(h) + (pos[1] - p[1]) * math.cos(h))

    def _sync(self, agents: dict[str, Agent]) -> None:
        sync = self.sync
        if sync is None:
            return
        master = agents.get(sync.master)
        if master is None:
            self.sync = None
            return
        here = self.s
        left = sync.target_s - here
        if left <= sync.tolerance:
            if sync.final_speed is not None:
                self.v = sync.final_speed
            self.sync = None
            return
        mp = master.pose()[0][:2]
        m_left = float(np.linalg.norm(sync.master_xy - mp))
        if master.v > 0.1 and m_left > 0.5:
            self.speed, self.rate = None, None
            self.v = left / (m_left / master.v)
