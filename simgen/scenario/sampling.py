"""Draw an episode: ``sample(scenario, episode_index) -> EpisodeSpec``.

Every random field gets its own generator seeded from (master seed, episode index, key path),
so adding or removing a field never shifts another field's draws, and episode i is the same
whatever order or process renders it. The same property makes ``${...}`` references cheap and
order-free: a referenced value is drawn on demand from its own key path's generator and gives
the value it would have had anyway.

Key paths follow the file's layout (``world.ground.friction``, ``cameras[0].position[2]``) with
one extra index for the instance of a counted item: ``objects[3][1].radius`` is object entry 3,
instance 1. Code that samples new fields should keep that convention, so references reach them.

With ``variants:`` each episode picks one (weighted, from the ``variant`` key path's generator);
with ``sweep:`` episode ``i`` belongs to cell ``i mod cells``. Both are recorded in the spec.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any, overload

import numpy as np

from simgen.core.transforms import quaternion_from_matrix, rotation_from_rpy
from simgen.errors import AssetError, Issue, ScenarioError, SimgenError
from simgen.kinds.registry import kind_of
from simgen.scenario.distributions import Constant, Distribution, IntRange, Ref
from simgen.scenario.drawn_type import as_drawn, drawn_data_path
from simgen.scenario.language import sweep_cell, sweep_cells
from simgen.scenario.loader import MAX_IMAGES, effective_scenario, issue_at
from simgen.scenario.models import MAX_OBJECTS, Scenario
from simgen.scenario.object_fields import ObjectBase
from simgen.scenario.references import ReferenceProblem, context_of, format_ref, resolve
from simgen.scenario.relative import place_in_view
from simgen.scenario.sample_world import sample_world
from simgen.scenario.spec import EpisodeSpec, ObjectInstance, WorldSpec

MAX_REFERENCE_DEPTH = 64


def episode_seed_sequence(master_seed: int, index: int) -> np.random.SeedSequence:
    """SeedSequence of episode ``index``: depends on (master seed, index) only."""
    return np.random.SeedSequence(entropy=master_seed, spawn_key=(index,))


def episode_seed(master_seed: int, index: int) -> int:
    """A 64-bit integer summarising episode ``index``'s seed, for manifests and logs."""
    a, b = episode_seed_sequence(master_seed, index).generate_state(2, dtype=np.uint32)
    return int(a) << 32 | int(b)


class Sampler:
    """Draws values for one episode; one generator per key path; records every random draw.

    ``scenario`` is needed only to resolve ``${...}`` references.
    """

    def __init__(self, master_seed: int, index: int, scenario: Scenario | None = None, attempt: int = 0) -> None:
        self.master_seed = master_seed
        self.index = index
        self.attempt = attempt
        self.scenario = scenario
        self.sampled: dict[str, Any] = {}
        self._values: dict[str, Any] = {}
        self._resolving: list[str] = []

    def rng(self, path: str) -> np.random.Generator:
        """The generator owned by ``path`` in this episode (attempt ``k`` > 0 of ``require:`` sampling: its own)."""
        key = zlib.crc32(path.encode("utf-8"))
        spawn = (self.index, 1, key) if self.attempt == 0 else (self.index, 1, key, self.attempt)
        seq = np.random.SeedSequence(entropy=self.master_seed, spawn_key=spawn)
        return np.random.default_rng(seq)

    def draw(self, value: Distribution | float | int, path: str) -> Any:
        """Resolve one field at key path ``path``; constants pass through unrecorded."""
        if isinstance(value, int | float):
            return value
        if isinstance(value, Constant):
            return value.value
        if isinstance(value, IntRange) and value.low == value.high:
            return value.low
        if path in self._values:
            return self._values[path]
        out = self._reference(value, path) if isinstance(value, Ref) else value.sample(self.rng(path))
        self._values[path] = out
        self.sampled[path] = out
        return out

    def _fail(self, path: str, message: str, hint: str | None = None) -> ScenarioError:
        if self.scenario is None:
            return ScenarioError(message, path=path, hint=hint)
        _, data_path = context_of(self.scenario, path)
        if data_path is None:  # a field of the type this instance drew: where the file says it
            data_path = drawn_data_path(self.scenario.objects, path, self._values)
        issue = issue_at(self.scenario, data_path, message, hint)
        if data_path is None:
            issue = type(issue)(issue.message, issue.file, None, None, path, hint)
        return ScenarioError(issues=[issue])

    def _reference(self, ref: Ref, path: str) -> float:
        """Evaluate ``${...}`` at ``path``: draw every value it reads (on demand), then check bounds."""
        if self.scenario is None:
            raise ScenarioError(f"cannot resolve '${{{ref.text}}}' without its scenario", path=path)
        if path in self._resolving:
            loop = " -> ".join(self._resolving[self._resolving.index(path) :] + [path])
            raise self._fail(path, f"reference cycle: {loop}")
        if len(self._resolving) >= MAX_REFERENCE_DEPTH:
            raise self._fail(path, f"references nest more than {MAX_REFERENCE_DEPTH} deep", "flatten the chain")
        ctx, _ = context_of(self.scenario, path)
        self._resolving.append(path)
        try:
            values = []
            for parts in ref.expression.paths:
                try:
                    target = resolve(self.scenario, parts, ctx)
                except ReferenceProblem as err:
                    raise self._fail(
                        path, f"cannot resolve '${{{format_ref(parts)}}}': {err.message}", err.hint
                    ) from None
                values.append(float(self.draw(target.value, target.seed_path)))
            try:
                out = ref.expression.evaluate(values)
            except (ReferenceProblem, OverflowError) as err:
                raise self._fail(path, f"'${{{ref.text}}}': {err}") from None
        finally:
            self._resolving.pop()
        problem = ref.check(out)
        if problem:
            raise self._fail(path, f"'${{{ref.text}}}' {problem}")
        return int(out) if ref.integer else out

    @overload
    def vec(self, values: None, path: str) -> None: ...

    @overload
    def vec(self, values: tuple[Any, ...], path: str) -> tuple[float, ...]: ...

    def vec(self, values: tuple[Any, ...] | None, path: str) -> tuple[float, ...] | None:
        """Resolve a tuple of fields (position, rpy, colour)."""
        if values is None:
            return None
        return tuple(float(self.draw(v, f"{path}[{i}]")) for i, v in enumerate(values))

    def vec3(self, values: tuple[Any, Any, Any], path: str) -> tuple[float, float, float]:
        """Resolve a 3-vector field (position, rpy) component by component."""
        x, y, z = self.vec(values, path)
        return x, y, z


def _shape(obj: ObjectBase, sampler: Sampler, path: str) -> dict[str, Any]:
    """The instance's ``shape``: its kind draws the fields that set its geometry."""
    return kind_of(obj.type).sample(obj, sampler, path)


def assign_split(splits: dict[str, float], index: int, episodes: int) -> str:
    """Split of episode ``index``: contiguous blocks of episodes in the order splits are listed."""
    total = sum(splits.values())
    pos = (index + 0.5) / episodes * total
    acc = 0.0
    names = list(splits)
    for name in names:
        acc += splits[name]
        if pos < acc:
            return name
    return names[-1]


def choose_variant(scenario: Scenario, master_seed: int, index: int) -> int | None:
    """Index of the variant episode ``index`` uses (weighted draw on key path ``variant``), or None."""
    if not scenario.variants:
        return None
    w = np.array([v.weight for v in scenario.variants], dtype=float)
    rng = Sampler(master_seed, index).rng("variant")
    return int(rng.choice(len(w), p=w / w.sum()))


def sample(
    scenario: Scenario, index: int, *, episodes: int | None = None, seed: int | None = None, require: bool = True
) -> EpisodeSpec:
    """Fix every random value of episode ``index``.

    With ``require:`` conditions the episode is the first attempt that satisfies them
    (:mod:`simgen.scenario.requirements`); ``require=False`` gives attempt 0 unchecked.

    Example:
        >>> import simgen
        >>> sc = simgen.load(simgen.resources.scenario_path("quickstart"))
        >>> sample(sc, 0).index
        0
    """
    master = scenario.seed if seed is None else seed
    if not 0 <= master < 2**63:
        # SeedSequence would raise a bare ValueError on a negative seed (e.g. --seed -1).
        raise SimgenError(f"seed must be an integer in 0 .. 2**63-1, got {master}")
    n_episodes = scenario.episodes if episodes is None else episodes
    variant = choose_variant(scenario, master, index)
    if scenario.targets is not None and scenario.variants:
        from simgen.scenario.targets import planned_variant  # targets: episode quotas instead of draws

        variant = planned_variant(scenario, master, index, n_episodes)
    cell = index % sweep_cells(scenario.sweep) if scenario.sweep else None
    if require:
        checked = _requirements(scenario, variant, cell)
        if checked is not None:
            from simgen.scenario.requirements import draw_accepted

            effective, conditions = checked
            return draw_accepted(
                scenario,
                effective,
                conditions,
                lambda k: _sample_as(scenario, index, n_episodes, master, variant, cell, k),
                (index, n_episodes, master, variant, cell),
                lambda k, parts: _draw_path(effective, master, index, k, parts),
            )
    return _sample_as(scenario, index, n_episodes, master, variant, cell)


def _requirements(scenario: Scenario, variant: int | None, cell: int | None) -> tuple[Scenario, list[Any]] | None:
    """(effective scenario, its conditions) of an episode that has any, else None."""
    from simgen.scenario.requirements import episode_conditions

    has_sugar = any(getattr(o.placement, "conditions", None) for o in scenario.objects)
    if not (scenario.require or has_sugar or any(v.require for v in scenario.variants)):
        return None
    effective = effective_scenario(scenario, variant, cell) if variant is not None or cell is not None else scenario
    conditions = episode_conditions(scenario, effective, variant)
    return (effective, conditions) if conditions else None


def _draw_path(effective: Scenario, master: int, index: int, attempt: int, parts: tuple[Any, ...]) -> float:
    """Value a condition's key path has in attempt ``attempt`` (drawn from the same generator as when sampled)."""
    target = resolve(effective, parts)
    return float(Sampler(master, index, effective, attempt).draw(target.value, target.seed_path))


def sample_attempt(scenario: Scenario, index: int, attempt: int) -> tuple[EpisodeSpec, Scenario, list[Any], Any] | None:
    """Attempt ``attempt`` of episode ``index`` unchecked, with what checking it needs; None without conditions."""
    master = scenario.seed
    variant = choose_variant(scenario, master, index)
    if scenario.targets is not None and scenario.variants:
        from simgen.scenario.targets import planned_variant

        variant = planned_variant(scenario, master, index, scenario.episodes)
    cell = index % sweep_cells(scenario.sweep) if scenario.sweep else None
    checked = _requirements(scenario, variant, cell)
    if checked is None:
        return None
    effective, conditions = checked
    spec = _sample_as(scenario, index, scenario.episodes, master, variant, cell, attempt)
    return spec, effective, conditions, lambda parts: _draw_path(effective, master, index, attempt, parts)


MAX_CHECKED_EPISODES = 1000  # episodes `simgen validate` samples (render samples all of them anyway)


def check_sampling(scenario: Scenario, max_cells: int = 1000, max_episodes: int = MAX_CHECKED_EPISODES) -> list[Issue]:
    """Sample episode 0 as each variant and in each sweep cell (up to ``max_cells``); collect all errors.

    Catches what only shows when values are drawn (a reference out of its field's range, a camera
    looking along 'up') in rare variants too, for ``simgen validate``. When those pass, episodes
    1 .. ``max_episodes`` - 1 are sampled as ``simgen render`` would, so a failure that depends on
    the draw (a placement that fits only for some counts) is found too; the first failing episode
    is reported, labelled ``in episode N``.
    """
    variants: list[int | None] = list(range(len(scenario.variants))) or [None]
    cells: list[int | None] = list(range(min(sweep_cells(scenario.sweep), max_cells))) if scenario.sweep else [None]
    issues: list[Issue] = []
    seen: set[str] = set()
    # Every variant and every cell at least once, without the full product (64 x 1000 samples).
    for k in range(max(len(variants), len(cells))):
        try:
            _sample_as(
                scenario, 0, scenario.episodes, scenario.seed, variants[k % len(variants)], cells[k % len(cells)]
            )
        except (ScenarioError, AssetError) as err:
            for i in err.issues:
                if i.format() not in seen:
                    seen.add(i.format())
                    issues.append(i)
    if issues:
        return issues
    for index in range(1, min(scenario.episodes, max_episodes)):
        try:
            sample(scenario, index, require=False)  # requirements: estimated by `simgen validate` separately
        except (ScenarioError, AssetError) as err:
            return [
                Issue(f"in episode {index}: {i.message}", i.file, i.line, i.col, i.path, i.hint) for i in err.issues
            ]
    return issues


def _sample_as(
    scenario: Scenario,
    index: int,
    n_episodes: int,
    master: int,
    variant: int | None,
    cell: int | None,
    attempt: int = 0,
) -> EpisodeSpec:
    """Sample attempt ``attempt`` of episode ``index`` as variant ``variant`` in sweep cell ``cell``."""
    sweep_axes, scenario_variants = scenario.sweep, scenario.variants
    images = n_episodes * scenario.frames * max(1, len(scenario.cameras))
    if images > MAX_IMAGES:
        raise ScenarioError(
            f"{n_episodes} episodes x {scenario.frames} frames x {len(scenario.cameras)} cameras is {images} images, "
            f"more than the limit of {MAX_IMAGES}",
            file=scenario.source,
            hint="render in several runs with different seeds",
        )
    if variant is not None or cell is not None:
        scenario = effective_scenario(scenario, variant, cell)
    try:
        spec = _sample(scenario, index, n_episodes, master, attempt)
    except (ScenarioError, AssetError) as err:  # an asset read while sampling (mesh extents, heightmap) too
        issues = [_located(scenario, i) for i in err.issues]
        label = ", ".join(
            ([f"variant '{scenario_variants[variant].name}'"] if variant is not None else [])
            + ([f"sweep cell {cell}"] if cell is not None else [])
        )
        if label:
            issues = [Issue(f"in {label}: {i.message}", i.file, i.line, i.col, i.path, i.hint) for i in issues]
        raise type(err)(issues=issues) from None
    if variant is not None or cell is not None:
        sweep = None
        if cell is not None and sweep_axes:
            idx, values = sweep_cell(sweep_axes, cell)
            sweep = {"cell": cell, "cells": sweep_cells(sweep_axes), "index": list(idx), "values": values}
        name = scenario_variants[variant].name if variant is not None else None
        return dataclasses.replace(spec, variant=name, sweep=sweep)
    return spec


def _located(scenario: Scenario, issue: Issue) -> Issue:
    """Give a sampling error without a line the file/line of its key path, when the path is known.

    The path itself is kept as raised: it may name an instance (``objects[0][1].placement``).
    """
    if issue.line is not None or not issue.path:
        return issue
    _, data_path = context_of(scenario, issue.path)
    if data_path is None:
        return issue
    where = issue_at(scenario, data_path, issue.message, issue.hint)
    return Issue(issue.message, where.file, where.line, where.col, issue.path, issue.hint)


def _sample(scenario: Scenario, index: int, n_episodes: int, master: int, attempt: int = 0) -> EpisodeSpec:
    sampler = Sampler(master, index, scenario, attempt)
    for name, value in scenario.params.items():
        sampler.sampled[f"params.{name}"] = sampler.draw(value, f"params.{name}")
    classes = scenario.class_names
    objects = _sample_objects(scenario, sampler)
    from simgen.scenario.sensor_sampling import sample_sensors
    from simgen.sensors.camera.sampling import sample_cameras

    objects, _, scene = sample_world(scenario, sampler, objects, ())
    cameras = sample_cameras(scenario, sampler, objects)
    objects = place_in_view(scenario, sampler, objects, cameras)
    world = _world_spec(scenario, sampler)
    spec = EpisodeSpec(
        index=index,
        seed=episode_seed(master, index),
        split=assign_split(scenario.output.splits, index, n_episodes),
        frames=scenario.frames,
        world=world,
        objects=tuple(objects),
        cameras=cameras,
        class_names=tuple(classes),
        min_visible_pixels=scenario.labels.min_visible_pixels,
        base_dir=str(scenario.base_dir),
        sampled=dict(sorted(sampler.sampled.items())),
        scene=scene,
        labels=scenario.labels.model_dump(mode="json"),
        render=scenario.render.model_dump(mode="json"),
        sensors=sample_sensors(scenario, sampler, objects),
    )
    if scenario.randomize or scenario.effects:
        from simgen.scenario.randomizers import apply_randomizers  # numpy only; keeps pybullet/OpenCV out

        spec = apply_randomizers(scenario, spec)
    return spec


def _sample_objects(scenario: Scenario, sampler: Sampler) -> list[ObjectInstance]:
    """Every object entry's instances with their shapes, poses and physical properties drawn."""
    classes = scenario.class_names
    objects: list[ObjectInstance] = []
    for j, entry in enumerate(scenario.objects):
        count = int(sampler.draw(entry.count, f"objects[{j}].count"))
        if len(objects) + count > MAX_OBJECTS:
            raise sampler._fail(
                f"objects[{j}].count", f"this episode would have more than {MAX_OBJECTS} objects", "lower the counts"
            )
        for k in range(count):
            p = f"objects[{j}][{k}]"
            obj = as_drawn(entry, sampler, p)  # a drawn type is drawn first, at p.type
            rpy = sampler.vec3(obj.rpy, f"{p}.rpy")
            color = _rgba(sampler.vec(obj.color, f"{p}.color"))
            objects.append(
                ObjectInstance(
                    instance_id=len(objects) + 1,
                    name=f"{obj.name}_{k}",
                    source=obj.name,
                    class_name=obj.class_ or "",  # unlabelled props may have no class
                    category_id=classes.index(obj.class_) + 1 if obj.class_ in classes else 0,
                    type=obj.type,
                    shape=_shape(obj, sampler, p),
                    position=sampler.vec3(obj.position, f"{p}.position"),
                    orientation=quaternion_from_matrix(rotation_from_rpy(rpy)),
                    rpy_deg=rpy,
                    mass=float(sampler.draw(obj.mass, f"{p}.mass")),
                    color=color,
                    friction=float(sampler.draw(obj.friction, f"{p}.friction")),
                    restitution=float(sampler.draw(obj.restitution, f"{p}.restitution")),
                    linear_damping=float(sampler.draw(obj.linear_damping, f"{p}.linear_damping")),
                    angular_damping=float(sampler.draw(obj.angular_damping, f"{p}.angular_damping")),
                    reflectivity=None
                    if obj.reflectivity is None
                    else float(sampler.draw(obj.reflectivity, f"{p}.reflectivity")),
                )
            )
    return objects


def _world_spec(scenario: Scenario, sampler: Sampler) -> WorldSpec:
    """The physics world: gravity, time step, solver, ground (colour and friction drawn), frame timing."""
    w = scenario.world
    return WorldSpec(
        gravity=(float(w.gravity[0]), float(w.gravity[1]), float(w.gravity[2])),
        time_step=w.time_step,
        solver_iterations=w.solver_iterations,
        ground={
            "type": w.ground.type,
            "color": list(sampler.vec(w.ground.color, "world.ground.color"))
            + ([1.0] if len(w.ground.color) == 3 else []),
            "friction": float(sampler.draw(w.ground.friction, "world.ground.friction")),
        },
        settle_steps=int(round(w.settle_time / w.time_step)),
        steps_per_frame=max(1, int(round(1.0 / (w.frame_rate * w.time_step)))),
    )


def _rgba(color: tuple[float, ...] | None) -> tuple[float, float, float, float] | None:
    """An RGB(A) colour as RGBA (alpha 1 when not given); None stays None."""
    if color is None:
        return None
    r, g, b, *a = color
    return r, g, b, (a[0] if a else 1.0)
