"""Triangle meshes of an OpenDRIVE network: lane surfaces and lane markings, as OBJ text.

Surfaces are quad strips between each lane's inner and outer border sampled every ``step``
metres of s; markings are 12 cm strips along lane borders whose ``roadMark`` is solid or broken
(broken: 3 m painted, 6 m gap), lifted a centimetre above the asphalt so they never z-fight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simgen.interop.opendrive.geometry import eval_polys
from simgen.interop.opendrive.network import Network, Road

SURFACE_LIFT = 0.05  # asphalt top above the road elevation, as simgen's street layouts (ground plane at z = 0)
SIDEWALK_LIFT = 0.15  # a kerb's height: far above the ground plane, so distant views never z-fight
MARK_LIFT = 0.06
MARK_WIDTH = 0.12
SIDEWALK_TYPES = ("sidewalk", "curb", "border", "walking")


@dataclass
class MeshBuilder:
    """Accumulates vertices and triangles; ``obj()`` writes them as Wavefront OBJ."""

    vertices: list[np.ndarray] = field(default_factory=list)
    faces: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    def strip(self, left: np.ndarray, right: np.ndarray) -> None:
        """Quads between two equally long polylines (n, 3), wound to face +z."""
        n = len(left)
        if n < 2:
            return
        base = self.count
        self.vertices += [left, right]
        i = np.arange(n - 1)
        a, b, c, d = base + i, base + i + 1, base + n + i, base + n + i + 1
        self.faces.append(np.concatenate([np.stack([a, c, b], 1), np.stack([b, c, d], 1)]))
        self.count += 2 * n

    def obj(self) -> str:
        """OBJ text (1-based indices); an empty mesh gets one degenerate triangle so it still loads."""
        if not self.vertices:
            return "v 0 0 0\nv 0.01 0 0\nv 0 0.01 0\nf 1 2 3\n"
        v = np.concatenate(self.vertices)
        f = np.concatenate(self.faces) + 1
        lines = [f"v {x:.3f} {y:.3f} {z:.3f}" for x, y, z in v]
        lines += [f"f {a} {b} {c}" for a, b, c in f]
        return "\n".join(lines) + "\n"


def _points(road: Road, s: np.ndarray, t: np.ndarray, lift: float) -> np.ndarray:
    x, y, z, _ = road.world(s, t)
    return np.stack([x, y, z + lift], axis=1)


def _section_range(road: Road, k: int, step: float) -> np.ndarray:
    s0 = road.sections[k].s
    s1 = road.sections[k + 1].s if k + 1 < len(road.sections) else road.length
    return np.linspace(s0, s1, max(2, int((s1 - s0) / step) + 2))


def _mark(builder: MeshBuilder, road: Road, s: np.ndarray, t: np.ndarray, kind: str) -> None:
    if kind == "broken":
        phase = (s - s[0]) % 9.0
        keep = phase < 3.0
        runs = np.split(np.arange(len(s)), np.flatnonzero(np.diff(keep.astype(int))) + 1)
        for run in runs:
            if keep[run[0]] and len(run) >= 2:
                _mark(builder, road, s[run], t[run], "solid")
        return
    builder.strip(_points(road, s, t + MARK_WIDTH / 2, MARK_LIFT), _points(road, s, t - MARK_WIDTH / 2, MARK_LIFT))


def road_meshes(net: Network, step: float = 1.0) -> dict[str, str]:
    """OBJ text of the network's ``asphalt``, ``sidewalk`` and ``markings`` meshes."""
    asphalt, walk, marks = MeshBuilder(), MeshBuilder(), MeshBuilder()
    for road in net.roads.values():
        fine = step if all(g.kind == "line" for g in road.geometry) else min(step, 0.5)
        for k, sec in enumerate(road.sections):
            s = _section_range(road, k, fine if road.length > 1 else road.length / 2)
            off = eval_polys(road.lane_offset, s)
            borders = sec.borders(s, off)
            for lane_id, (inner, outer) in borders.items():
                lane = sec.lanes[lane_id]
                if lane.type == "none":
                    continue
                target = walk if lane.type in SIDEWALK_TYPES else asphalt
                lift = SIDEWALK_LIFT if target is walk else SURFACE_LIFT
                left, right = (outer, inner) if lane_id > 0 else (inner, outer)
                target.strip(_points(road, s, left, lift), _points(road, s, right, lift))
                if lane.mark in ("solid", "broken") and road.junction in ("-1", ""):
                    _mark(marks, road, s, outer, lane.mark)
            centre = sec.lanes.get(0)
            if centre is not None and centre.mark in ("solid", "broken") and road.junction in ("-1", ""):
                _mark(marks, road, s, off, centre.mark)
    return {"asphalt": asphalt.obj(), "sidewalk": walk.obj(), "markings": marks.obj()}
