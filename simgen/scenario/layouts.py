"""Scene layouts: a ``scene:`` block that expands into ordinary objects and named regions.

A layout builds a whole environment from a few numbers, before validation, as plain scenario
data: its objects are appended to ``objects`` (named ``scene_*``; their looks are per-episode
draws like any object's), and a user object's ``placement: {region: NAME}`` naming one of the
layout's regions is rewritten into the concrete ``path`` or ``box`` region it stands for. So
everything downstream (sampling, placement without overlap, labels, manifests) sees a scenario
like any other.

Layouts (all along +x from ``start``; y = 0 is the road or aisle centre line):

- ``urban_street``: road with ``lanes``, sidewalks, kerbs, a crosswalk, building rows, street
  lights, parked cars. Regions: ``lane 1`` .. ``lane N`` (lane 1 rightmost, y < 0),
  ``sidewalk`` (= ``sidewalk right``), ``sidewalk left``, ``crosswalk``, ``parking``.
- ``rural_road``: two-lane road without sidewalks, grass verges and tree lines. Regions:
  ``lane 1``, ``lane 2``, ``verge right``, ``verge left``, ``field right``, ``field left``.
- ``indoor_room``: floor, three walls (open towards -x), table and chairs, sofa, shelf.
  Regions: ``floor``, ``table``.
- ``warehouse_aisle``: concrete floor, two rows of pallet racks, pallets. Regions: ``aisle``,
  ``shelf`` (the second board of the racks; objects drop onto it), ``floor``.
- ``road_network``: an imported road network (``simgen import``, docs/openscenario.md): road
  meshes beside the scenario file (asphalt, sidewalks, lane markings) and one region per lane,
  named as the importer lists them (``road 1 lane -1``), along its centre line.

Objects of a layout are labelled when their class is in the scenario's ``classes`` list, else
unlabeled scenery (``instance_ids: none``). A scenario without ``classes`` gets the list its own
objects imply, so the layout never renumbers its categories.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from simgen.scenario.world_models import Model

MAX_SCENE_LENGTH = 500.0


class _SceneBase(Model):
    start: float = Field(0.0, ge=-1e4, le=1e4, allow_inf_nan=False, description="x where the scene begins, metres")
    length: float = Field(80.0, ge=10, le=MAX_SCENE_LENGTH, allow_inf_nan=False, description="metres along x")


class UrbanStreet(_SceneBase):
    """City street: lanes, sidewalks, building rows, street lights, parked cars."""

    type: Literal["urban_street"]
    lanes: int = Field(2, ge=1, le=6)
    lane_width: float = Field(3.5, ge=2.5, le=5, allow_inf_nan=False)
    sidewalk_width: float = Field(3.0, ge=1.0, le=8, allow_inf_nan=False)
    crosswalk: float = Field(0.0, ge=0, le=1, allow_inf_nan=False, description="crosswalk position as share of length")
    buildings: Literal["both", "left", "right", "none"] = Field("both", description="building rows along the street")
    street_lights: bool = True
    parked_cars: int = Field(3, ge=0, le=40, description="cars parked along the right kerb")
    trees: int = Field(0, ge=0, le=40, description="street trees on the left sidewalk")


class RuralRoad(_SceneBase):
    """Country road: two lanes, grass verges, tree lines both sides."""

    type: Literal["rural_road"]
    lane_width: float = Field(3.2, ge=2.5, le=5, allow_inf_nan=False)
    trees: int = Field(12, ge=0, le=100, description="trees per side")
    conifer_share: float = Field(0.5, ge=0, le=1, allow_inf_nan=False)
    bushes: int = Field(6, ge=0, le=100, description="bushes per side")


class IndoorRoom(_SceneBase):
    """A room: floor, three walls, furniture."""

    type: Literal["indoor_room"]
    length: float = Field(6.0, ge=3, le=30, allow_inf_nan=False, description="metres along x")
    width: float = Field(5.0, ge=3, le=30, allow_inf_nan=False, description="metres along y")
    height: float = Field(2.7, ge=2, le=6, allow_inf_nan=False)
    furniture: bool = True


class WarehouseAisle(_SceneBase):
    """A warehouse aisle between two rows of pallet racks."""

    type: Literal["warehouse_aisle"]
    length: float = Field(14.0, ge=3, le=100, allow_inf_nan=False)
    aisle_width: float = Field(3.0, ge=1.5, le=10, allow_inf_nan=False)
    pallets: int = Field(3, ge=0, le=40, description="pallets standing in the aisle")


class LaneRegion(Model):
    """One lane of an imported road: its centre line and width (a path region, half-width sideways)."""

    points: list[tuple[float, float, float]] = Field(min_length=2, max_length=1000)
    width: float = Field(gt=0, le=50, allow_inf_nan=False)


class RoadNetworkScene(_SceneBase):
    """An imported road network: static meshes and named lane regions (written by ``simgen import``)."""

    type: Literal["road_network"]
    asphalt: str | None = Field(None, min_length=1, max_length=512, description="OBJ of the lane surfaces")
    sidewalk: str | None = Field(None, min_length=1, max_length=512, description="OBJ of sidewalks and kerbs")
    markings: str | None = Field(None, min_length=1, max_length=512, description="OBJ of the lane markings")
    lanes: dict[str, LaneRegion] = Field(default_factory=dict, max_length=2000)


SceneLayout = Annotated[
    UrbanStreet | RuralRoad | IndoorRoom | WarehouseAisle | RoadNetworkScene, Field(discriminator="type")
]
SCENE_TYPES = ("urban_street", "rural_road", "indoor_room", "warehouse_aisle", "road_network")
_ADAPTER: TypeAdapter[Any] = TypeAdapter(SceneLayout)

ROAD_TOP = 0.05  # asphalt top (simgen.assets.street.ASPHALT_THICKNESS)
SIDEWALK_TOP = 0.15
FLOOR_Z = -0.008  # floor slabs (2 cm) sink into the ground plane so their top is 2 mm above it
FLOOR_TOP = FLOOR_Z + 0.01
SHELF: dict[str, Any] = {"length": 2.7, "depth": 1.0, "height": 2.4, "levels": 4}


def _obj(name: str, kind: str, cls: str, position: list[float], **fields: Any) -> dict[str, Any]:
    return {
        "name": f"scene_{name}",
        "type": kind,
        "class": cls,
        "position": position,
        "behavior": {"type": "static"},
        **fields,
    }


def _at(x: float, y: float, z: float = 0.0) -> dict[str, Any]:
    """A placement that stands the object's bottom exactly at (x, y, z) (a one-point path)."""
    return {"region": "path", "points": [[x, y, z], [x + 1e-6, y, z]]}


def _row(
    name: str, kind: str, cls: str, n: int, x0: float, x1: float, y: float, z: float, longest: float, **fields: Any
) -> list[dict[str, Any]]:
    """``n`` objects in a row along x, one per equal slot of [x0, x1], each free to shift in its slot.

    ``longest`` is the largest footprint along x an object can draw; slots never overlap, so the
    row never fails to place however the sizes fall, and users' objects can still push it aside.
    """
    slot = (x1 - x0) / n
    slack = max(0.05, (slot - longest) / 2)
    out = []
    for k in range(n):
        xc = x0 + (k + 0.5) * slot
        place = _path([[xc - slack, y, z], [xc + slack, y, z]], max_tries=200)
        out.append(_obj(f"{name}_{k}", kind, cls, [xc, y, z + 1], placement=place, **fields))
    return out


def _path(points: list[list[float]], lateral: float = 0.0, **kw: Any) -> dict[str, Any]:
    return {"region": "path", "points": points, "lateral": lateral, **kw}


def _urban(s: UrbanStreet) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    x0, x1, cx = s.start, s.start + s.length, s.start + s.length / 2
    width = s.lanes * s.lane_width
    sw = s.sidewalk_width
    walk_y = width / 2 + 0.2 + sw / 2
    objs = [
        _obj(
            "road",
            "road",
            "road",
            [cx, 0, SIDEWALK_TOP / 2],
            length=s.length,
            lanes=s.lanes,
            lane_width=s.lane_width,
            sidewalk_width=sw,
            crosswalk=s.crosswalk,
        )
    ]
    regions: dict[str, dict[str, Any]] = {}
    for k in range(s.lanes):
        y = -width / 2 + (k + 0.5) * s.lane_width
        regions[f"lane {k + 1}"] = _path([[x0, y, ROAD_TOP], [x1, y, ROAD_TOP]], 0.3)
    regions["sidewalk right"] = _path([[x0, -walk_y, SIDEWALK_TOP], [x1, -walk_y, SIDEWALK_TOP]], sw / 2 - 0.5)
    regions["sidewalk left"] = _path([[x0, walk_y, SIDEWALK_TOP], [x1, walk_y, SIDEWALK_TOP]], sw / 2 - 0.5)
    regions["sidewalk"] = regions["sidewalk right"]
    park_y = -width / 2 + 1.1
    regions["parking"] = _path([[x0 + 3, park_y, ROAD_TOP], [x1 - 3, park_y, ROAD_TOP]])
    if s.crosswalk > 0:
        xc = x0 + s.crosswalk * s.length
        regions["crosswalk"] = _path([[xc, -width / 2, ROAD_TOP], [xc, width / 2, ROAD_TOP]], 1.0)
    objs += _urban_buildings(s, x0, x1, width) + _urban_lights(s, x0, width)
    if s.parked_cars:
        objs += _row("parked", "sedan", "car", s.parked_cars, x0 + 3, x1 - 3, park_y, ROAD_TOP, 4.95)
    if s.trees:  # street trees on the left sidewalk, between the lamp posts and the façades
        ty = width / 2 + 0.2 + sw - 1.1
        objs += _row(
            "tree",
            "broadleaf_tree",
            "tree",
            s.trees,
            x0,
            x1,
            ty,
            SIDEWALK_TOP,
            2.9,
            height={"uniform": [5.0, 7.0]},
            crown_width={"uniform": [0.3, 0.4]},
        )
    return objs, regions


def _urban_buildings(s: UrbanStreet, x0: float, x1: float, width: float) -> list[dict[str, Any]]:
    """Rows of façades behind the sidewalks, on the sides ``buildings`` names."""
    objs: list[dict[str, Any]] = []
    if s.buildings == "none":
        return objs
    sw = s.sidewalk_width
    depth = 10.0
    by = width / 2 + 0.2 + sw + 0.5 + depth / 2
    n = max(1, int(s.length // 15))
    slot = s.length / n
    for side, name in ((-1, "right"), (1, "left")):
        if s.buildings in ("both", name):
            objs += _row(
                f"building_{name}",
                "building",
                "building",
                n,
                x0,
                x1,
                side * by,
                0.0,
                0.92 * slot,
                depth=depth,
                width={"uniform": [0.6 * slot, 0.9 * slot]},
                lit={"uniform": [0.0, 0.4]},
            )
    return objs


def _urban_lights(s: UrbanStreet, x0: float, width: float) -> list[dict[str, Any]]:
    """Street lights along both kerbs, each free to slide along its stretch of kerb."""
    objs: list[dict[str, Any]] = []
    if not s.street_lights:
        return objs
    ly = width / 2 + 0.2 + 0.5
    n = max(1, int(s.length // 25))
    xs = [x0 + (k + 0.5) * s.length / n for k in range(n)]
    for side, name, yaw in ((-1, "right", 0), (1, "left", 180)):
        for k, x in enumerate(xs):
            objs.append(
                _obj(
                    f"light_{name}_{k}",
                    "street_light",
                    "street_light",
                    [x + side * 6, side * ly, 3.6],
                    rpy=[0, 0, yaw],
                    height=7.0,
                    # anywhere along its stretch of kerb: it steps aside for objects placed there
                    placement=_path(
                        [
                            [x - s.length / n / 2 + 1, side * ly, SIDEWALK_TOP],
                            [x + s.length / n / 2 - 1, side * ly, SIDEWALK_TOP],
                        ],
                        max_tries=400,
                    ),
                )
            )
    return objs


def _rural(s: RuralRoad) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    x0, x1, cx = s.start, s.start + s.length, s.start + s.length / 2
    width = 2 * s.lane_width
    objs = [
        _obj(
            "road",
            "road",
            "road",
            [cx, 0, ROAD_TOP / 2],
            length=s.length,
            lanes=2,
            lane_width=s.lane_width,
            sidewalk_width=0.0,
        )
    ]
    regions = {
        "lane 1": _path([[x0, -s.lane_width / 2, ROAD_TOP], [x1, -s.lane_width / 2, ROAD_TOP]], 0.3),
        "lane 2": _path([[x0, s.lane_width / 2, ROAD_TOP], [x1, s.lane_width / 2, ROAD_TOP]], 0.3),
        "verge right": _path([[x0, -width / 2 - 1.5, 0], [x1, -width / 2 - 1.5, 0]], 1.0),
        "verge left": _path([[x0, width / 2 + 1.5, 0], [x1, width / 2 + 1.5, 0]], 1.0),
        "field right": _path([[x0, -width / 2 - 14, 0], [x1, -width / 2 - 14, 0]], 6.0),
        "field left": _path([[x0, width / 2 + 14, 0], [x1, width / 2 + 14, 0]], 6.0),
    }
    line_y = width / 2 + 5.0
    for side, name in ((-1, "right"), (1, "left")):
        if s.trees:
            slot = s.length / s.trees
            for k, tree in enumerate(
                _row(
                    f"tree_{name}",
                    "broadleaf_tree",
                    "tree",
                    s.trees,
                    x0,
                    x1,
                    side * line_y,
                    0.0,
                    min(5.0, slot),
                    height={"uniform": [6.0, 10.0]},
                    crown_width={"uniform": [0.35, 0.5]},
                )
            ):
                if int((k + 1) * s.conifer_share) > int(k * s.conifer_share):  # spread conifers evenly
                    tree.update(type="conifer_tree", crown_width={"uniform": [0.3, 0.4]})
                objs.append(tree)
        if s.bushes:
            objs += _row(f"bush_{name}", "bush", "bush", s.bushes, x0, x1, side * (line_y - 2.8), 0.0, 2.0)
    return objs, regions


def _room(s: IndoorRoom) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    x0, cx, L, W, H = s.start, s.start + s.length / 2, s.length, s.width, s.height
    objs = [
        _obj("floor", "floor", "floor", [cx, 0, FLOOR_Z], length=L, width=W, finish={"choice": ["wood", "carpet"]}),
        _obj("wall_back", "wall", "wall", [x0 + L + 0.08, 0, H / 2], length=W + 0.3, height=H, rpy=[0, 0, 90]),
        _obj("wall_left", "wall", "wall", [cx, W / 2 + 0.08, H / 2], length=L, height=H),
        _obj("wall_right", "wall", "wall", [cx, -W / 2 - 0.08, H / 2], length=L, height=H),
    ]
    regions = {
        "floor": {"region": "surface", "support": "ground", "area": [x0 + 0.5, -W / 2 + 0.5, x0 + L - 0.5, W / 2 - 0.5]}
    }
    if s.furniture:
        tx, ty = x0 + 0.6 * L, W / 2 - 1.0
        objs.append(
            _obj("table", "table", "table", [tx, ty, 0.4], length=1.4, width=0.8, placement=_at(tx, ty, FLOOR_TOP))
        )
        objs.append(_obj("chair_a", "chair", "chair", [tx - 1.0, ty, 0.5], placement=_at(tx - 1.0, ty, FLOOR_TOP)))
        objs.append(
            _obj(
                "chair_b",
                "chair",
                "chair",
                [tx + 1.0, ty, 0.5],
                rpy=[0, 0, 180],
                placement=_at(tx + 1.0, ty, FLOOR_TOP),
            )
        )
        objs.append(
            _obj(
                "sofa",
                "sofa",
                "sofa",
                [x0 + L - 0.7, -W / 2 + 1.5, 0.45],
                length=1.8,
                rpy=[0, 0, 90],
                placement=_at(x0 + L - 0.7, -W / 2 + 1.5, FLOOR_TOP),
            )
        )
        objs.append(
            _obj(
                "shelf",
                "shelf",
                "shelf",
                [x0 + 0.35 * L, W / 2 - 0.35, 0.9],
                length=1.2,
                depth=0.4,
                height=1.8,
                levels=4,
                placement=_at(x0 + 0.35 * L, W / 2 - 0.35, FLOOR_TOP),
            )
        )
        regions["table"] = {"region": "surface", "support": "scene_table"}
    return objs, regions


def _warehouse(s: WarehouseAisle) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    from simgen.assets.indoor import shelf_levels

    x0, x1, cx, L = s.start, s.start + s.length, s.start + s.length / 2, s.length
    ry = s.aisle_width / 2 + SHELF["depth"] / 2
    objs = [
        _obj(
            "floor",
            "floor",
            "floor",
            [cx, 0, FLOOR_Z],
            length=L + 4,
            width=s.aisle_width + 2 * SHELF["depth"] + 4,
            finish="concrete",
        )
    ]
    n = max(1, int(L // (SHELF["length"] + 0.1)))
    pitch = L / n
    for side, name in ((-1, "right"), (1, "left")):
        for k in range(n):
            x = x0 + (k + 0.5) * pitch
            objs.append(
                _obj(
                    f"rack_{name}_{k}",
                    "shelf",
                    "shelf",
                    [x, side * ry, 1.2],
                    placement=_at(x, side * ry, FLOOR_TOP),
                    **{k2: v for k2, v in SHELF.items()},
                )
            )
    board = shelf_levels(SHELF["height"], SHELF["levels"])[1] + FLOOR_TOP
    inner = SHELF["depth"] / 2 - 0.15
    regions = {
        "aisle": _path([[x0 + 0.5, 0, 0], [x1 - 0.5, 0, 0]], s.aisle_width / 2 - 0.7),
        "shelf": {
            "region": "box",
            "min": [x0 + 0.4, ry - inner, board + 0.25],
            "max": [x1 - 0.4, ry + inner, board + 0.25],
        },
        "floor": {
            "region": "surface",
            "support": "ground",
            "area": [x0, -s.aisle_width / 2 + 0.3, x1, s.aisle_width / 2 - 0.3],
        },
    }
    if s.pallets:
        objs.append(
            _obj(
                "pallets",
                "pallet",
                "pallet",
                [cx, 0, 0.06],
                count=s.pallets,
                placement=_path(
                    [[x0 + 1, -s.aisle_width / 2 + 0.7, 0], [x1 - 1, -s.aisle_width / 2 + 0.7, 0]], max_tries=400
                ),
            )
        )
    return objs, regions


ROAD_MESH_COLORS = {
    "asphalt": (0.2, 0.2, 0.21, 1.0),
    "sidewalk": (0.55, 0.55, 0.52, 1.0),
    "markings": (0.93, 0.93, 0.9, 1.0),
}


def _road_network(s: RoadNetworkScene) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    objs = []
    for part, color in ROAD_MESH_COLORS.items():
        path = getattr(s, part)
        if path is not None:
            mesh = _obj(part, "mesh", part, [0, 0, 0], path=path, collision="none", mass=0, color=list(color))
            mesh["metadata"] = {"surface": True}  # placements stand on it rather than avoid it
            objs.append(mesh)
    regions = {
        name: _path([list(p) for p in lane.points], max(0.0, lane.width / 2 - 0.5)) for name, lane in s.lanes.items()
    }
    return objs, regions


LAYOUTS: dict[str, Callable[[Any], tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]]] = {
    "urban_street": _urban,
    "rural_road": _rural,
    "indoor_room": _room,
    "warehouse_aisle": _warehouse,
    "road_network": _road_network,
}


def scene_regions(scene: Any) -> dict[str, dict[str, Any]]:
    """Named regions of a validated layout model (for ``simgen list`` and tests)."""
    return LAYOUTS[scene.type](scene)[1]


def expand_scene(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[tuple[Any, ...], str, str | None]]]:
    """Scenario data with its ``scene:`` expanded; plus problems as (key path, message, hint).

    Raises pydantic's ``ValidationError`` for a malformed ``scene:`` block (the caller locates
    it under ``scene``). Data without a scene (or with problems) is returned unchanged.
    """
    from simgen.errors import did_you_mean

    scene = _ADAPTER.validate_python(data["scene"])
    objs, regions = LAYOUTS[scene.type](scene)
    problems: list[tuple[tuple[Any, ...], str, str | None]] = []
    out = copy.deepcopy(data)
    user = out.get("objects") or []
    if not isinstance(user, list):
        return data, problems
    declared = out.get("classes")
    if declared is None:
        declared = []
        for o in user:
            if isinstance(o, dict) and isinstance(o.get("class"), str) and o["class"] not in declared:
                declared.append(o["class"])
        out["classes"] = list(declared)
    builtin = ("box", "disc", "surface", "path")
    for i, o in enumerate(user):
        place = o.get("placement") if isinstance(o, dict) else None
        if not isinstance(place, dict) or not isinstance(place.get("region"), str) or place["region"] in builtin:
            continue
        name = place["region"]
        if name not in regions:
            hint = did_you_mean(name, list(regions)) or f"this scene's regions: {', '.join(regions)}"
            problems.append(
                (("objects", i, "placement", "region"), f"no region '{name}' in this {scene.type} scene", hint)
            )
            o["placement"] = {"region": "path", "points": [[0, 0, 0], [1, 0, 0]]}  # reported above, not twice
            continue
        extra = {k: v for k, v in place.items() if k in ("avoid_overlap", "max_tries", "lateral")}
        o["placement"] = {**regions[name], **extra}
    names = {o.get("name") for o in user if isinstance(o, dict)}
    for o in objs:
        if o["name"] in names:
            continue  # a user object of the same name replaces the layout's
        if o["class"] not in declared:
            o["instance_ids"] = "none"
        user.append(o)
    out["objects"] = user
    return out, problems
