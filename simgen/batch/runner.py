"""Render a scenario into a dataset: episodes -> worker processes (or Ray actors) -> exporters.

Each finished episode leaves a record in ``OUT/.simgen/episodes/`` (see
:mod:`simgen.batch.state`); :func:`assemble` writes every index file from those records in
episode order, so the output bytes do not depend on the worker count, the backend or the
sharding. An episode that fails every attempt is recorded as failed and the run goes on.
``--resume`` sweeps what an interrupted run left half-written, then renders the episodes that
have no record (failed ones included).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simgen.batch.config import BACKENDS, RunConfig
from simgen.batch.pool import Backend, LocalBackend, Outcome, run_episodes
from simgen.batch.progress import make_progress
from simgen.batch.state import STATE_DIR, episode_file, failure_file, sweep, traceback_file
from simgen.batch.worker import RunOptions
from simgen.core.fileio import is_temporary, write_json, write_text
from simgen.errors import OutputError, SimgenError
from simgen.export.base import DatasetInfo, get_exporter
from simgen.export.manifest import build_manifest, count_labels, write_dataset_card, write_manifest
from simgen.scenario.models import Scenario
from simgen.scenario.sampling import sample
from simgen.scenario.spec import EpisodeSpec
from simgen.sensors.clock import expected_frames
from simgen.sensors.render import resolve_renderer

__all__ = [
    "BACKENDS",
    "STATE_DIR",
    "RunConfig",
    "RunOptions",
    "RunPlan",
    "RunSummary",
    "assemble",
    "render_dataset",
    "run",
]


@dataclass
class RunSummary:
    """What a finished run (or shard) produced."""

    out_dir: Path
    episodes: int
    images: int
    annotations: int
    seconds: float
    renderer: str
    formats: tuple[str, ...]
    skipped_episodes: int = 0
    per_class: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # exporters' caveats (Exporter.notes), appended to the line
    failed: list[int] = field(default_factory=list)
    shard: tuple[int, int] | None = None

    def line(self) -> str:
        """One-line summary printed at the end of ``simgen render``."""
        rate = self.images / self.seconds if self.seconds > 0 else 0.0
        resumed = f", {self.skipped_episodes} resumed" if self.skipped_episodes else ""
        failed = ""
        if self.failed:
            failed = f", {len(self.failed)} FAILED (episodes {_ranges(self.failed)}; see manifest.json 'failures')"
            if self.shard is not None:
                failed = failed.replace("manifest.json 'failures'", f"{STATE_DIR}/failures/")
        what = f"shard {self.shard[0]}/{self.shard[1]}: " if self.shard is not None else ""
        return (
            f"simgen: {what}wrote {self.images} images, {self.annotations} annotations from {self.episodes} episodes"
            f"{resumed}{failed} ({', '.join(self.formats)}, renderer {self.renderer}) to {self.out_dir} "
            f"in {self.seconds:.1f} s ({rate:.1f} images/s)"
        ) + "".join(f"; {note}" for note in self.notes)


def _ranges(indices: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``'1-3, 7'``."""
    parts: list[tuple[int, int]] = []
    for i in sorted(indices):
        if parts and parts[-1][1] == i - 1:
            parts[-1] = (parts[-1][0], i)
        else:
            parts.append((i, i))
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def resolved_config(scenario: Scenario) -> dict[str, Any]:
    """The scenario as validated (``extends`` already merged), as JSON data that loads back as is."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"extends"})


def _run_key(scenario: Scenario, opts: RunOptions) -> str:
    config = resolved_config(scenario)
    blob = json.dumps({"config": config, "opts": opts.__dict__, "sha": scenario.sha256}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _run_meta(scenario: Scenario, opts: RunOptions, info: DatasetInfo) -> dict[str, Any]:
    """Everything :func:`assemble` needs besides the records (stored in ``run.json`` for ``simgen merge``)."""
    return {
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "path": scenario.source,
            "sha256": scenario.sha256,
            "extends": scenario.extends_files,
            "config": resolved_config(scenario),
        },
        "run": {
            "seed": opts.seed,
            "episodes": opts.episodes,
            "frames": opts.frames,
            "renderer": opts.renderer,
            "formats": list(opts.formats),
            "seed_derivation": "numpy.random.SeedSequence(entropy=seed, spawn_key=(episode,))",
        },
        "info": {
            "name": info.name,
            "description": info.description,
            "class_names": list(info.class_names),
            "splits": list(info.splits),
            "version": info.version,
            "options": info.options,
            "base_dir": None if info.base_dir is None else str(info.base_dir),
        },
    }


def _prepare_out(out: Path, run: dict[str, Any], resume: bool) -> bool:
    """Check ``out`` may hold this run, write ``run.json``; True when an earlier run is continued."""
    state = out / STATE_DIR
    resuming = False
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out '{out}' exists and is not a folder")
    # A folder with nothing but folders and temporaries (a run killed before its run.json was in
    # place) counts as empty; the caller sweeps it.
    if out.exists() and any((p.is_file() and not is_temporary(p.name)) or p.is_symlink() for p in out.rglob("*")):
        run_file = state / "run.json"
        if not resume:
            raise OutputError(
                f"output folder '{out}' is not empty",
                hint="pass --resume to continue an interrupted run, or choose a new --out",
            )
        if not run_file.exists():
            raise OutputError(f"'{out}' holds no simgen run to resume", hint="choose an empty --out")
        previous = json.loads(run_file.read_text())
        if previous.get("key") != run["key"]:
            raise OutputError(
                f"'{out}' was rendered with a different scenario or options; refusing to mix them",
                hint="rerun with the same scenario and flags, or choose a new --out",
            )
        if previous.get("shard") != run.get("shard"):
            raise OutputError(
                f"'{out}' holds {_shard_words(previous.get('shard'))}, not {_shard_words(run.get('shard'))}",
                hint="resume with the same --shard, or choose a new --out",
            )
        resuming = True
    (state / "episodes").mkdir(parents=True, exist_ok=True)
    write_json(state / "run.json", run)
    return resuming


def _shard_words(shard: list[int] | None) -> str:
    return "a whole run" if shard is None else f"shard {shard[0]}/{shard[1]}"


def shard_episodes(n_episodes: int, shard: tuple[int, int] | None) -> list[int]:
    """Episodes of shard (I, N): every N-th from I (round robin, so shards get similar work)."""
    if shard is None:
        return list(range(n_episodes))
    return list(range(shard[0], n_episodes, shard[1]))


def render_dataset(scenario: Scenario, out: str | Path, **options: Any) -> RunSummary:
    """Render ``scenario`` into ``out`` and export its formats; returns a :class:`RunSummary`.

    ``options`` are the fields of :class:`RunConfig` (``episodes``, ``frames``, ``seed``, ``workers``,
    ``formats``, ``renderer``, ``resume``, ``progress``, ``only``, ``retries``, ``shard``,
    ``backend``, ``address``, ``max_episodes_per_worker``), checked before anything runs.
    Episodes run in ``workers`` worker processes (``backend='local'``) or Ray actors
    (``backend='ray'``, ``address`` of the cluster). An episode that raises or kills its worker
    is retried ``retries`` times, each time in a fresh worker, then recorded as failed
    (``RunSummary.failed``; the manifest's ``failures``) while the others complete. ``shard=(I, N)``
    renders only episodes ``I, I+N, ...`` and leaves assembling to :func:`simgen.batch.shards.merge`.
    ``progress``: 'auto' (None), 'bar', 'json' or 'none' (True/False for bar/none).

    Example:
        >>> import simgen, tempfile
        >>> sc = simgen.load(simgen.resources.scenario_path("quickstart"))
        >>> s = render_dataset(sc, tempfile.mkdtemp() + "/ds", episodes=1, frames=1, renderer="tiny", progress=False)
        >>> s.images
        1
    """
    return run(scenario, RunConfig(out=Path(out), **options))


def run(scenario: Scenario, config: RunConfig) -> RunSummary:
    """Plan (sample every episode once), prepare ``out``, execute the episodes, assemble the dataset."""
    t0 = time.perf_counter()
    plan = plan_run(scenario, config)
    todo = prepare(plan, config)
    execute(plan, config, todo)
    return summarize(plan, config, skipped=len(plan.episodes) - len(todo), seconds_since=t0)


@dataclass
class RunPlan:
    """A run sampled but not yet started: its episodes' specs, options and ``run.json`` content."""

    scenario: Scenario
    opts: RunOptions
    info: DatasetInfo
    run: dict[str, Any]
    specs: dict[int, EpisodeSpec]  # this run's (or shard's) episodes, in order
    images: dict[int, int]  # camera frames per episode (rigs and camera rates included)

    @property
    def episodes(self) -> list[int]:
        """The episode indices this run renders."""
        return list(self.specs)


def plan_run(scenario: Scenario, config: RunConfig) -> RunPlan:
    """Sample every episode of the run before touching the disk: sampling errors leave nothing behind."""
    if config.frames is not None:
        scenario = _with(scenario, frames=config.frames)
    n_episodes = config.episodes if config.episodes is not None else scenario.episodes
    opts = RunOptions(
        episodes=n_episodes,
        frames=scenario.frames,
        seed=scenario.seed if config.seed is None else config.seed,
        formats=config.formats,
        renderer=resolve_renderer(_texture_safe(scenario, config.renderer)),
    )
    mine = shard_episodes(n_episodes, config.shard)
    if config.only is not None:  # --episode N: regenerate those episodes exactly (within this shard)
        mine = [i for i in _only(list(config.only), n_episodes) if i in set(mine)]
    specs = {i: sample(scenario, i, episodes=n_episodes, seed=opts.seed) for i in mine}
    from simgen import __version__

    info = DatasetInfo(
        out_dir=config.out,
        name=scenario.name,
        description=scenario.description,
        class_names=tuple(scenario.class_names),
        splits=tuple(scenario.output.splits),
        version=__version__,
        options=scenario.output.format_options(),
        base_dir=scenario.base_dir,
    )
    shard = {"shard": list(config.shard)} if config.shard else {}
    run: dict[str, Any] = {"key": _run_key(scenario, opts), **shard, **_run_meta(scenario, opts, info)}
    images = {i: expected_frames(spec) for i, spec in specs.items()}
    return RunPlan(scenario, opts, info, run, specs, images)


def prepare(plan: RunPlan, config: RunConfig) -> list[int]:
    """Claim ``out`` (write ``run.json``), sweep what an interrupted run left; the episodes still to render."""
    out = config.out
    existed = out.exists()
    if _prepare_out(out, plan.run, config.resume):
        for name in config.formats:
            get_exporter(name)(plan.info).reopen()
    if existed:
        # Temporaries of killed writers, and whatever unfinished or failed episodes left, go first.
        sweep(out, drop_episode=lambda i: not episode_file(out, i).exists())
    return [i for i in plan.episodes if not episode_file(out, i).exists()]


def execute(plan: RunPlan, config: RunConfig, todo: list[int]) -> None:
    """Render the ``todo`` episodes on the chosen backend; save each record (or failure) as it comes."""
    out = config.out
    done = [i for i in plan.episodes if i not in set(todo)]
    bar = make_progress(
        config.progress,
        len(plan.episodes),
        sum(plan.images.values()),
        len(done),
        sum(plan.images[i] for i in done),
    )

    def report(outcome: Outcome) -> None:
        _save_outcome(out, outcome, plan.specs[outcome.index].seed)
        bar.episode(outcome.index, plan.images[outcome.index], outcome.ok, outcome.stats)

    def attempt_failed(i: int) -> None:
        sweep(out, drop_episode=lambda e: e == i, temporaries=False)  # other workers are writing

    try:
        if todo:
            backend = _backend(plan, config)
            try:
                run_episodes(
                    todo,
                    config.workers,
                    backend,
                    retries=config.retries,
                    report=report,
                    on_attempt_failed=attempt_failed,
                    max_episodes=config.max_episodes_per_worker,
                )
            finally:
                backend.close()
    finally:
        bar.close()


def _backend(plan: RunPlan, config: RunConfig) -> Backend:
    """The configured backend, its workers set up with this run's scenario, options and specs."""
    initargs = (plan.scenario, plan.opts, plan.info)
    if config.backend == "ray":
        from simgen.batch.ray_backend import RayBackend

        return RayBackend(initargs, plan.specs, config.address)
    return LocalBackend(initargs, plan.specs)


def _save_outcome(out: Path, outcome: Outcome, seed: int) -> None:
    """Save a finished episode's record (forgetting an earlier failure of it), or its failure."""
    i = outcome.index
    if not outcome.ok:
        _record_failure(out, outcome, seed)
        return
    write_json(episode_file(out, i), outcome.record)
    if failure_file(out, i).exists():  # a retried failure: forget it
        failure_file(out, i).unlink()
        traceback_file(out, i).unlink(missing_ok=True)
        if not any(failure_file(out, i).parent.iterdir()):
            failure_file(out, i).parent.rmdir()


def summarize(plan: RunPlan, config: RunConfig, *, skipped: int, seconds_since: float) -> RunSummary:
    """Assemble the dataset (a whole run) or count a shard's labels; the run's summary."""
    out, mine = config.out, plan.episodes
    failed = [i for i in mine if failure_file(out, i).exists()]
    notes: list[str] = []
    if config.shard is not None:
        records = [json.loads(episode_file(out, i).read_text()) for i in mine if episode_file(out, i).exists()]
        counts = count_labels([fr["summary"] for r in records for fr in r["frames"]], list(plan.info.class_names))
    else:
        counts, notes = assemble(out, plan.run)
    return RunSummary(
        out_dir=out,
        episodes=len(mine),
        images=counts["images"],
        annotations=counts["annotations"],
        seconds=time.perf_counter() - seconds_since,
        renderer=plan.opts.renderer,
        formats=config.formats,
        skipped_episodes=skipped,
        per_class=counts["annotations_per_class"],
        notes=tuple(notes),
        failed=failed,
        shard=config.shard,
    )


def _texture_safe(scenario: Scenario, renderer: str) -> str:
    from simgen.scenario.randomizers import texture_safe_renderer

    return texture_safe_renderer(scenario, renderer)


def _only(only: list[int], n_episodes: int) -> list[int]:
    """Sorted unique episode indices of ``--episode N`` (each within the run's episodes)."""
    for i in only:
        if not 0 <= i < n_episodes:
            raise SimgenError(f"--episode {i} is outside this run's episodes 0..{n_episodes - 1}")
    return sorted(set(only))


def _record_failure(out: Path, outcome: Outcome, seed: int) -> None:
    """Write a failed episode's record and traceback under ``.simgen/failures/``."""
    tb = traceback_file(out, outcome.index)
    write_text(tb, outcome.traceback or (outcome.error or "") + "\n")
    write_json(
        failure_file(out, outcome.index),
        {
            "index": outcome.index,
            "seed": seed,
            "attempts": outcome.attempts,
            "error": outcome.error,
            "traceback": tb.relative_to(out).as_posix(),
        },
    )


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def assemble(out: Path, run: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Write every index file, the manifest and the dataset card from the records in ``out``.

    Ids are assigned here, in episode order, from the saved records, so the bytes do not depend
    on the worker count, the backend, or how the episodes were split into shards. Failed
    episodes are listed in the manifest's ``failures`` (a key present only when some failed).
    Returns the label counts and the exporters' notes (caveats for the summary line and card).
    """
    n_episodes = run["run"]["episodes"]
    formats = run["run"]["formats"]
    i_ = run["info"]
    info = DatasetInfo(
        out_dir=out,
        name=i_["name"],
        description=i_["description"],
        class_names=tuple(i_["class_names"]),
        splits=tuple(i_["splits"]),
        version=i_["version"],
        options=i_.get("options") or {},
        base_dir=Path(i_["base_dir"]) if i_.get("base_dir") else None,
    )
    records = [_load(episode_file(out, i)) for i in range(n_episodes) if episode_file(out, i).exists()]
    failures = [_load(failure_file(out, i)) for i in range(n_episodes) if failure_file(out, i).exists()]
    frame_records = [fr for rec in records for fr in rec["frames"]]
    exporters = [get_exporter(name)(info) for name in formats]
    notes: dict[str, list[str]] = {}
    for e in exporters:
        e.begin()
        e.finish([fr["exports"][e.name] for fr in frame_records])
        notes[e.name] = e.notes([fr["exports"][e.name] for fr in frame_records])
    counts = count_labels([fr["summary"] for fr in frame_records], list(info.class_names))
    manifest = build_manifest(
        version=info.version,
        scenario=run["scenario"],
        run=run["run"],
        episodes=[r["spec"] for r in records],
        class_names=list(info.class_names),
        counts=counts,
        notes={k: v for k, v in notes.items() if v},
    )
    if failures:
        manifest["failures"] = failures
    write_manifest(out, manifest)
    write_dataset_card(out, manifest)
    return counts, [n for v in notes.values() for n in v]


def _with(scenario: Scenario, **update: Any) -> Scenario:
    """A copy of ``scenario`` with top-level fields replaced, keeping its source and sha."""
    return scenario.model_copy(update=update)
