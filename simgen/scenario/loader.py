"""Load a scenario file: safe YAML -> validated :class:`Scenario`, every error located.

All problems in a file are collected and raised together as one :class:`ScenarioError`, each
as ``file:line:col: key.path: message (hint)``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simgen.errors import Issue, ScenarioError, did_you_mean
from simgen.scenario.assets import check_asset_path
from simgen.scenario.models import OBJECT_TYPES, Scenario
from simgen.scenario.sensor_models import SENSOR_TYPES, check_sensors
from simgen.scenario.yamlio import KeyPath, Located, format_path, load_file, load_text

_SCHEMA_CACHE: dict[str, Any] = {}


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario file.

    Example:
        >>> import simgen
        >>> scenario = simgen.load(simgen.resources.scenario_path("quickstart"))
        >>> scenario.name
        'quickstart'
    """
    p = Path(path)
    located = load_file(p)
    raw = p.read_bytes()
    return _validate(located, base_dir=p.resolve().parent, source=str(path), sha256=hashlib.sha256(raw).hexdigest())


def loads(text: str, *, base_dir: str | Path = ".", file: str = "<string>") -> Scenario:
    """Load and validate scenario YAML given as text; asset paths resolve against ``base_dir``."""
    located = load_text(text, file=file)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _validate(located, base_dir=Path(base_dir).resolve(), source=None, sha256=sha)


def _validate(located: Located, *, base_dir: Path, source: str | None, sha256: str) -> Scenario:
    data = located.data
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            f"a scenario is a mapping of keys (name, cameras, objects, ...), but this file is {kind}",
            file=located.file,
            line=1,
            col=1,
            hint="see scenarios/quickstart.yaml for a complete example",
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        issues = [_issue_from_pydantic(e, located) for e in err.errors()]
        raise ScenarioError(issues=_sorted_unique(issues)) from None
    issues = check_semantics(scenario, located, base_dir)
    if issues:
        raise ScenarioError(issues=_sorted_unique(issues))
    scenario._source = source
    scenario._sha256 = sha256
    scenario._base_dir = base_dir
    return scenario


def _sorted_unique(issues: list[Issue]) -> list[Issue]:
    seen: set[str] = set()
    out = []
    for i in sorted(issues, key=lambda i: (i.line or 0, i.col or 0, i.path or "")):
        if i.format() not in seen:
            seen.add(i.format())
            out.append(i)
    return out


def _data_path(loc: tuple[Any, ...], data: Any, keep_last: bool) -> KeyPath:
    """Map a pydantic ``loc`` onto the raw data, dropping union tags that are not keys."""
    path: list[str | int] = []
    cur = data
    for n, part in enumerate(loc):
        last = n == len(loc) - 1
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:
            path.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            path.append(part)
            cur = cur[part]
        elif last and keep_last and isinstance(part, str | int):
            path.append(part)
            cur = None
    return tuple(path)


def _schema() -> dict[str, Any]:
    if "s" not in _SCHEMA_CACHE:
        _SCHEMA_CACHE["s"] = Scenario.model_json_schema(by_alias=True)
    return _SCHEMA_CACHE["s"]


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Keys the schema allows at ``loc`` (used for 'did you mean' on unknown keys)."""
    root = _schema()
    defs = root.get("$defs", {})

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = defs[node["$ref"].split("/")[-1]]
        return node

    node = deref(root)
    for part in loc:
        node = deref(node)
        if "properties" in node and isinstance(part, str) and part in node["properties"]:
            node = node["properties"][part]
            continue
        if isinstance(part, int) and "items" in node:
            node = node["items"]
            continue
        branches = node.get("oneOf") or node.get("anyOf") or []
        mapping = node.get("discriminator", {}).get("mapping", {})
        if isinstance(part, str) and part in mapping:
            node = defs[mapping[part].split("/")[-1]]
            continue
        for b in branches:
            b = deref(b)
            if "properties" in b or "items" in b:
                node = b
                break
        node = deref(node)
        if "properties" in node and isinstance(part, str) and part in node["properties"]:
            node = node["properties"][part]
        elif isinstance(part, int) and "items" in node:
            node = node["items"]
    node = deref(node)
    for b in node.get("anyOf", []):
        if "properties" in deref(b):
            node = deref(b)
    return sorted(node.get("properties", {}))


def _issue_from_pydantic(e: dict[str, Any], located: Located) -> Issue:
    loc = tuple(e["loc"])
    kind = e["type"]
    msg = str(e["msg"])
    hint = None
    path = _data_path(loc, located.data, keep_last=kind in ("missing", "extra_forbidden"))
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc[:-1])
        msg = f"unknown key '{key}'"
        hint = did_you_mean(key, allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
    elif kind == "missing":
        msg = f"missing required key '{loc[-1]}'"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        ctx = e.get("ctx", {})
        tag = ctx.get("tag", "")
        types = SENSOR_TYPES if loc and loc[0] == "sensors" else OBJECT_TYPES
        if kind == "union_tag_not_found":
            msg = f"missing required key 'type' (one of {', '.join(types)})"
        else:
            msg = f"unknown type '{tag}'; expected one of {', '.join(types)}"
            hint = did_you_mean(str(tag), types)
            path = path + ("type",)
    else:
        msg = re.sub(r"^Value error, ", "", msg)
        m = re.search(r" \((did you mean '[^']+'\?)\)$", msg)
        if m:
            msg, hint = msg[: m.start()], m.group(1)
        got = e.get("input")
        if kind == "literal_error" and isinstance(got, str) and hint is None:
            hint = did_you_mean(got, re.findall(r"'([^']*)'", str(e.get("ctx", {}).get("expected", ""))))
        if kind.endswith("_type") or kind.endswith("_parsing"):
            msg = f"{msg[0].lower()}{msg[1:]}, got {got!r}" if not isinstance(got, dict | list) else msg
    line, col = located.locate(path)
    return Issue(message=msg, file=located.file, line=line, col=col, path=format_path(path) or None, hint=hint)


def check_semantics(scenario: Scenario, located: Located, base_dir: Path) -> list[Issue]:
    """Cross-field rules the per-field types cannot express, each located at the offending key."""
    issues: list[Issue] = []

    def add(path: KeyPath, message: str, hint: str | None = None) -> None:
        line, col = located.locate(path)
        issues.append(Issue(message, located.file, line, col, format_path(path), hint))

    names = scenario.class_names
    if scenario.classes is not None:
        if len(set(scenario.classes)) != len(scenario.classes):
            dup = sorted({c for c in scenario.classes if scenario.classes.count(c) > 1})
            add(("classes",), f"duplicate class names {dup}")
    seen_objects: set[str] = set()
    for i, obj in enumerate(scenario.objects):
        if obj.name in seen_objects:
            add(("objects", i, "name"), f"duplicate object name '{obj.name}'", "object names must be unique")
        seen_objects.add(obj.name)
        if obj.class_ not in names:
            add(
                ("objects", i, "class"),
                f"class '{obj.class_}' is not in the scenario's classes list",
                did_you_mean(obj.class_, names) or "add it to 'classes'",
            )
        path = getattr(obj, "path", None)
        if path is not None:
            problem = check_asset_path(path, base_dir, kind=obj.type)
            if problem:
                add(("objects", i, "path"), problem[0], problem[1])
    seen_cams: set[str] = set()
    for i, cam in enumerate(scenario.cameras):
        if cam.name in seen_cams:
            add(("cameras", i, "name"), f"duplicate camera name '{cam.name}'")
        seen_cams.add(cam.name)
        if cam.near >= cam.far:
            add(("cameras", i, "far"), f"far ({cam.far:g}) must be greater than near ({cam.near:g})")
        if cam.fov_y is not None and cam.intrinsics is not None:
            add(("cameras", i, "intrinsics"), "give either fov_y or intrinsics, not both")
        if cam.look_at is not None and cam.rpy is not None:
            add(("cameras", i, "rpy"), "give either look_at or rpy, not both")
        if cam.look_at is None and cam.rpy is None:
            add(("cameras", i), "camera needs an orientation: 'look_at: [x, y, z]' or 'rpy: [r, p, y]'")
    check_sensors(scenario, add)
    splits = scenario.output.splits
    if not splits or sum(splits.values()) <= 0:
        add(("output", "splits"), "split shares must add up to more than 0", "e.g. {train: 0.8, val: 0.2}")
    return issues
