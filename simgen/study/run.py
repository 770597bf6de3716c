"""The utility study from one call: render, train, evaluate, report.

In order:

1. **Check everything first** (:func:`plan`): the scenario transforms load, ``--real`` reads and
   its class names map onto the scenario's, ``--weights`` exists, torch imports, ``--out`` is
   empty. A mistake raises :class:`SimgenError` before anything is written.
2. **Render** each set with simgen's own ``render_dataset``, in a child process (spawned, so the
   EGL/Mesa renderer and torch never share a process: a process that imports torch after
   pybullet's EGL plugin has loaded Mesa llvmpipe dies of a segmentation fault when it trains):
   one training set per arm, the held-out target test set and a held-out source test set.
3. **Train** one detector per (arm, training seed) with the same image budget and steps.
4. **Evaluate** every model on every target with pycocotools (:mod:`simgen.study.evaluate`).
5. **Report**: ``results.json``, ``results.md`` and ``plots/*.png`` in ``--out``
   (:mod:`simgen.study.report`); predictions per model in ``predictions/``.

Arms are (domain, renderer) pairs, see :data:`ARMS`; domains are made by
:mod:`simgen.study.domains`. The gap of an arm to the oracle is the relative mAP drop
``1 - mAP(arm) / mAP(oracle)`` on the held-out target, paired by training seed, with a 95 %
Student-t interval over seeds (none with one seed).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from simgen.core.fileio import write_json
from simgen.errors import OutputError, SimgenError
from simgen.scenario.models import Scenario
from simgen.study import domains
from simgen.study.data import DetectionSet, read_real_coco, read_simgen_coco
from simgen.study.evaluate import coco_evaluate
from simgen.study.model import CENTERNET, TrainConfig, predict, require_torch, train_detector


@dataclass(frozen=True)
class Arm:
    """One way of making training data: a domain (scenario transform) and a renderer role.

    ``domain``: 'nominal' (randomization off), 'randomized' (the hook on) or 'target'.
    ``renderer``: 'raster' (pybullet, ``--renderer``), 'photoreal' (``--photoreal-renderer``) or
    'target' (whatever renders the target: photoreal when available, else raster).
    """

    name: str
    label: str
    domain: str
    renderer: str


ARMS = (
    Arm("source", "1. source: pybullet raster, randomization off", "nominal", "raster"),
    Arm("randomized", "2. source + randomization and sensor effects", "randomized", "raster"),
    Arm("photoreal", "3. photoreal (Blender) training frames", "nominal", "photoreal"),
    Arm("oracle", "4. oracle: trained on the target domain", "target", "target"),
)
ORACLE = "oracle"
AUTO = ("egl", "tiny")  # what renderer 'auto' resolves to
ABLATE_PREFIX = "ablate:"  # domain key of a randomized domain with one entry left out
HELDOUT = "heldout"  # the held-out target domain's test set
SOURCE_TEST = "source"  # held-out scenes of the source domain: is training working at all?


@dataclass
class StudyOptions:
    """Size and knobs of a study; :func:`preset` gives the quick and full sizes."""

    mode: str = "quick"
    width: int = 240
    height: int = 180
    frames: int = 4  # frames per episode
    train_images: int = 240  # per arm: the same image budget for every arm
    test_images: int = 120
    train_seeds: int = 1
    train: TrainConfig = field(default_factory=TrainConfig)
    classes: list[str] | None = None
    renderer: str = "auto"
    photoreal_renderer: str = "cycles"
    workers: int = 1
    threads: int = 1  # torch threads per training
    jobs: int = 1  # trainings run at once, each in its own process (quick mode: one per CPU core)
    ablate: bool = False  # also train the randomized arm with each randomize:/effects: entry left out
    reuse: list[str] = field(default_factory=list)  # earlier studies' --out: identical sets are copied
    device: str = "auto"  # 'auto': cuda when torch sees a GPU, else cpu
    shift_seed: int = 7  # draws the target domain's appearance
    real: str | None = None
    class_map: dict[str, str] = field(default_factory=dict)


def preset(mode: str) -> StudyOptions:
    """'quick': a centre-point detector, 3 seeds, about 30 min on an idle 2-core CPU. 'full': for a GPU."""
    if mode == "quick":
        train = TrainConfig(
            model=CENTERNET, steps=300, batch_size=16, lr=2e-3, warmup_steps=30, min_size=180, max_size=240,
        )  # fmt: skip
        return StudyOptions(
            mode="quick",
            width=240,
            height=180,
            frames=4,
            train_images=240,
            test_images=120,
            train_seeds=3,
            train=train,
            jobs=max(1, os.cpu_count() or 1),
        )
    if mode == "full":
        train = TrainConfig(steps=6000, batch_size=8, lr=1e-3, warmup_steps=300, min_size=480, max_size=640)
        return StudyOptions(
            mode="full",
            width=640,
            height=480,
            frames=4,
            train_images=4000,
            test_images=1000,
            train_seeds=3,
            train=train,
        )
    raise SimgenError(f"unknown study mode '{mode}'; expected quick or full")


@dataclass
class RenderedSet:
    """A dataset the study rendered: where, from which domain/renderer/seed, how many images."""

    name: str
    domain: str
    renderer: str
    seed: int
    episodes: int
    split: str
    path: Path
    images: int = 0
    annotations: int = 0
    seconds: float = 0.0
    renderer_used: str = ""
    reused_from: str | None = None  # an earlier study's set with the same manifest recipe (--reuse)


@dataclass
class Plan:
    """Everything checked and decided before the first file is written."""

    scenario: Scenario
    options: StudyOptions
    out: Path
    classes: list[str]
    domains: dict[str, Scenario]
    arms: list[Arm]
    skipped: dict[str, str]
    sets: dict[str, RenderedSet]
    photoreal: tuple[bool, str]
    randomization: str
    real: DetectionSet | None = None
    ablations: list[Arm] = field(default_factory=list)


def _renderer_for(role: str, options: StudyOptions, photoreal_ok: bool) -> str:
    if role == "raster":
        return options.renderer
    if role == "photoreal":
        return options.photoreal_renderer
    return options.photoreal_renderer if photoreal_ok else options.renderer


def plan(scenario: Scenario, out: str | Path, options: StudyOptions) -> Plan:
    """Check inputs and decide sets and arms; raises SimgenError on any user mistake, writes nothing."""
    out = Path(out)
    _check_options(out, options)
    base = domains.study_base(
        scenario, width=options.width, height=options.height, classes=options.classes, frames=options.frames
    )
    classes = list(base.classes or [])
    real = read_real_coco(options.real, classes, options.class_map) if options.real else None
    made = {
        "nominal": domains.with_randomization(base, on=False),
        "randomized": domains.with_randomization(base, on=True),
        "target": domains.target_domain(base, shift_seed=options.shift_seed),
    }
    # torch after the input checks, so that every mistake is reported even without the extra, and
    # before bpy (photoreal_status): torch imported after a Mesa stack has loaded (seen with the EGL
    # plugin) crashes the process.
    require_torch()
    photoreal = domains.photoreal_status(options.photoreal_renderer)
    arms, skipped = [], {}
    for arm in ARMS:
        if arm.renderer == "photoreal" and not photoreal[0]:
            skipped[arm.name] = photoreal[1]
            continue
        arms.append(arm)
    declared = domains.has_declarative_randomization() and any(
        getattr(base, key, None) for key in domains.RANDOMIZE_KEYS
    )
    ablations: list[Arm] = []
    if options.ablate:
        if not declared:
            raise SimgenError(
                f"--ablate: scenario '{scenario.name}' declares no randomize:/effects: entries to leave out",
                hint="add randomize:/effects: blocks to the scenario, or drop --ablate",
            )
        for entry in domains.ablations(made["randomized"]):
            made[ABLATE_PREFIX + entry.slug] = entry.scenario
            name, label = f"ablate_{entry.slug}", f"randomized without {entry.label}"
            ablations.append(Arm(name, label, ABLATE_PREFIX + entry.slug, "raster"))
    sets = _sets(base.seed, [*arms, *ablations], out, options, photoreal[0])
    return Plan(
        scenario=scenario,
        options=options,
        out=out,
        classes=classes,
        domains=made,
        arms=arms,
        skipped=skipped,
        sets=sets,
        photoreal=photoreal,
        randomization="declarative" if declared else "fallback",
        real=real,
        ablations=ablations,
    )


def _check_options(out: Path, options: StudyOptions) -> None:
    """A :class:`SimgenError` for a used ``--out`` or an option out of range; nothing written."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"--out '{out}' is not an empty folder", hint="choose a new --out; a study does not resume")
    for name in (
        "width",
        "height",
        "frames",
        "train_images",
        "test_images",
        "train_seeds",
        "workers",
        "threads",
        "jobs",
    ):
        if getattr(options, name) < 1:
            raise SimgenError(f"study option {name} must be at least 1, got {getattr(options, name)}")
    if options.train.steps < 1 or options.train.batch_size < 1:
        raise SimgenError("--steps and --batch-size must be at least 1")
    for earlier in options.reuse:
        if not (Path(earlier) / "data").is_dir():
            raise SimgenError(f"--reuse '{earlier}' is not the --out of an earlier study (no data/ folder)")
    if options.train.model == CENTERNET and options.train.weights is not None:
        raise SimgenError(f"--weights is for the torchvision detectors, not {CENTERNET}", hint="add --model")
    if options.train.weights is not None and not Path(options.train.weights).is_file():
        raise SimgenError(f"--weights '{options.train.weights}' does not exist")


def _sets(seed: int, arms: list[Arm], out: Path, options: StudyOptions, photoreal_ok: bool) -> dict[str, RenderedSet]:
    """The sets to render: one training set per arm, the held-out target test set and the source test set."""
    episodes_train = math.ceil(options.train_images / options.frames)
    episodes_test = math.ceil(options.test_images / options.frames)
    sets: dict[str, RenderedSet] = {}
    for arm in arms:
        train_seed = seed + domains.TARGET_TRAIN_SEED_OFFSET if arm.domain == "target" else seed
        sets[f"train_{arm.name}"] = RenderedSet(
            name=f"train_{arm.name}",
            domain=arm.domain,
            renderer=_renderer_for(arm.renderer, options, photoreal_ok),
            seed=train_seed,
            episodes=episodes_train,
            split="train",
            path=out / "data" / f"train_{arm.name}",
        )
    sets[f"test_{HELDOUT}"] = RenderedSet(
        name=f"test_{HELDOUT}",
        domain="target",
        renderer=_renderer_for("target", options, photoreal_ok),
        seed=seed + domains.TARGET_TEST_SEED_OFFSET,
        episodes=episodes_test,
        split="test",
        path=out / "data" / f"test_{HELDOUT}",
    )
    sets[f"test_{SOURCE_TEST}"] = RenderedSet(
        name=f"test_{SOURCE_TEST}",
        domain="nominal",
        renderer=options.renderer,
        seed=seed + domains.SOURCE_TEST_SEED_OFFSET,
        episodes=episodes_test,
        split="test",
        path=out / "data" / f"test_{SOURCE_TEST}",
    )
    return sets


def _render_child(scenario: Scenario, out: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Runs in a spawned process: render one set with simgen's own runner; returns its summary."""
    from simgen.batch.runner import render_dataset

    summary = render_dataset(scenario, out, **kwargs)
    return {
        "images": summary.images,
        "annotations": summary.annotations,
        "seconds": summary.seconds,
        "renderer": summary.renderer,
    }


def _split_only(rendered: RenderedSet, scenario: Scenario) -> Scenario:
    """``scenario`` writing every image to ``rendered``'s split."""
    output = type(scenario.output).model_validate({**scenario.output.model_dump(), "splits": {rendered.split: 1.0}})
    return scenario.model_copy(update={"output": output})


def reuse_set(rendered: RenderedSet, scenario: Scenario, earlier: Path) -> bool:
    """Copy ``earlier/data/<set>`` when its manifest has this set's exact recipe; False when it differs.

    The recipe is the resolved scenario configuration, seed, episode count and requested renderer
    ('auto' matches the raster renderers auto chooses from, never a photoreal one), so a reused
    set is the one rendering would write again.
    """
    import shutil

    from simgen.batch.runner import resolved_config

    source = earlier / "data" / rendered.name
    try:
        manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    run = manifest.get("run", {})
    same = (
        manifest.get("scenario", {}).get("config")
        == json.loads(json.dumps(resolved_config(_split_only(rendered, scenario))))
        and run.get("seed") == rendered.seed
        and run.get("episodes") == rendered.episodes
        and (run.get("renderer") == rendered.renderer or (rendered.renderer == "auto" and run.get("renderer") in AUTO))
    )
    if not same:
        return False
    shutil.copytree(source, rendered.path)
    rendered.images = int(manifest.get("counts", {}).get("images", 0))
    rendered.annotations = int(manifest.get("counts", {}).get("annotations", 0))
    rendered.renderer_used = str(run.get("renderer", ""))
    rendered.reused_from = str(source)
    return True


def render_set(rendered: RenderedSet, scenario: Scenario, workers: int) -> None:
    """Render ``rendered`` from ``scenario`` (its split only) in a spawned child process."""
    scenario = _split_only(rendered, scenario)
    kwargs = {
        "episodes": rendered.episodes,
        "seed": rendered.seed,
        "workers": workers,
        "formats": ["coco"],
        "renderer": rendered.renderer,
        "progress": False,
    }
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        summary = pool.submit(_render_child, scenario, str(rendered.path), kwargs).result()
    rendered.images = summary["images"]
    rendered.annotations = summary["annotations"]
    rendered.seconds = summary["seconds"]
    rendered.renderer_used = summary["renderer"]


def _first(dataset: DetectionSet, n: int) -> DetectionSet:
    return dataset.subset(sorted(dataset.image_ids)[:n])


def run_study(
    scenario: Scenario, out: str | Path, options: StudyOptions, echo: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Run the whole study into ``out``; returns the results (also written as results.json)."""
    say = echo or (lambda _msg: None)
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    p = plan(scenario, out, options)
    torch = require_torch()
    torch.set_num_threads(options.threads)
    p.out.mkdir(parents=True, exist_ok=True)
    for rendered in p.sets.values():
        if any(reuse_set(rendered, p.domains[rendered.domain], Path(earlier)) for earlier in options.reuse):
            say(f"reused {rendered.name} from {rendered.reused_from}")
            continue
        say(
            f"rendering {rendered.name}: {rendered.episodes} episodes, "
            f"domain {rendered.domain}, renderer {rendered.renderer}"
        )
        render_set(rendered, p.domains[rendered.domain], options.workers)
    cpu_render = cpu_seconds() - cpu0
    train_sets, budget, targets = _read_sets(p, options)
    device = options.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    train_cfg = replace(options.train, device=device)
    jobs = [
        TrainJob(arm.name, train_sets[arm.name], targets, p.classes, train_cfg, k, options.threads, str(p.out))
        for arm in [*p.arms, *p.ablations]
        for k in range(options.train_seeds)
    ]
    say(f"training {len(jobs)} models ({train_cfg.steps} steps on {budget} images each), {options.jobs} at once")
    runs = run_jobs(jobs, options.jobs, say)
    arm_results = []
    for arm in [*p.arms, *p.ablations]:
        arm_runs = [r for job, r in zip(jobs, runs, strict=True) if job.arm == arm.name]
        arm_results.append(
            {**asdict(arm), "status": "ran", "reason": None, "train_set": f"train_{arm.name}", "runs": arm_runs}
        )
    for arm in ARMS:
        if arm.name in p.skipped:
            arm_results.append({**asdict(arm), "status": "skipped", "reason": p.skipped[arm.name], "runs": []})
    ablation = [a for a in arm_results if a["domain"].startswith(ABLATE_PREFIX)]
    arm_results = [a for a in arm_results if a not in ablation]
    arm_results.sort(key=lambda a: [x.name for x in ARMS].index(a["name"]))
    summarize(arm_results, list(targets), p.classes)
    results = _results_json(scenario, options, p, budget, torch, train_cfg.device, targets, arm_results, t0)
    results["summary"] = study_summary(arm_results, list(range(options.train_seeds)))
    if options.ablate:
        results["ablation"] = ablation_summary(ablation, arm_results)
    cpu_total = cpu_seconds() - cpu0
    results["cpu"] = {
        "render_seconds": round(cpu_render, 1),
        "train_seconds": round(cpu_total - cpu_render, 1),
        "total_seconds": round(cpu_total, 1),
        "idle_wall_estimate_seconds": round(cpu_total / max(os.cpu_count() or 1, 1), 1),
        "note": "process CPU time (this process and its children); idle wall estimate = CPU time / cores",
    }
    from simgen.study.report import write_reports

    write_reports(results, p.out)
    return results


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its finished children."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _read_sets(p: Plan, options: StudyOptions) -> tuple[dict[str, DetectionSet], int, dict[str, DetectionSet]]:
    """Training sets cut to one common image budget, and the test targets (real data included when given)."""
    train_sets = {
        arm.name: read_simgen_coco(p.sets[f"train_{arm.name}"].path, "train", p.classes, f"train_{arm.name}")
        for arm in [*p.arms, *p.ablations]
    }
    budget = min([options.train_images, *(len(ds.image_ids) for ds in train_sets.values())])
    train_sets = {name: _first(ds, budget) for name, ds in train_sets.items()}
    targets: dict[str, DetectionSet] = {
        HELDOUT: _first(
            read_simgen_coco(p.sets[f"test_{HELDOUT}"].path, "test", p.classes, HELDOUT), options.test_images
        ),
        SOURCE_TEST: _first(
            read_simgen_coco(p.sets[f"test_{SOURCE_TEST}"].path, "test", p.classes, SOURCE_TEST), options.test_images
        ),
    }
    if p.real is not None:
        targets["real"] = p.real
    return train_sets, budget, targets


@dataclass
class TrainJob:
    """One detector to train and evaluate: an arm's training set at one training seed."""

    arm: str
    train_set: DetectionSet
    targets: dict[str, DetectionSet]
    classes: list[str]
    config: TrainConfig
    seed: int
    threads: int
    out: str


def train_job(job: TrainJob) -> dict[str, Any]:
    """Train one model, write its predictions for every target, and return the run's results."""
    torch = require_torch()
    torch.set_num_threads(job.threads)
    cpu0 = time.process_time()
    model, log = train_detector(job.train_set, job.classes, job.config, seed=job.seed)
    evals = {}
    for target_name, target in job.targets.items():
        detections = predict(model, target, device=job.config.device)
        write_json(Path(job.out) / "predictions" / f"{job.arm}_seed{job.seed}_{target_name}.json", detections)
        evals[target_name] = coco_evaluate(target.gt, detections).to_json()
    return {
        "seed": job.seed,
        "train_seconds": round(log.seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu0, 2),
        "losses": log.losses,
        "loaded_tensors": log.loaded_tensors,
        "eval": evals,
    }


def run_jobs(jobs: list[TrainJob], parallel: int, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Run ``jobs`` (``parallel`` at once in spawned processes, or here when 1); results in job order."""

    def report(job: TrainJob, run: dict[str, Any]) -> None:
        heldout = run["eval"].get(HELDOUT, {})
        say(
            f"trained {job.arm} seed {job.seed} in {run['train_seconds']:.0f} s: "
            f"{HELDOUT} mAP@0.5 {_fmt(heldout.get('map50'))}, mAP {_fmt(heldout.get('map'))}"
        )

    if parallel <= 1 or len(jobs) <= 1:
        runs = []
        for job in jobs:
            runs.append(train_job(job))
            report(job, runs[-1])
        return runs
    with ProcessPoolExecutor(max_workers=min(parallel, len(jobs)), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(train_job, job) for job in jobs]
        runs = []
        for job, future in zip(jobs, futures, strict=True):
            runs.append(future.result())
            report(job, runs[-1])
    return runs


def _results_json(
    scenario: Scenario,
    options: StudyOptions,
    p: Plan,
    budget: int,
    torch: Any,
    device: str,
    targets: dict[str, DetectionSet],
    arm_results: list[dict[str, Any]],
    t0: float,
) -> dict[str, Any]:
    """Everything results.json records: versions, options, environment, sets, targets and arms."""
    results = {
        "simgen_version": _version(),
        "scenario": scenario.name,
        "scenario_sha256": scenario.sha256,
        "mode": options.mode,
        "classes": p.classes,
        "randomization": p.randomization,
        "photoreal": {
            "available": p.photoreal[0],
            "reason": p.photoreal[1] or None,
            "renderer": options.photoreal_renderer,
        },
        "options": _options_json(options, budget),
        "environment": {
            "torch": torch.__version__,
            "torchvision": __import__("torchvision").__version__,
            "device": device,
            "threads": options.threads,
            "cpu_count": os.cpu_count(),
        },
        "sets": {name: _set_json(s, p.out) for name, s in p.sets.items()},
        "targets": {
            name: {"images": len(t.image_ids), "annotations": len(t.gt["annotations"])} for name, t in targets.items()
        },
        "arms": arm_results,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return results


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _version() -> str:
    from simgen import __version__

    return __version__


def _set_json(s: RenderedSet, out: Path) -> dict[str, Any]:
    d = asdict(s)
    d["path"] = str(s.path.relative_to(out))
    return d


def _options_json(options: StudyOptions, budget: int) -> dict[str, Any]:
    d = asdict(options)
    d["train"]["weights"] = str(options.train.weights) if options.train.weights else None
    d["image_budget"] = budget
    return json.loads(json.dumps(d, default=str))


def t_interval(values: list[float], level: float = 0.95) -> tuple[float, float] | None:
    """Student-t confidence interval of the mean of ``values``; None for fewer than 2 values."""
    n = len(values)
    if n < 2:
        return None
    from scipy import stats

    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return (mean - half, mean + half)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(arm_results: list[dict[str, Any]], targets: list[str], classes: list[str]) -> None:
    """Add per-target summaries (mean mAP over seeds, per-class AP, gap to the oracle) in place.

    The gap is reported for the held-out target, where the oracle was trained on that domain:
    per seed ``1 - mAP(arm) / mAP(oracle)`` (paired by seed), mean and 95 % t-interval.
    """
    oracle = next((a for a in arm_results if a["name"] == ORACLE and a["status"] == "ran"), None)
    for arm in arm_results:
        arm["summary"] = {}
        if arm["status"] != "ran":
            continue
        for target in targets:
            maps = [r["eval"][target]["map"] for r in arm["runs"]]
            maps50 = [r["eval"][target]["map50"] for r in arm["runs"]]
            valid = [m for m in maps if m is not None]
            per_class = {}
            for name in classes:
                aps = [r["eval"][target]["per_class"][name]["ap"] for r in arm["runs"]]
                aps = [a for a in aps if a is not None]
                per_class[name] = _mean(aps)
            entry: dict[str, Any] = {
                "map": _mean(valid),
                "map_runs": maps,
                "map_ci95": t_interval(valid),
                "map50": _mean([m for m in maps50 if m is not None]),
                "per_class_ap": per_class,
                "gap": None,
            }
            if target == HELDOUT and oracle is not None:
                gaps = []
                for run, ref in zip(arm["runs"], oracle["runs"], strict=True):
                    a, o = run["eval"][target]["map"], ref["eval"][target]["map"]
                    if a is not None and o is not None and o > 0:
                        gaps.append(1.0 - a / o)
                entry["gap"] = {
                    "mean": _mean(gaps),
                    "runs": gaps,
                    "ci95": t_interval(gaps),
                    "n": len(gaps),
                    "note": None if gaps else "oracle mAP is 0 for every seed: the gap is undefined",
                }
            arm["summary"][target] = entry


def _stat(values: list[float]) -> dict[str, Any]:
    """Mean, 95 % Student-t interval ([lo, hi], None under 2 values) and the values themselves."""
    ci = t_interval(values)
    return {"mean": _mean(values), "ci95": list(ci) if ci else None, "runs": values, "n": len(values)}


def _heldout(arm: dict[str, Any], metric: str) -> dict[int, float]:
    """Seed -> held-out ``metric`` of an arm's runs (runs without a value left out)."""
    return {r["seed"]: r["eval"][HELDOUT][metric] for r in arm["runs"] if r["eval"][HELDOUT][metric] is not None}


def study_summary(arm_results: list[dict[str, Any]], seeds: list[int]) -> dict[str, Any]:
    """The machine-readable summary: held-out mAP@0.5 and gap to the oracle per arm, mean and ci95.

    Gap per seed: ``1 - mAP@0.5(arm) / mAP@0.5(oracle)`` with the oracle of the same training
    seed (seeds where the oracle scores 0 are left out); the same on mAP .50:.95 as ``*_map``.
    """
    by_name = {a["name"]: a for a in arm_results}
    oracle = by_name.get(ORACLE)
    arms: dict[str, Any] = {}
    for arm in ARMS:
        a = by_name.get(arm.name)
        if a is None or a["status"] != "ran":
            empty = _stat([])
            arms[arm.name] = {
                "status": "skipped",
                "reason": a["reason"] if a else "not run",
                "heldout": {"map50": empty, "map": empty},
                "gap_to_oracle": empty,
                "gap_to_oracle_map": empty,
            }
            continue
        arms[arm.name] = {"status": "ran", "reason": None, **_arm_stats(a, oracle)}
    return {"seeds": list(seeds), "metric": "heldout mAP@0.5 (pycocotools)", "arms": arms}


def _gaps(values: dict[int, float], reference: dict[int, float]) -> list[float]:
    return [1.0 - values[k] / reference[k] for k in sorted(values) if reference.get(k)]


def _arm_stats(arm: dict[str, Any], oracle: dict[str, Any] | None) -> dict[str, Any]:
    m50, m = _heldout(arm, "map50"), _heldout(arm, "map")
    o50 = _heldout(oracle, "map50") if oracle and oracle["status"] == "ran" else {}
    o = _heldout(oracle, "map") if oracle and oracle["status"] == "ran" else {}
    return {
        "heldout": {"map50": _stat([m50[k] for k in sorted(m50)]), "map": _stat([m[k] for k in sorted(m)])},
        "gap_to_oracle": _stat(_gaps(m50, o50)),
        "gap_to_oracle_map": _stat(_gaps(m, o)),
    }


def ablation_summary(ablation: list[dict[str, Any]], arm_results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per left-out entry: held-out mAP@0.5, gap to the oracle, and what the entry carries.

    ``carries``: mAP@0.5 of the full randomized arm minus that of the arm without the entry,
    paired by seed (positive: the entry helps on the held-out target).
    """
    by_name = {a["name"]: a for a in arm_results}
    full = by_name.get("randomized")
    full50 = _heldout(full, "map50") if full and full["status"] == "ran" else {}
    entries = []
    for a in ablation:
        m50 = _heldout(a, "map50")
        carries = [full50[k] - m50[k] for k in sorted(m50) if k in full50]
        entries.append(
            {
                "name": a["name"],
                "label": a["label"],
                **_arm_stats(a, by_name.get(ORACLE)),
                "carries": _stat(carries),
                "runs": a["runs"],
            }
        )
    entries.sort(key=lambda e: -(e["carries"]["mean"] or 0.0))
    return {"reference": "randomized", "entries": entries}
