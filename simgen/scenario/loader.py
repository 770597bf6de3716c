"""Load a scenario file: safe YAML -> validated :class:`Scenario`, every error located.

All problems in a file are collected and raised together as one :class:`ScenarioError`, each
as ``file:line:col: key.path: message (hint)``. Checking runs in stages, each reporting all of
its problems: YAML (syntax, limits, ``extends:``), structure (pydantic: types, ranges, unknown
keys), meaning (cross-field rules, limits, references), then every variant and every sweep value
validated as the scenario an episode would see.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from simgen.core.lens import LENS_MODELS
from simgen.core.transforms import look_at_rotation
from simgen.errors import Issue, ScenarioError, did_you_mean
from simgen.scenario.assets import check_asset_path
from simgen.scenario.compose import PathProblem, Source, assign, deep_merge, resolve_extends
from simgen.scenario.distributions import Constant, IntRange
from simgen.scenario.drawn_type import ERROR_KIND, DrawnTypeObject, each_type
from simgen.scenario.language import sweep_cell, sweep_cells
from simgen.scenario.models import MAX_OBJECTS, OBJECT_TYPES, Scenario, sensor_entry_types
from simgen.scenario.names import check_names
from simgen.scenario.randomize_models import check_randomize
from simgen.scenario.references import check_references
from simgen.scenario.sensor_models import check_sensors
from simgen.scenario.world_models import union_tags
from simgen.scenario.yamlio import KeyPath, Located, format_path, load_file, load_text
from simgen.sensors.camera.model import Camera

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

_SCHEMA_CACHE: dict[str, Any] = {}
MAX_PIXELS = 4096 * 4096  # per camera image
MAX_IMAGES = 10_000_000  # episodes x frames x cameras in one file
MAX_CACHED_SCENARIOS = 256  # variant/sweep-cell scenarios kept per loaded scenario


DEGENERATE_LOOK_AT = "camera cannot look at its own position or straight along 'up'"


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario file.

    Example:
        >>> import simgen
        >>> scenario = simgen.load(simgen.resources.scenario_path("quickstart"))
        >>> scenario.name
        'quickstart'
    """
    p = Path(path)
    located = resolve_extends(load_file(p), p)
    raw = p.read_bytes()
    return _validate(located, base_dir=p.resolve().parent, source=str(path), sha256=hashlib.sha256(raw).hexdigest())


def loads(text: str, *, base_dir: str | Path = ".", file: str = "<string>") -> Scenario:
    """Load and validate scenario YAML given as text; asset and ``extends`` paths resolve against ``base_dir``."""
    located = load_text(text, file=file)
    located = resolve_extends(located, Path(base_dir) / "<string>.yaml")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return _validate(located, base_dir=Path(base_dir).resolve(), source=None, sha256=sha)


def _validate(located: Located, *, base_dir: Path, source: str | None, sha256: str) -> Scenario:
    scenario, issues = _validate_one(located, base_dir, raise_semantic=False)
    scenario._source = source
    scenario._sha256 = sha256
    scenario._base_dir = base_dir
    scenario._language["located"] = located
    base = {(i.file, i.line, i.col, i.path, i.message) for i in issues}
    for i in check_composition(scenario):
        # A problem of the file itself shows up again in every variant; report it once.
        label, _, message = i.message.partition(": ")
        if not (label.startswith("in ") and (i.file, i.line, i.col, i.path, message) in base):
            issues.append(i)
    if issues:
        raise ScenarioError(issues=_sorted_unique(issues))
    return scenario


def _validate_one(
    located: Located, base_dir: Path, label: str | None = None, raise_semantic: bool = True
) -> tuple[Scenario, list[Issue]]:
    """Validate one document (a file, or the scenario a variant/sweep cell makes); all issues at once.

    Structural (pydantic) problems always raise; cross-field problems raise when ``raise_semantic``,
    else they are returned with the model so later checks can add theirs.
    """
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
    scene_issues: list[Issue] = []
    if isinstance(data.get("scene"), dict):
        data, scene_issues = _expanded(located, data)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        issues = _merge_alternatives([_issue_from_pydantic(e, located) for e in err.errors()])
        raise ScenarioError(issues=_sorted_unique(_labelled(issues, label))) from None
    issues = _labelled(scene_issues + check_semantics(scenario, located, base_dir), label)
    if issues and raise_semantic:
        raise ScenarioError(issues=_sorted_unique(issues))
    return scenario, issues


def _expanded(located: Located, data: dict[str, Any]) -> tuple[dict[str, Any], list[Issue]]:
    """Data with its ``scene:`` layout expanded (see :mod:`simgen.scenario.layouts`); located issues."""
    from simgen.scenario.layouts import expand_scene

    try:
        out, problems = expand_scene(data)
    except ValidationError as err:
        issues = [_issue_from_pydantic({**e, "loc": ("scene", *e["loc"])}, located) for e in err.errors()]
        raise ScenarioError(issues=_sorted_unique(_merge_alternatives(issues))) from None
    issues = []
    for path, message, hint in problems:
        file, line, col = located.where(path)
        issues.append(Issue(message, file, line, col, format_path(path), hint))
    return out, issues


def _labelled(issues: list[Issue], label: str | None) -> list[Issue]:
    if not label:
        return issues
    return [Issue(f"{label}: {i.message}", i.file, i.line, i.col, i.path, i.hint) for i in issues]


def issue_at(scenario: Scenario, path: KeyPath | None, message: str, hint: str | None = None) -> Issue:
    """An :class:`Issue` at raw-data key ``path`` of a loaded scenario (file/line when known)."""
    located: Located | None = scenario._language.get("located")
    if located is None or path is None:
        return Issue(message, scenario.source, None, None, format_path(path) if path else None, hint)
    file, line, col = located.where(path)
    return Issue(message, file, line, col, format_path(path) or None, hint)


def effective_scenario(scenario: Scenario, variant: int | None = None, cell: int | None = None) -> Scenario:
    """The scenario an episode sees, with a variant and/or a sweep cell applied.

    Validated like a file and cached per scenario state. Order: variant overlay, variant ``set``,
    then the sweep cell's values (the study's axes win).
    """
    if variant is None and cell is None:
        return scenario
    if cell is None:
        return _effective(scenario, variant, None)
    assert scenario.sweep is not None, "a sweep cell needs a sweep"
    return _effective(scenario, variant, dict(enumerate(sweep_cell(scenario.sweep, cell)[0])))


def _effective(scenario: Scenario, variant: int | None, axis_values: dict[int, int] | None) -> Scenario:
    """Apply a variant and/or chosen sweep values (axis number -> value index) to ``scenario``."""
    lang = scenario._language
    base: Located | None = lang.get("located")
    orig = base.marks if base else {}
    marks = dict(orig)
    file = base.file if base else (scenario.source or "<string>")
    data = scenario.model_dump(mode="json", by_alias=True, exclude={"extends", "variants", "sweep", "targets"})
    key = json.dumps([variant, sorted((axis_values or {}).items()), data], sort_keys=True, default=str)
    cache: dict[str, Scenario] = lang.setdefault("cache", {})
    if key in cache:
        return cache[key]
    labels: list[str] = []
    issues: list[Issue] = []
    located = Located(data, orig, file)
    if variant is not None:
        v = scenario.variants[variant]
        labels.append(f"variant '{v.name}'")
        if v.overlay:
            merged, marks = deep_merge(Source(data, marks), Source(v.overlay, orig, ("variants", variant, "overlay")))
            data = merged
        for k, value in v.set.items():
            where = ("variants", variant, "set", k)
            try:
                assign(data, marks, k, Source(value, orig, where))
            except PathProblem as err:
                issues.append(_issue(located, where, f"in variant '{v.name}': {err.message}", err.hint))
    if axis_values:
        axes = list((scenario.sweep or {}).items())
        for axis, vi in sorted(axis_values.items()):
            k, values = axes[axis]
            labels.append(f"sweep {k} = {json.dumps(values[vi], default=str)}")
            at = ("sweep", k)
            try:
                assign(data, marks, k, Source(values[vi], orig, (*at, vi)))
            except PathProblem as err:
                issues.append(_issue(located, at, f"in sweep: {err.message}", err.hint))
    located = Located(data, marks, file)
    try:
        eff, _ = _validate_one(located, scenario.base_dir, "in " + ", ".join(labels))
    except ScenarioError as err:
        raise ScenarioError(issues=issues + err.issues) from None
    if issues:
        raise ScenarioError(issues=issues)
    eff._source = scenario.source
    eff._sha256 = scenario.sha256
    eff._base_dir = scenario.base_dir
    eff._language["located"] = located
    if len(cache) >= MAX_CACHED_SCENARIOS:
        cache.clear()  # bounded memory for big sweeps; entries are cheap to rebuild
    cache[key] = eff
    return eff


def _issue(located: Located, path: KeyPath, message: str, hint: str | None = None) -> Issue:
    file, line, col = located.where(path)
    return Issue(message, file, line, col, format_path(path) or None, hint)


def check_composition(scenario: Scenario) -> list[Issue]:
    """Validate every variant and every sweep value as the scenario an episode would see.

    Each variant is checked on its own and each sweep value on its own (not every combination:
    a grid of 1000 cells would cost 1000 validations); combinations are validated when sampled.
    """
    issues: list[Issue] = []
    for i in range(len(scenario.variants)):
        try:
            _effective(scenario, i, None)
        except ScenarioError as err:
            issues.extend(err.issues)
    for axis, values in enumerate((scenario.sweep or {}).values()):
        for vi in range(len(values)):
            try:
                _effective(scenario, None, {axis: vi})
            except ScenarioError as err:
                issues.extend(err.issues)
    return issues


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
        for b in branches:  # an optional tagged union: anyOf [tagged union, null]
            if isinstance(part, str) and part in deref(b).get("discriminator", {}).get("mapping", {}):
                mapping, branches = deref(b)["discriminator"]["mapping"], deref(b).get("oneOf", [])
        if isinstance(part, str) and part in mapping:
            node = defs[mapping[part].split("/")[-1]]
            continue
        tagged = [b for b in branches if deref(b).get("properties", {}).get("type", {}).get("const") == part]
        if tagged:  # a union told by a callable (objects): the member whose 'type' is the tag
            node = deref(tagged[0])
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


_BOUNDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}


def _merge_alternatives(issues: list[Issue]) -> list[Issue]:
    """One issue per key for a value that fits none of a union's types ("a string, a boolean or a number").

    Pydantic reports each alternative separately (``input should be a valid string``, ``... valid
    boolean``, ...), which reads as several contradicting errors at one place.
    """
    prefix = "input should be a valid "
    groups: dict[tuple[Any, ...], list[Issue]] = {}
    for i in issues:
        if i.message.startswith(prefix):
            groups.setdefault((i.file, i.line, i.col, i.path), []).append(i)
    out: list[Issue] = []
    done: set[tuple[Any, ...]] = set()
    for i in issues:
        key = (i.file, i.line, i.col, i.path)
        group = groups.get(key, [])
        if len(group) < 2:
            out.append(i)
        elif key not in done:
            done.add(key)
            kinds = list(dict.fromkeys(g.message[len(prefix) :].split(",")[0] for g in group))
            got = next((g.message.split(", got ", 1)[1] for g in group if ", got " in g.message), None)
            kinds = [("an " if k[:1] in "aeiou" else "a ") + k for k in kinds]
            wanted = ", ".join(kinds[:-1]) + f" or {kinds[-1]}"
            message = f"input should be {wanted}" + (f", got {got}" if got else "")
            out.append(Issue(message, i.file, i.line, i.col, i.path, i.hint))
    return out


def _issue_from_pydantic(e: ErrorDetails, located: Located) -> Issue:
    loc = tuple(e["loc"])
    kind = e["type"]
    msg = str(e["msg"])
    hint = None
    path = _data_path(loc, located.data, keep_last=kind in ("missing", "extra_forbidden"))
    if kind == ERROR_KIND:  # a drawn type's own messages carry their hint
        msg, hint = str(e["ctx"]["message"]), str(e["ctx"]["hint"]) or None
    elif kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc[:-1])
        msg = f"unknown key '{key}'"
        hint = did_you_mean(key, allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
    elif kind == "missing":
        msg = f"missing required key '{loc[-1]}'"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        ctx = e.get("ctx", {})
        tag = ctx.get("tag", "")
        key = str(ctx.get("discriminator", "'type'")).strip("'")
        relative = key == "_placement_kind()"  # regions, or the relative placements told by their keys
        key = "type" if key == "_object_tag()" else key
        if relative:
            key = "region"
        if key == "model":
            tags = LENS_MODELS
        else:
            tags = union_tags(loc) or (sensor_entry_types() if loc and loc[0] == "sensors" else OBJECT_TYPES)
        if kind == "union_tag_not_found":
            msg = f"missing required key '{key}' (one of {', '.join(tags)})"
            if relative:
                hint = "or place it relative to others: relative_to, hidden_from or visible_from"
        else:
            msg = f"unknown {key} '{tag}'; expected one of {_listed(tags)}"
            hint = did_you_mean(str(tag), tags)
            path = path + (key,)
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
    msg, hint, path = _plainer(e, kind, loc, msg, hint, path)
    file, line, col = located.where(path)
    return Issue(message=msg, file=file, line=line, col=col, path=format_path(path) or None, hint=hint)


def _listed(tags: Any) -> str:
    """Allowed tags for a message: object types name the built-in kinds and count the asset types."""
    from simgen.scenario.models import ASSET_MODELS

    plain = [t for t in tags if t not in ASSET_MODELS]
    if len(plain) == len(tags):
        return ", ".join(tags)
    return f"{', '.join(plain)}, or one of {len(tags) - len(plain)} asset types (see 'simgen list')"


def _plainer(
    e: ErrorDetails, kind: str, loc: tuple[Any, ...], msg: str, hint: str | None, path: KeyPath
) -> tuple[str, str | None, KeyPath]:
    """Say pydantic's remaining messages in the scenario's own words (bounds, tuples, references)."""
    got = e.get("input")
    if kind == "missing" and loc and isinstance(loc[-1], int):
        path = path[:-1] if path and path[-1] == loc[-1] else path
        return f"too few values: item [{loc[-1]}] is missing", hint, path
    if isinstance(got, str) and got.strip().startswith("${") and kind.endswith("_parsing"):
        return (
            "a ${...} reference is not allowed here: this field takes a fixed value",
            "references work in fields that accept distributions (positions, sizes, masses, ...)",
            path,
        )
    if kind in _BOUNDS and isinstance(e.get("ctx"), dict):
        op, key = _BOUNDS[kind]
        return f"must be {op} {e['ctx'][key]}, got {got!r}", hint, path
    return msg[:1].lower() + msg[1:], hint, path


def _degenerate_look_at(cam: Camera) -> bool:
    """True when a camera with constant position/look_at can have no orientation (caught here, located)."""
    position: tuple[Any, ...] = tuple(cam.position)
    look_at: tuple[Any, ...] = tuple(cam.look_at) if cam.look_at is not None else ()
    if not look_at or not all(isinstance(v, Constant) for v in (*position, *look_at)):
        return False  # random poses are checked per episode by sample()
    pos = np.array([v.value for v in position])
    target = np.array([v.value for v in look_at])
    return look_at_rotation(pos, target, np.asarray(cam.up, dtype=float)) is None


def check_semantics(scenario: Scenario, located: Located, base_dir: Path) -> list[Issue]:
    """Cross-field rules the per-field types cannot express, each located at the offending key."""
    issues: list[Issue] = []

    def add(path: KeyPath, message: str, hint: str | None = None) -> None:
        file, line, col = located.where(path)
        issues.append(Issue(message, file, line, col, format_path(path) or None, hint))

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
        if isinstance(obj, DrawnTypeObject):
            _check_drawn_anchor(obj, i, add)
        for one in each_type(obj):  # a drawn type: each candidate, at the key it says it with
            at = _where(obj, one.type, i)
            if one.class_ not in names and obj.instance_ids != "none":  # unlabeled scenery needs no class id
                add(
                    at("class"),
                    f"class '{one.class_}' is not in the scenario's classes list",
                    did_you_mean(one.class_ or "", names) or "add it to 'classes'",
                )
            path = getattr(one, "path", None)
            if path is not None:
                problem = check_asset_path(path, base_dir, kind=one.type)
                if problem:
                    add(at("path"), problem[0], problem[1])
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
        if cam.look_at is None and cam.rpy is None and cam.mount is None:
            add(("cameras", i), "camera needs an orientation: 'look_at: [x, y, z]' or 'rpy: [r, p, y]'")
        if cam.look_at is not None and _degenerate_look_at(cam):
            add(("cameras", i, "look_at"), DEGENERATE_LOOK_AT, "move look_at or set a different 'up'")
    for i, cls in enumerate(scenario.labels.ignore_classes):
        if cls not in names:
            add(("labels", "ignore_classes", i), f"class '{cls}' is not in this scenario", did_you_mean(cls, names))
    check_sensors(scenario, add)
    check_names(scenario, add)
    check_randomize(scenario, base_dir, add)
    splits = scenario.output.splits
    if not splits or sum(splits.values()) <= 0:
        add(("output", "splits"), "split shares must add up to more than 0", "e.g. {train: 0.8, val: 0.2}")
    check_limits(scenario, add)
    from simgen.scenario.targets import check_targets

    check_targets(scenario, add)
    from simgen.scenario.requirements import check_requirements

    check_requirements(scenario, add)
    for ref in check_references(scenario):
        add(ref.data_path, ref.message, ref.hint)
    return issues


def _check_drawn_anchor(obj: DrawnTypeObject, i: int, add: Any) -> None:
    """A centre-anchored placement cannot hold a walker or driver: refused whichever type an episode draws."""
    from simgen.scenario.grounding import is_grounded

    actors = [t for t in obj.types if is_grounded(t)]
    if actors and getattr(obj.placement, "anchor", "bottom") != "bottom":
        add(
            ("objects", i, "placement", "anchor"),
            f"drawn type{'s' if len(actors) > 1 else ''} {', '.join(actors)} walk{'' if len(actors) > 1 else 's'} "
            "or drive: it stands on its support, so anchor: centre does not apply",
            "remove anchor: every drawn type then rests its bottom on the point the region draws",
        )


def _where(entry: Any, type_name: str, i: int) -> Any:
    """Key path maker of entry ``i``'s fields as type ``type_name``: in its ``per_type`` block if set there."""

    def at(key: str) -> KeyPath:
        if isinstance(entry, DrawnTypeObject) and entry.given_in(type_name, key):
            return ("objects", i, "per_type", type_name, key)
        return ("objects", i, key)

    return at


def check_limits(scenario: Scenario, add: Any) -> None:
    """Size limits that keep an untrusted file from asking for unbounded work or memory."""
    most = 0
    for obj in scenario.objects:
        count = obj.count
        most += int(count.support()[1]) if isinstance(count, IntRange) else 0
    if most > MAX_OBJECTS:
        add(
            ("objects",),
            f"up to {most} objects in one episode, more than the limit of {MAX_OBJECTS}",
            "lower the objects' counts",
        )
    for i, cam in enumerate(scenario.cameras):
        if cam.width * cam.height > MAX_PIXELS:
            add(
                ("cameras", i, "width"),
                f"{cam.width}x{cam.height} is {cam.width * cam.height} pixels, more than the limit of {MAX_PIXELS}",
            )
    images = scenario.episodes * scenario.frames * max(1, len(scenario.cameras))
    if images > MAX_IMAGES:
        add(
            ("episodes",),
            f"{scenario.episodes} episodes x {scenario.frames} frames x {len(scenario.cameras)} cameras is "
            f"{images} images, more than the limit of {MAX_IMAGES}",
        )
    names = [v.name for v in scenario.variants]
    for i, v in enumerate(scenario.variants):
        if names.index(v.name) != i:
            add(("variants", i, "name"), f"duplicate variant name '{v.name}'")
    if scenario.variants and sum(v.weight for v in scenario.variants) <= 0:
        add(("variants",), "variant weights must add up to more than 0")
    cells = sweep_cells(scenario.sweep)
    if scenario.sweep and scenario.episodes % cells:
        add(
            ("episodes",),
            f"episodes ({scenario.episodes}) must be a multiple of the sweep's {cells} cells",
            f"episode i belongs to cell i mod {cells}; e.g. episodes: {cells * max(1, scenario.episodes // cells)}",
        )
