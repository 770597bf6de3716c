"""Rejection sampling of ``require:`` conditions: every accepted episode satisfies them all.

Attempt ``k`` of episode ``i`` draws every value from generators seeded by (scenario seed, i, k)
(:class:`simgen.scenario.sampling.Sampler`; attempt 0 is the plain episode), so which attempt is
accepted depends on nothing else: not the worker count, not resume, not shards. Conditions are
checked cheapest first: geometry of the sampled episode, then (only when all of those hold)
the camera ground truth of :mod:`simgen.batch.probe`. Each condition's checks and failures are
tallied and recorded in the episode spec (``requirements``), the manifest and the dataset card.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from simgen.errors import Issue, ScenarioError
from simgen.scenario.conditions import ARITHMETIC, Condition, parse_condition
from simgen.scenario.references import ReferenceProblem, format_ref, resolve

if TYPE_CHECKING:
    from simgen.scenario.models import Scenario
    from simgen.scenario.spec import EpisodeSpec, ObjectInstance
    from simgen.sensors.camera.model import CameraSpec

ACCEPTANCE_WARNING = 0.05  # `simgen validate` warns below this share of accepted attempts
_COMPARE: dict[type, Callable[[float, float], bool]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


@dataclasses.dataclass(frozen=True)
class Coverage:
    """Pixels of one object in one camera's first frame: ``amodal`` (whole silhouette) and ``visible``."""

    visible: int
    amodal: int

    @property
    def fraction(self) -> float:
        """Visible / amodal pixels; 0 when the object covers no pixel of the image."""
        return self.visible / self.amodal if self.amodal else 0.0


# Factories spec -> probe with ``coverage(instance_id, camera) -> Coverage``. The probe builds a
# world (a later stage), so it is registered from above: ``import simgen`` registers
# :class:`simgen.batch.probe.FirstFrameProbe`.
PROBES: list[Callable[[Any], Any]] = []


def register_probe(factory: Callable[[Any], Any]) -> None:
    """Make ``factory(spec)`` the ground-truth probe of ``visible_fraction`` and ``in_view``."""
    PROBES[:] = [factory]


class Missing(LookupError):
    """A name a condition reads has no instance or camera in this episode (the condition fails)."""


# --- which conditions an episode must satisfy --------------------------------------------------------


def episode_conditions(root: Scenario, effective: Scenario, variant: int | None) -> list[Condition]:
    """Top-level ``require:``, the chosen variant's ``require:`` and placement sugar, each with its key path."""
    out = [parse_condition(t).located(("require", i)) for i, t in enumerate(effective.require)]
    if variant is not None:
        extra = root.variants[variant].require
        out += [parse_condition(t).located(("variants", variant, "require", i)) for i, t in enumerate(extra)]
    for j, obj in enumerate(effective.objects):
        placement = obj.placement
        for text in getattr(placement, "conditions", lambda _name: [])(obj.name):
            out.append(parse_condition(text).located(("objects", j, "placement")))
    return out


def check_requirements(scenario: Scenario, add: Callable[..., None]) -> None:
    """Load-time checks of every condition: syntax, kinds, and that each name and key path exists."""
    lists: list[tuple[tuple[Any, ...], list[str]]] = [(("require",), list(scenario.require))]
    lists += [(("variants", j, "require"), list(v.require)) for j, v in enumerate(scenario.variants)]
    objects = [o.name for o in scenario.objects]
    cameras = [c.name for c in scenario.cameras]
    for base, texts in lists:
        for i, text in enumerate(texts):
            try:
                cond = parse_condition(text)
            except ValueError as err:
                add((*base, i), str(err))
                continue
            for problem, hint in _name_problems(scenario, cond, objects, cameras):
                add((*base, i), problem, hint)


def _name_problems(
    scenario: Scenario, cond: Condition, objects: list[str], cameras: list[str]
) -> list[tuple[str, str | None]]:
    from simgen.errors import did_you_mean

    out: list[tuple[str, str | None]] = []
    for name in cond.objects:
        base, _, k = name.rpartition("_")
        if name not in objects and not (k.isdigit() and base in objects):
            out.append((f"no object named '{name}'", did_you_mean(name, objects) or "an object's name, or name_K"))
    for name in cond.cameras:
        if name not in cameras and not any(name.startswith(f"{c}_") for c in cameras):
            out.append((f"no camera named '{name}'", did_you_mean(name, cameras) or f"cameras: {', '.join(cameras)}"))
    for parts in cond.paths:
        try:
            resolve(scenario, parts)
        except ReferenceProblem as err:
            out.append((f"cannot read '{format_ref(parts)}': {err.message}", err.hint))
    return out


# --- evaluating a condition on one sampled attempt --------------------------------------------------


class Attempt:
    """One sampled attempt as conditions see it: instances by name, cameras, key paths, lazy ground truth."""

    def __init__(self, spec: EpisodeSpec, scenario: Scenario, draw: Callable[[tuple[Any, ...]], float]) -> None:
        self.spec = spec
        self.scenario = scenario
        self.draw = draw
        self.by_name: dict[str, ObjectInstance] = {}
        for o in spec.objects:
            self.by_name.setdefault(o.source, o)
            self.by_name[o.name] = o
        self._probe: Any = None

    def obj(self, name: str) -> ObjectInstance:
        """The instance called ``name`` (an object's name means its first instance)."""
        if name not in self.by_name:
            raise Missing(f"no instance '{name}' in this episode")
        return self.by_name[name]

    def camera(self, name: str) -> CameraSpec:
        """The camera called ``name`` (a rig's entry name means its first member)."""
        cam = next((c for c in self.spec.cameras if c.name == name), None)
        if cam is None:  # a rig by its entry's name: its first member
            cam = next((c for c in self.spec.cameras if c.name.startswith(f"{name}_")), None)
        if cam is None:
            raise Missing(f"no camera '{name}' in this episode")
        return cam

    def coverage(self, obj: str, cam: str) -> Coverage:
        """Visible and amodal pixels of ``obj`` in ``cam``'s first captured frame (world built once)."""
        inst = self.obj(obj)
        camera = self.camera(cam)
        if not inst.spawn:
            return Coverage(0, 0)
        if self._probe is None:
            if not PROBES:
                raise ScenarioError("no ground-truth probe is registered", hint="import simgen first")
            self._probe = PROBES[-1](self.spec)
        return self._probe.coverage(inst.instance_id, camera)


def heading(inst: ObjectInstance) -> np.ndarray:
    """(3, 3) world_from_object rotation whose x axis is the object's forward.

    That is its direction of travel along a ``face_motion`` waypoint path, else its sampled orientation.
    """
    from simgen.scenario.sample_world import _rotation

    b = inst.behavior or {}
    if b.get("type") == "waypoints" and b.get("face_motion", True):
        pts = np.asarray(b["points"], dtype=float)
        for a, c in zip(pts[:-1], pts[1:], strict=True):
            d = c[:2] - a[:2]
            if np.hypot(*d) > 1e-9:
                yaw = math.atan2(d[1], d[0])
                cy, sy = math.cos(yaw), math.sin(yaw)
                return np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]]) @ _rotation(inst.orientation)
    return _rotation(inst.orientation)


def start_position(inst: ObjectInstance) -> np.ndarray:
    """(3,) where an instance starts the episode: a waypoint actor at its first point, else its position."""
    b = inst.behavior or {}
    return np.asarray(b["points"][0] if b.get("type") == "waypoints" else inst.position, dtype=float)


def relative(a: ObjectInstance, b: ObjectInstance) -> np.ndarray:
    """(3,) start position of ``a`` in ``b``'s start frame: x ahead, y to the left, z up (metres)."""
    return heading(b).T @ (start_position(a) - start_position(b))


def _call(node: ast.Call, at: Attempt) -> float | bool:
    name = node.func.id  # type: ignore[attr-defined]
    if name in ARITHMETIC:
        args = [float(_eval(a, at)) for a in node.args]
        funcs: dict[str, Callable[..., float]] = {"min": min, "max": max, "abs": abs}
        return funcs[name](*args) if name != "abs" else abs(args[0])
    x, y = (a.id for a in node.args)  # type: ignore[attr-defined]
    if name == "visible_fraction":
        return at.coverage(x, y).fraction
    if name == "in_view":
        return at.coverage(x, y).amodal > 0
    a, b = at.obj(x), at.obj(y)
    if name == "distance":
        return float(np.linalg.norm(start_position(a) - start_position(b)))
    rel = relative(a, b)
    return {
        "longitudinal": float(rel[0]),
        "lateral": float(rel[1]),
        "ahead_of": bool(rel[0] > 0),
        "behind": bool(rel[0] < 0),
        "left_of": bool(rel[1] > 0),
        "right_of": bool(rel[1] < 0),
    }[name]


def _eval(node: ast.AST, at: Attempt) -> float | bool:
    if isinstance(node, ast.Constant):
        return cast("float | bool", node.value)  # parse_condition admits only finite numbers and booleans
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, at) for v in node.values)
        return any(_eval(v, at) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, at)
        return (not v) if isinstance(node.op, ast.Not) else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp):
        a, b = float(_eval(node.left, at)), float(_eval(node.right, at))
        if isinstance(node.op, ast.Div):
            return a / b if b != 0 else math.copysign(math.inf, a) if a else math.nan
        return a + b if isinstance(node.op, ast.Add) else a - b if isinstance(node.op, ast.Sub) else a * b
    if isinstance(node, ast.Compare):
        left = _eval(node.left, at)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, at)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        return _call(node, at)
    from simgen.scenario.conditions import key_path_of

    return at.draw(key_path_of(node))  # type: ignore[arg-type]


def holds(cond: Condition, at: Attempt) -> bool:
    """Whether ``cond`` holds in the attempt; a name with no instance in it makes it fail."""
    try:
        return bool(_eval(cond.tree.body, at))
    except Missing:
        return False


# --- rejection sampling ----------------------------------------------------------------------------


@dataclasses.dataclass
class Tally:
    """Per condition: attempts that checked it and attempts where it failed."""

    checked: list[int]
    failed: list[int]

    @classmethod
    def of(cls, n: int) -> Tally:
        """A zero tally of ``n`` conditions."""
        return cls([0] * n, [0] * n)


def check_attempt(conditions: list[Condition], at: Attempt, tally: Tally) -> bool:
    """Check geometry conditions, then (only if all hold) ground-truth ones; tally each; True if all hold."""
    ok = True
    for stage in (False, True):
        for n, cond in enumerate(conditions):
            if cond.needs_truth != stage:
                continue
            tally.checked[n] += 1
            if not holds(cond, at):
                tally.failed[n] += 1
                ok = False
        if not ok:
            return False
    return True


def record(conditions: list[Condition], tally: Tally, attempts: int, max_attempts: int) -> dict[str, Any]:
    """The ``requirements`` entry of an accepted episode's spec (and manifest record)."""
    from simgen.scenario.references import format_ref as fmt

    return {
        "attempts": attempts,
        "max_attempts": max_attempts,
        "conditions": [
            {"condition": c.text, "at": fmt(c.data_path), "checked": tally.checked[n], "failed": tally.failed[n]}
            for n, c in enumerate(conditions)
        ],
    }


def fingerprint(scenario: Scenario) -> str:
    """Hash of the scenario's validated content (copies with changed fields differ)."""
    try:
        text = scenario.model_dump_json(by_alias=True)
    except ValueError:  # a value pydantic cannot serialise: its repr is as deterministic
        text = repr(scenario)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw_accepted(
    root: Scenario,
    effective: Scenario,
    conditions: list[Condition],
    attempt: Callable[[int], EpisodeSpec],
    key: tuple[Any, ...],
    draw: Callable[[int, tuple[Any, ...]], float],
) -> EpisodeSpec:
    """The first attempt that satisfies every condition, with its ``requirements`` record.

    ``attempt(k)`` samples attempt k; ``key`` names the episode (index, episodes, seed, variant,
    cell). The accepted attempt and its tally are remembered on ``root`` (they travel with it to
    worker processes), so re-sampling an accepted episode costs one attempt.
    """
    memo = root._language.setdefault("accepted", {})
    mkey = (fingerprint(root), *key)
    max_attempts = effective.max_attempts
    if mkey in memo:
        k, rec = memo[mkey]
        return dataclasses.replace(attempt(k), requirements=rec)
    tally = Tally.of(len(conditions))
    for k in range(max_attempts):
        spec = attempt(k)
        if check_attempt(conditions, Attempt(spec, effective, functools.partial(draw, k)), tally):
            rec = record(conditions, tally, k + 1, max_attempts)
            memo[mkey] = (k, rec)
            return dataclasses.replace(spec, requirements=rec)
    raise ScenarioError(issues=[impossible(root, conditions, tally, key[0], max_attempts)])


def impossible(root: Scenario, conditions: list[Condition], tally: Tally, index: int, max_attempts: int) -> Issue:
    """The located error of a requirement no attempt satisfied: at the condition that failed most."""
    from simgen.scenario.loader import issue_at

    def rate(n: int) -> float:
        return tally.failed[n] / tally.checked[n] if tally.checked[n] else -1.0

    worst = max(range(len(conditions)), key=lambda n: (rate(n), -n))
    counts = "; ".join(
        f"'{c.text}' failed {tally.failed[n]} of {tally.checked[n]} checks" for n, c in enumerate(conditions)
    )
    message = f"episode {index}: no attempt satisfied the requirements in {max_attempts} attempts ({counts})"
    hint = "loosen the condition, place the objects so that it can hold, or raise max_attempts"
    return issue_at(root, conditions[worst].data_path, message, hint)


@dataclasses.dataclass
class Estimate:
    """Attempts sampled by ``simgen validate`` and how many satisfied every condition.

    ``conditions``: per condition (keyed by where it is written) its text, checks and failures.
    """

    attempts: int
    accepted: int
    conditions: dict[tuple[Any, ...], list[Any]]

    @property
    def rate(self) -> float:
        """Share of attempts accepted."""
        return self.accepted / self.attempts if self.attempts else 1.0


def acceptance_estimate(root: Scenario, samples: int) -> Estimate | None:
    """Check ``samples`` attempts (episode n mod episodes, attempt n div episodes); None without conditions."""
    from simgen.scenario.sampling import sample_attempt

    est = Estimate(0, 0, {})
    for n in range(samples):
        got = sample_attempt(root, n % root.episodes, n // root.episodes)
        if got is None:
            return None
        spec, effective, conds, draw = got
        tally = Tally.of(len(conds))
        est.attempts += 1
        est.accepted += check_attempt(conds, Attempt(spec, effective, draw), tally)
        for c, checked, failed in zip(conds, tally.checked, tally.failed, strict=True):
            entry = est.conditions.setdefault(c.data_path, [c.text, 0, 0])
            entry[1] += checked
            entry[2] += failed
    return est
