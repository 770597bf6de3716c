"""OpenSCENARIO entities -> simgen objects: vehicles, pedestrians and misc objects, with catalogs.

A ``CatalogReference`` is resolved through the file's ``CatalogLocations`` (directories relative
to the scenario file), with the entry's own parameter declarations overridden by the
reference's ``ParameterAssignments``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simgen.interop.openscenario.params import Scope
from simgen.interop.xmlread import Node, parse_xml

ENTITY_TAGS = ("Vehicle", "Pedestrian", "MiscObject")
# vehicleCategory -> (simgen asset type, class) ; the box's proportions pick among the car types
VEHICLE_TYPES = {
    "car": ("sedan", "car"),
    "van": ("van", "van"),
    "truck": ("truck", "truck"),
    "trailer": ("truck", "truck"),
    "semitrailer": ("truck", "truck"),
    "bus": ("bus", "bus"),
    "motorbike": ("bicycle", "motorbike"),
    "bicycle": ("bicycle", "bicycle"),
    "train": ("bus", "train"),
    "tram": ("bus", "tram"),
}
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")  # simgen object names
_SIZE_LIMITS = {"length": (2.0, 20.0), "width": (1.2, 3.0), "height": (1.0, 4.5)}


@dataclass
class Entity:
    """One scenario object: its simgen object fields and its bounding box (OpenSCENARIO frame)."""

    name: str
    kind: str  # Vehicle | Pedestrian | MiscObject
    obj: dict[str, Any]
    center: tuple[float, float, float] = (0.0, 0.0, 0.0)  # box centre relative to the reference point
    size: tuple[float, float, float] = (4.5, 1.8, 1.5)  # length, width, height
    notes: list[str] = field(default_factory=list)


class Catalogs:
    """Catalog directories by catalog type, loaded lazily; entries found by (catalog name, entry)."""

    def __init__(self, root: Node, base: Path, scope: Scope) -> None:
        self.dirs: list[Path] = []
        locs = root.find("CatalogLocations")
        for loc in locs.children if locs is not None else []:
            d = loc.find("Directory")
            if d is not None:
                self.dirs.append((base / scope.resolve(d.attrib.get("path", "."))).resolve())
        self._entries: dict[tuple[str, str], Node] | None = None

    def entries(self) -> dict[tuple[str, str], Node]:
        """(catalog name, entry name) -> element, over every ``.xosc`` in the catalog directories."""
        if self._entries is None:
            self._entries = {}
            for d in self.dirs:
                for f in sorted(d.glob("*.xosc")) if d.is_dir() else []:
                    root = parse_xml(f, "OpenSCENARIO")
                    cat = root.find("Catalog")
                    if cat is None:
                        continue
                    for e in cat.children:
                        self._entries.setdefault((cat.attrib.get("name", ""), e.attrib.get("name", "")), e)
        return self._entries

    def find(self, ref: Node, scope: Scope) -> tuple[Node, Scope] | None:
        """The referenced entry and the scope its parameters resolve in (None if not found)."""
        key = (scope.resolve(ref.attrib.get("catalogName", "")), scope.resolve(ref.attrib.get("entryName", "")))
        entry = self.entries().get(key)
        if entry is None:
            return None
        assigns = ref.find("ParameterAssignments")
        overrides = {
            a.attrib.get("parameterRef", ""): scope.resolve(a.attrib.get("value", ""))
            for a in (assigns.findall("ParameterAssignment") if assigns is not None else [])
        }
        return entry, Scope().child(entry.find("ParameterDeclarations"), overrides)


def simgen_name(name: str, taken: set[str]) -> str:
    """A valid, unique simgen object name for an OpenSCENARIO entity name."""
    base = "".join(c if c.isalnum() or c in "_-" else "_" for c in name).strip("_-") or "entity"
    if not base[0].isalpha():
        base = f"e_{base}"
    base = base[:60]
    out, k = base, 1
    while out in taken or not NAME_RE.fullmatch(out):
        out = f"{base}_{k}"
        k += 1
    taken.add(out)
    return out


def _box(node: Node, scope: Scope) -> tuple[tuple[float, float, float], tuple[float, float, float]] | None:
    bb = node.find("BoundingBox")
    if bb is None:
        return None
    c, d = bb.find("Center"), bb.find("Dimensions")

    def num(n: Node | None, key: str, default: float) -> float:
        return float(scope.resolve(n.attrib.get(key, str(default)))) if n is not None else default

    center = (num(c, "x", 0.0), num(c, "y", 0.0), num(c, "z", 0.0))
    size = (num(d, "length", 1.0), num(d, "width", 1.0), num(d, "height", 1.0))
    return center, tuple(max(0.05, v) for v in size)  # type: ignore[return-value]


def _vehicle(node: Node, scope: Scope, e: Entity) -> None:
    category = scope.resolve(node.attrib.get("vehicleCategory", "car"))
    kind, cls = VEHICLE_TYPES.get(category, ("sedan", "car"))
    length, width, height = e.size
    if category == "car" and height > 1.6:
        kind = "suv" if length < 5.2 else "van"
    e.obj.update(type=kind, **{"class": cls})
    if kind == "bicycle":
        return
    for key, value in zip(("length", "width", "height"), e.size, strict=True):
        lo, hi = _SIZE_LIMITS[key]
        clipped = min(max(value, lo), hi)
        if clipped != value:
            e.notes.append(f"{key} {value:g} m is outside the {kind} asset's {lo:g}..{hi:g} m; using {clipped:g}")
        e.obj[key] = round(clipped, 3)
    axles = node.find("Axles")
    front = axles.find("FrontAxle") if axles is not None else None
    if front is not None:
        radius = float(scope.resolve(front.attrib.get("wheelDiameter", "0.7"))) / 2
        e.obj["wheel_radius"] = round(min(max(radius, 0.2), 0.7), 3)


def build_entity(name: str, node: Node, scope: Scope, taken: set[str]) -> Entity:
    """The simgen object of one ``Vehicle``/``Pedestrian``/``MiscObject`` element."""
    e = Entity(simgen_name(name, taken), node.tag, {})
    box = _box(node, scope)
    if box is not None:
        e.center, e.size = box
    elif node.tag == "Pedestrian":
        e.center, e.size = (0.0, 0.0, 0.9), (0.5, 0.6, 1.8)
    e.obj["name"] = e.name
    if node.tag == "Vehicle":
        _vehicle(node, scope, e)
    elif node.tag == "Pedestrian":
        category = scope.resolve(node.attrib.get("pedestrianCategory", "pedestrian"))
        height = min(max(e.size[2], 0.3), 2.5)
        if category == "animal":
            e.obj.update(type="box", size=[round(v, 3) for v in e.size], **{"class": "animal"})
        else:
            e.obj.update(type="humanoid", height=round(height, 3), gait=True, **{"class": "pedestrian"})
    else:
        category = scope.resolve(node.attrib.get("miscObjectCategory", "obstacle"))
        cls = "".join(c if c.isalnum() else "_" for c in category.lower()) or "obstacle"
        e.obj.update(type="box", size=[round(v, 3) for v in e.size], **{"class": cls})
    e.obj["metadata"] = {"openscenario_name": name[:200], "openscenario_type": node.tag}
    return e
