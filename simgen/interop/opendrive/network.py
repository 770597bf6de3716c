"""An OpenDRIVE road network: roads, lane sections, links and junctions, with road -> world maps.

``Road.world(s, t)`` is the reference line at ``s`` moved ``t`` metres to its left, at the
road's elevation; ``Road.lane_t(lane, s)`` is the lateral offset of a lane's centre (and width);
``Network.lane_path`` samples a lane centre forward in its driving direction across road links
and junctions, which is what the scenario importer drives entities along.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simgen.errors import ScenarioError
from simgen.interop.opendrive.geometry import Geometry, Poly, eval_polys
from simgen.interop.xmlread import Node, parse_xml

ROAD_TYPES = ("driving", "entry", "exit", "onRamp", "offRamp", "connectingRamp", "bidirectional", "parking", "stop")


@dataclass(frozen=True)
class Lane:
    """One lane of a lane section: id (negative: right of the reference line), type, widths, marks."""

    id: int
    type: str
    widths: list[Poly]
    mark: str = "none"  # solid | broken | none (outer edge mark)
    successor: int | None = None
    predecessor: int | None = None


@dataclass(frozen=True)
class LaneSection:
    """Lanes valid from ``s`` to the next section's ``s``; ``lanes`` keyed by id (0 is the centre)."""

    s: float
    lanes: dict[int, Lane]

    def borders(self, s: np.ndarray, offset: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Inner and outer border ``t`` of every non-centre lane at road ``s``."""
        out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        ds = np.asarray(s, dtype=float) - self.s
        for side in (1, -1):
            t = np.array(offset, dtype=float)
            for k in range(1, 1 + max((abs(i) for i in self.lanes if i * side > 0), default=0)):
                lane = self.lanes.get(side * k)
                if lane is None:
                    break
                w = eval_polys(lane.widths, ds)
                out[side * k] = (t, t + side * w)
                t = t + side * w
        return out


@dataclass
class Road:
    """One ``<road>``: plan view, elevation, lane offset, sections and links."""

    id: str
    length: float
    junction: str
    geometry: list[Geometry]
    elevation: list[Poly]
    lane_offset: list[Poly]
    sections: list[LaneSection]
    predecessor: tuple[str, str, str] | None = None  # (elementType, id, contactPoint)
    successor: tuple[str, str, str] | None = None
    rule: str = "RHT"

    def reference(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reference line x, y, heading at ``s`` (clamped to the road)."""
        s = np.clip(np.atleast_1d(np.asarray(s, dtype=float)), 0.0, self.length)
        starts = np.array([g.s for g in self.geometry])
        idx = np.clip(np.searchsorted(starts, s, side="right") - 1, 0, len(self.geometry) - 1)
        x, y, h = np.zeros_like(s), np.zeros_like(s), np.zeros_like(s)
        for i, g in enumerate(self.geometry):
            m = idx == i
            if np.any(m):
                x[m], y[m], h[m] = g.pose(s[m] - g.s)
        return x, y, h

    def section_at(self, s: float) -> LaneSection:
        """The lane section in force at ``s``."""
        sec = self.sections[0]
        for cand in self.sections:
            if cand.s <= s + 1e-9:
                sec = cand
        return sec

    def world(self, s: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """World x, y, z and heading of road coordinates (s, t)."""
        x, y, h = self.reference(s)
        t = np.asarray(t, dtype=float)
        z = eval_polys(self.elevation, np.clip(np.atleast_1d(s), 0, self.length))
        return x - np.sin(h) * t, y + np.cos(h) * t, z, h

    def lane_t(self, lane: int, s: float) -> tuple[float, float]:
        """Centre offset ``t`` and width of ``lane`` at ``s`` (ScenarioError for an unknown lane)."""
        sec = self.section_at(s)
        off = eval_polys(self.lane_offset, np.array([s]))
        borders = sec.borders(np.array([s]), off)
        if lane not in borders:
            have = sorted(borders)
            raise ScenarioError(f"road {self.id} has no lane {lane} at s={s:g} (lanes: {have})")
        inner, outer = borders[lane]
        return float((inner[0] + outer[0]) / 2), float(abs(outer[0] - inner[0]))

    def lane_centres(self, lane: int, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centre ``t``, width, and whether the lane exists, at every ``s`` (vectorised ``lane_t``)."""
        s = np.atleast_1d(np.asarray(s, dtype=float))
        t, w, ok = np.zeros_like(s), np.zeros_like(s), np.zeros(s.shape, bool)
        starts = np.array([sec.s for sec in self.sections])
        idx = np.clip(np.searchsorted(starts, s + 1e-9, side="right") - 1, 0, len(self.sections) - 1)
        off = eval_polys(self.lane_offset, s)
        for i, sec in enumerate(self.sections):
            m = idx == i
            if not np.any(m) or lane not in sec.lanes:
                continue
            inner, outer = sec.borders(s[m], off[m])[lane]
            t[m], w[m], ok[m] = (inner + outer) / 2, np.abs(outer - inner), True
        return t, w, ok

    def lane_at(self, s: float, t: float) -> int | None:
        """The lane whose borders contain ``t`` at ``s`` (None when off the road)."""
        sec = self.section_at(s)
        off = eval_polys(self.lane_offset, np.array([s]))
        for lane, (a, b) in sec.borders(np.array([s]), off).items():
            if min(a[0], b[0]) - 1e-6 <= t <= max(a[0], b[0]) + 1e-6:
                return lane
        return None

    def forward(self, lane: int) -> int:
        """+1 when traffic in ``lane`` drives towards growing s, else -1."""
        right = lane < 0
        return (1 if right else -1) * (1 if self.rule == "RHT" else -1)


@dataclass
class Connection:
    """A junction connection: from an incoming road into a connecting road, with lane links."""

    incoming: str
    connecting: str
    contact: str
    lanes: dict[int, int] = field(default_factory=dict)


@dataclass
class Network:
    """Every road and junction of one ``.xodr`` file."""

    roads: dict[str, Road]
    junctions: dict[str, list[Connection]]
    file: str = ""

    def road(self, rid: str) -> Road:
        """Road ``rid`` (ScenarioError naming the known ids otherwise)."""
        if rid not in self.roads:
            raise ScenarioError(f"no road {rid!r} in {self.file} (roads: {', '.join(list(self.roads)[:20])})")
        return self.roads[rid]

    def bounds(self) -> tuple[float, float, float, float]:
        """x_min, y_min, x_max, y_max of all reference lines."""
        xs, ys = [], []
        for r in self.roads.values():
            x, y, _ = r.reference(np.linspace(0, r.length, 20))
            xs.append(x)
            ys.append(y)
        if not xs:
            return -50.0, -50.0, 50.0, 50.0
        return (
            float(np.min(np.concatenate(xs))),
            float(np.min(np.concatenate(ys))),
            float(np.max(np.concatenate(xs))),
            float(np.max(np.concatenate(ys))),
        )

    def locate(self, xy: np.ndarray) -> tuple[str, int, float, float, int] | None:
        """(road, lane, s, t, driving direction) of the reference-line sample nearest ``xy``."""
        best: tuple[float, str, float, float] | None = None
        for r in self.roads.values():
            s = np.linspace(0, r.length, max(2, int(r.length / 0.5) + 1))
            x, y, h = r.reference(s)
            d2 = (x - xy[0]) ** 2 + (y - xy[1]) ** 2
            i = int(np.argmin(d2))
            t = float(-(xy[0] - x[i]) * math.sin(h[i]) + (xy[1] - y[i]) * math.cos(h[i]))
            lane = r.lane_at(float(s[i]), t)
            score = float(d2[i]) - (1e6 if lane is not None else 0.0)  # prefer a road whose lanes contain xy
            if best is None or score < best[0]:
                best = (score, r.id, float(s[i]), t)
        if best is None:
            return None
        road = self.roads[best[1]]
        lane = road.lane_at(best[2], best[3])
        lane = lane if lane is not None else (-1 if best[3] < 0 else 1)
        return road.id, lane, best[2], best[3], road.forward(lane)

    def _next(self, road: Road, lane: int, direction: int, toward: set[str] | None) -> tuple[Road, int, int] | None:
        """The road, lane and direction that continue ``lane`` past the end it drives towards."""
        link = road.successor if direction > 0 else road.predecessor
        sec = road.sections[-1] if direction > 0 else road.sections[0]
        this = sec.lanes.get(lane)
        nxt_lane = (this.successor if direction > 0 else this.predecessor) if this else None
        if link is None:
            return None
        kind, eid, contact = link
        if kind == "road" and eid in self.roads:
            nxt = self.roads[eid]
            lane2 = nxt_lane if nxt_lane is not None else lane * (1 if contact == "start" else -1)
            return nxt, lane2, 1 if contact == "start" else -1
        options = []
        for con in self.junctions.get(eid, []):
            if con.incoming != road.id or con.connecting not in self.roads:
                continue
            if con.lanes and lane not in con.lanes:
                continue
            nxt = self.roads[con.connecting]
            lane2 = con.lanes.get(lane, lane)
            d2 = 1 if con.contact == "start" else -1
            options.append((nxt, lane2, d2))
        if not options:
            return None
        if toward:
            hits = [o for o in options if self._leads_to(o[0], o[2], toward)]
            options = hits or options
        _, _, h0 = road.reference(np.array([road.length if direction > 0 else 0.0]))
        h0 = h0[0] + (0 if direction > 0 else math.pi)

        def turn(opt: tuple[Road, int, int]) -> float:
            r, _, d = opt
            _, _, h = r.reference(np.array([r.length if d > 0 else 0.0]))
            return abs((h[0] + (0 if d > 0 else math.pi) - h0 + math.pi) % (2 * math.pi) - math.pi)

        return min(options, key=turn)

    def _leads_to(self, road: Road, direction: int, goal: set[str]) -> bool:
        link = road.successor if direction > 0 else road.predecessor
        return road.id in goal or (link is not None and link[0] == "road" and link[1] in goal)

    def lane_path(
        self,
        rid: str,
        lane: int,
        s: float,
        length: float,
        toward: list[str] | None = None,
        step: float = 0.5,
        direction: int | None = None,
    ) -> LanePath:
        """Lane centre from (road, lane, s) forward ``length`` metres (default: its driving direction)."""
        road = self.road(rid)
        direction = direction or road.forward(lane)
        pieces: list[tuple[Road, int, np.ndarray]] = []
        goal = set(toward or [])
        total = 0.0
        for _ in range(64):
            end = road.length if direction > 0 else 0.0
            n = max(2, int(abs(end - s) / step) + 1)
            ss = np.linspace(s, end, n)
            pieces.append((road, lane, ss))
            total += abs(end - s)
            goal.discard(road.id)
            if total >= length:
                break
            nxt = self._next(road, lane, direction, goal or None)
            if nxt is None:
                break
            road, lane, direction = nxt
            s = 0.0 if direction > 0 else road.length
        return LanePath.from_pieces(pieces)


@dataclass
class LanePath:
    """A sampled lane centre: world points, headings, and for each point its road, lane and s."""

    xyz: np.ndarray
    heading: np.ndarray
    cum: np.ndarray
    road: list[str]
    lane: np.ndarray
    road_s: np.ndarray
    direction: np.ndarray
    polyline: bool = False  # headings are per segment (a trajectory), not samples of a smooth lane

    @classmethod
    def from_pieces(cls, pieces: list[tuple[Road, int, np.ndarray]]) -> LanePath:
        """Concatenate per-road samples of a lane centre."""
        pts, hs, roads, lanes, ss, dirs = [], [], [], [], [], []
        for road, lane, s in pieces:
            t = road.lane_centres(lane, s)[0]
            x, y, z, h = road.world(s, t)
            d = 1 if len(s) < 2 or s[-1] >= s[0] else -1
            pts.append(np.stack([x, y, z], axis=1))
            hs.append(h if d > 0 else h + math.pi)
            roads += [road.id] * len(s)
            lanes.append(np.full(len(s), lane))
            ss.append(s)
            dirs.append(np.full(len(s), d))
        return cls.from_points(
            np.concatenate(pts),
            np.concatenate(hs),
            roads,
            np.concatenate(lanes),
            np.concatenate(ss),
            np.concatenate(dirs),
        )

    @classmethod
    def from_points(
        cls,
        xyz: np.ndarray,
        heading: np.ndarray | None = None,
        road: list[str] | None = None,
        lane: np.ndarray | None = None,
        road_s: np.ndarray | None = None,
        direction: np.ndarray | None = None,
    ) -> LanePath:
        """A path through ``xyz`` (duplicate points dropped); headings from the segments if not given."""
        xyz = np.asarray(xyz, dtype=float)
        keep = np.concatenate([[True], np.linalg.norm(np.diff(xyz[:, :2], axis=0), axis=1) > 1e-6])
        n = len(xyz)
        polyline = heading is None
        if polyline:
            xyz = xyz[keep]
            keep = np.ones(len(xyz), bool)
            n = len(xyz)
            d = np.diff(xyz[:, :2], axis=0)
            seg = np.arctan2(d[:, 1], d[:, 0]) if len(d) else np.zeros(0)
            heading = np.concatenate([seg, seg[-1:]]) if len(seg) else np.zeros(n)
        road = road if road is not None else [""] * n
        lane = lane if lane is not None else np.zeros(n, int)
        road_s = road_s if road_s is not None else np.zeros(n)
        direction = direction if direction is not None else np.ones(n, int)
        xyz, heading = xyz[keep], np.unwrap(np.asarray(heading, float)[keep])
        cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xyz, axis=0), axis=1))])
        idx = np.flatnonzero(keep)
        return cls(xyz, heading, cum, [road[i] for i in idx], lane[keep], road_s[keep], direction[keep], polyline)

    @property
    def length(self) -> float:
        """Total arc length."""
        return float(self.cum[-1])

    def at(self, s: float) -> tuple[np.ndarray, float, int]:
        """Point, heading and sample index at arc length ``s`` (clamped; straight on past the end)."""
        if len(self.cum) == 1:
            return self.xyz[0].copy(), float(self.heading[0]), 0
        sc = min(max(s, 0.0), self.length)
        i = int(np.clip(np.searchsorted(self.cum, sc, side="right") - 1, 0, len(self.cum) - 2))
        seg = self.cum[i + 1] - self.cum[i]
        f = (sc - self.cum[i]) / seg if seg > 0 else 0.0
        p = self.xyz[i] + f * (self.xyz[i + 1] - self.xyz[i])
        h = float(self.heading[i] if self.polyline else self.heading[i] + f * (self.heading[i + 1] - self.heading[i]))
        return p, h, i

    def project(self, xy: np.ndarray) -> float:
        """Arc length of the path point nearest ``xy``."""
        d = np.linalg.norm(self.xyz[:, :2] - np.asarray(xy)[:2], axis=1)
        return float(self.cum[int(np.argmin(d))])


# --- parsing --------------------------------------------------------------------------------------


def _f(node: Node, key: str, default: float | None = None) -> float:
    raw = node.attrib.get(key)
    if raw is None:
        if default is None:
            raise ScenarioError(f"<{node.tag}> needs a {key!r} attribute", file=node.file, line=node.line, col=node.col)
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioError(
            f"{key}={raw!r} is not a number", file=node.file, line=node.line, col=node.col, path=node.path
        ) from None
    if not math.isfinite(value):
        raise ScenarioError(f"{key}={raw!r} is not finite", file=node.file, line=node.line, col=node.col)
    return value


def _poly(node: Node, start: str = "s") -> Poly:
    return Poly(_f(node, start, 0.0), _f(node, "a", 0.0), _f(node, "b", 0.0), _f(node, "c", 0.0), _f(node, "d", 0.0))


def _geometry(g: Node, skipped: list[str]) -> Geometry:
    base = (_f(g, "s"), _f(g, "x"), _f(g, "y"), _f(g, "hdg"), _f(g, "length"))
    shape = g.children[0] if g.children else None
    if shape is None or shape.tag == "line":
        return Geometry(*base, "line")
    if shape.tag == "arc":
        return Geometry(*base, "arc", (_f(shape, "curvature"),))
    if shape.tag == "spiral":
        return Geometry(*base, "spiral", (_f(shape, "curvStart"), _f(shape, "curvEnd")))
    if shape.tag == "poly3":
        return Geometry(*base, "poly3", tuple(_f(shape, k, 0.0) for k in "abcd"))
    if shape.tag == "paramPoly3":
        coef = tuple(_f(shape, k, 0.0) for k in ("aU", "bU", "cU", "dU", "aV", "bV", "cV", "dV"))
        return Geometry(*base, "paramPoly3", coef, shape.attrib.get("pRange", "normalized") == "normalized")
    skipped.append(f"{shape.where}: {shape.path}: unknown plan-view shape <{shape.tag}>, drawn as a line")
    return Geometry(*base, "line")


def _lane(node: Node) -> Lane:
    widths = [_poly(w, "sOffset") for w in node.findall("width")]
    if not widths and node.findall("border"):
        widths = [_poly(w, "sOffset") for w in node.findall("border")]
    marks = node.findall("roadMark")
    mark = marks[0].attrib.get("type", "none") if marks else "none"
    link = node.find("link")
    succ = link.find("successor") if link is not None else None
    pred = link.find("predecessor") if link is not None else None
    return Lane(
        int(_f(node, "id")),
        node.attrib.get("type", "driving"),
        widths,
        mark.split()[0] if mark else "none",
        int(_f(succ, "id")) if succ is not None else None,
        int(_f(pred, "id")) if pred is not None else None,
    )


def _link(node: Node | None) -> tuple[str, str, str] | None:
    if node is None:
        return None
    return node.attrib.get("elementType", "road"), node.attrib.get("elementId", ""), node.attrib.get("contactPoint", "")


def _road(r: Node, skipped: list[str]) -> Road:
    plan = r.find("planView")
    geos = [_geometry(g, skipped) for g in plan.findall("geometry")] if plan is not None else []
    if not geos:
        raise ScenarioError("road has no planView geometry", file=r.file, line=r.line, path=r.path)
    elev = r.find("elevationProfile")
    lanes = r.find("lanes")
    sections = []
    for sec in lanes.findall("laneSection") if lanes is not None else []:
        found = {}
        for side in ("left", "center", "right"):
            grp = sec.find(side)
            for ln in grp.findall("lane") if grp is not None else []:
                lane = _lane(ln)
                found[lane.id] = lane
        sections.append(LaneSection(_f(sec, "s", 0.0), found))
    if not sections:
        sections = [LaneSection(0.0, {0: Lane(0, "none", [])})]
    link = r.find("link")
    rtype = r.find("type")
    del rtype
    return Road(
        r.attrib.get("id", ""),
        _f(r, "length"),
        r.attrib.get("junction", "-1"),
        sorted(geos, key=lambda g: g.s),
        sorted((_poly(e) for e in elev.findall("elevation")), key=lambda p: p.s) if elev is not None else [],
        sorted((_poly(e) for e in lanes.findall("laneOffset")), key=lambda p: p.s) if lanes is not None else [],
        sorted(sections, key=lambda x: x.s),
        _link(link.find("predecessor")) if link is not None else None,
        _link(link.find("successor")) if link is not None else None,
        r.attrib.get("rule", "RHT"),
    )


def load_network(path: Path) -> tuple[Network, list[str]]:
    """Parse an ``.xodr`` file; also returns one line per element drawn approximately."""
    root = parse_xml(path, "OpenDRIVE")
    skipped: list[str] = []
    roads = {}
    for r in root.findall("road"):
        road = _road(r, skipped)
        roads[road.id] = road
    junctions: dict[str, list[Connection]] = {}
    for j in root.findall("junction"):
        cons = []
        for c in j.findall("connection"):
            links = {int(_f(ll, "from")): int(_f(ll, "to")) for ll in c.findall("laneLink")}
            cons.append(
                Connection(
                    c.attrib.get("incomingRoad", ""),
                    c.attrib.get("connectingRoad", ""),
                    c.attrib.get("contactPoint", "start"),
                    links,
                )
            )
        junctions[j.attrib.get("id", "")] = cons
    for tag in ("controller", "signal"):
        for node in root.iter(tag):
            skipped.append(f"{node.where}: {node.path}: <{tag}> is not drawn (no signals or controllers in the world)")
            break
    return Network(roads, junctions, str(path)), skipped
