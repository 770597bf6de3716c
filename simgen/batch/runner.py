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

from simgen.batch.pool import LocalBackend, Outcome, run_episodes
from simgen.batch.progress import make_progress
from simgen.batch.state import STATE_DIR, episode_file, failure_file, sweep, traceback_file
from simgen.batch.worker import RunOptions
from simgen.core.fileio import is_temporary, write_json, write_text
from simgen.errors import OutputError, SimgenError, did_you_mean
from simgen.export.base import DatasetInfo, get_exporter
from simgen.export.manifest import build_manifest, count_labels, write_dataset_card, write_manifest
from simgen.scenario.models import Scenario
from simgen.scenario.sampling import sample
from simgen.sensors.clock import expected_frames
from simgen.sensors.render import resolve_renderer

BACKENDS = ("local", "ray")
__all__ = ["BACKENDS", "STATE_DIR", "RunOptions", "RunSummary", "assemble", "render_dataset"]


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
    parts: list[str] = []
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


def parse_shard(text: str) -> tuple[int, int]:
    """``'I/N'`` -> (I, N) with 0 <= I < N; a :class:`SimgenError` otherwise."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError as err:
        raise SimgenError(
            f"--shard '{text}' is not I/N", hint="e.g. --shard 0/4 (shards are numbered 0 to N-1)"
        ) from err
    if n < 1 or not 0 <= i < n:
        raise SimgenError(f"--shard '{text}': I must be in 0 .. N-1 and N at least 1", hint="e.g. --shard 0/4")
    return i, n


def shard_episodes(n_episodes: int, shard: tuple[int, int] | None) -> list[int]:
    """Episodes of shard (I, N): every N-th from I (round robin, so shards get similar work)."""
    if shard is None:
        return list(range(n_episodes))
    return list(range(shard[0], n_episodes, shard[1]))


def render_dataset(
    scenario: Scenario,
    out: str | Path,
    *,
    episodes: int | None = None,
    frames: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    formats: tuple[str, ...] | list[str] = ("coco",),
    renderer: str = "auto",
    resume: bool = False,
    progress: bool | str | None = None,
    only: list[int] | None = None,
    retries: int = 2,
    shard: tuple[int, int] | None = None,
    backend: str = "local",
    address: str | None = None,
    max_episodes_per_worker: int = 0,
) -> RunSummary:
    """Render ``scenario`` into ``out`` and export ``formats``; returns a :class:`RunSummary`.

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
    t0 = time.perf_counter()
    out = Path(out)
    formats = tuple(dict.fromkeys(formats))
    for name in formats:
        get_exporter(name)
    if workers < 1:
        raise SimgenError(f"--workers must be at least 1, got {workers}")
    if retries < 0:
        raise SimgenError(f"--retries must be at least 0, got {retries}")
    if max_episodes_per_worker < 0:
        raise SimgenError(f"--worker-max-episodes must be at least 0, got {max_episodes_per_worker}")
    if backend not in BACKENDS:
        raise SimgenError(
            f"unknown backend '{backend}'; expected one of {', '.join(BACKENDS)}", hint=did_you_mean(backend, BACKENDS)
        )
    if address is not None and backend != "ray":
        raise SimgenError("--address names a Ray cluster; it needs --backend ray", hint="add --backend ray")
    if frames is not None:
        if frames < 1:
            raise SimgenError(f"--frames must be at least 1, got {frames}")
        scenario = _with(scenario, frames=frames)
    n_episodes = episodes if episodes is not None else scenario.episodes
    if n_episodes < 1:
        raise SimgenError(f"--episodes must be at least 1, got {n_episodes}")
    if shard is not None:
        shard = parse_shard(f"{shard[0]}/{shard[1]}")
    if backend == "ray":
        from simgen.batch.ray_backend import require_ray

        require_ray()
    opts = RunOptions(
        episodes=n_episodes,
        frames=scenario.frames,
        seed=scenario.seed if seed is None else seed,
        formats=formats,
        renderer=resolve_renderer(_texture_safe(scenario, renderer)),
    )
    mine = shard_episodes(n_episodes, shard)
    if only is not None:  # --episode N: regenerate those episodes exactly (within this shard)
        mine = [i for i in _only(only, n_episodes) if i in set(mine)]
    images_per_episode: dict[int, int] = {}  # camera frames per episode (rigs and camera rates included)
    # Sample every episode before touching the disk: sampling errors leave nothing behind.
    for i in mine:
        images_per_episode[i] = expected_frames(sample(scenario, i, episodes=n_episodes, seed=opts.seed))
    from simgen import __version__

    info = DatasetInfo(
        out_dir=out,
        name=scenario.name,
        description=scenario.description,
        class_names=tuple(scenario.class_names),
        splits=tuple(scenario.output.splits),
        version=__version__,
        options=scenario.output.format_options(),
        base_dir=scenario.base_dir,
    )
    meta = _run_meta(scenario, opts, info)
    run: dict[str, Any] = {"key": _run_key(scenario, opts), **({"shard": list(shard)} if shard else {}), **meta}
    existed = out.exists()
    if _prepare_out(out, run, resume):
        for name in formats:
            get_exporter(name)(info).reopen()
    if existed:
        # Temporaries of killed writers, and whatever unfinished or failed episodes left, go first.
        sweep(out, drop_episode=lambda i: not episode_file(out, i).exists())
    todo = [i for i in mine if not episode_file(out, i).exists()]
    skipped = len(mine) - len(todo)
    bar = make_progress(
        progress,
        len(mine),
        sum(images_per_episode.values()),
        skipped,
        sum(images_per_episode[i] for i in mine if i not in todo),
    )

    def report(outcome: Outcome) -> None:
        i = outcome.index
        if outcome.ok:
            write_json(episode_file(out, i), outcome.record)
            if failure_file(out, i).exists():  # a retried failure: forget it
                failure_file(out, i).unlink()
                traceback_file(out, i).unlink(missing_ok=True)
                if not any(failure_file(out, i).parent.iterdir()):
                    failure_file(out, i).parent.rmdir()
        else:
            _record_failure(out, outcome, sample(scenario, i, episodes=n_episodes, seed=opts.seed).seed)
        bar.episode(i, images_per_episode[i], outcome.ok, outcome.stats)

    def attempt_failed(i: int) -> None:
        sweep(out, drop_episode=lambda e: e == i, temporaries=False)  # other workers are writing

    initargs = (scenario, opts, info)
    try:
        if todo:
            if backend == "ray":
                from simgen.batch.ray_backend import RayBackend

                pool: Any = RayBackend(initargs, address)
            else:
                pool = LocalBackend(initargs)
            try:
                run_episodes(
                    todo,
                    workers,
                    pool,
                    retries=retries,
                    report=report,
                    on_attempt_failed=attempt_failed,
                    max_episodes=max_episodes_per_worker,
                )
            finally:
                if hasattr(pool, "close"):
                    pool.close()
    finally:
        bar.close()

    failed = [i for i in mine if failure_file(out, i).exists()]
    notes: list[str] = []
    if shard is not None:
        records = [json.loads(episode_file(out, i).read_text()) for i in mine if episode_file(out, i).exists()]
        counts = count_labels([fr["summary"] for r in records for fr in r["frames"]], list(info.class_names))
    else:
        counts, notes = assemble(out, run)
    return RunSummary(
        out_dir=out,
        episodes=len(mine),
        images=counts["images"],
        annotations=counts["annotations"],
        seconds=time.perf_counter() - t0,
        renderer=opts.renderer,
        formats=formats,
        skipped_episodes=skipped,
        per_class=counts["annotations_per_class"],
        notes=tuple(notes),
        failed=failed,
        shard=shard,
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
