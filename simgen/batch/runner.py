"""Render a scenario into a dataset: episodes -> worker processes -> exporters, resumable.

Each finished episode leaves a record in ``OUT/.simgen/episodes/``; ``finish`` assembles all
index files from those records in episode order, so the output bytes do not depend on the
worker count. ``--resume`` skips episodes whose record exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from simgen.errors import OutputError, SimgenError
from simgen.export.atomic import write_json
from simgen.export.base import DatasetInfo, Exporter, get_exporter
from simgen.export.manifest import build_manifest, count_labels, write_dataset_card, write_manifest
from simgen.scenario.models import Scenario
from simgen.scenario.sampling import sample
from simgen.sensors.clock import expected_frames
from simgen.sensors.render import resolve_renderer
from simgen.sim.quiet import quiet_stdout

STATE_DIR = ".simgen"


@dataclass
class RunOptions:
    """Everything that shapes a run's output (and so must match on resume)."""

    episodes: int
    frames: int
    seed: int
    formats: tuple[str, ...]
    renderer: str


@dataclass
class RunSummary:
    """What a finished run produced."""

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

    def line(self) -> str:
        """One-line summary printed at the end of ``simgen render``."""
        rate = self.images / self.seconds if self.seconds > 0 else 0.0
        resumed = f", {self.skipped_episodes} resumed" if self.skipped_episodes else ""
        return (
            f"simgen: wrote {self.images} images, {self.annotations} annotations from {self.episodes} episodes"
            f"{resumed} ({', '.join(self.formats)}, renderer {self.renderer}) to {self.out_dir} "
            f"in {self.seconds:.1f} s ({rate:.1f} images/s)"
        ) + "".join(f"; {note}" for note in self.notes)


def resolved_config(scenario: Scenario) -> dict[str, Any]:
    """The scenario as validated (``extends`` already merged), as JSON data that loads back as is."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"extends"})


def _run_key(scenario: Scenario, opts: RunOptions) -> str:
    config = resolved_config(scenario)
    blob = json.dumps({"config": config, "opts": opts.__dict__, "sha": scenario.sha256}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _prepare_out(out: Path, key: str, resume: bool) -> None:
    state = out / STATE_DIR
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out '{out}' exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        run_file = state / "run.json"
        if not resume:
            raise OutputError(
                f"output folder '{out}' is not empty",
                hint="pass --resume to continue an interrupted run, or choose a new --out",
            )
        if not run_file.exists():
            raise OutputError(f"'{out}' holds no simgen run to resume", hint="choose an empty --out")
        previous = json.loads(run_file.read_text())
        if previous.get("key") != key:
            raise OutputError(
                f"'{out}' was rendered with a different scenario or options; refusing to mix them",
                hint="rerun with the same scenario and flags, or choose a new --out",
            )
    (state / "episodes").mkdir(parents=True, exist_ok=True)
    write_json(state / "run.json", {"key": key})


def _episode_file(out: Path, index: int) -> Path:
    return out / STATE_DIR / "episodes" / f"e{index:06d}.json"


# Per-process state for worker processes: one pybullet client and exporters, reused per episode.
_WORKER: dict[str, Any] = {}


def _init_worker(scenario: Scenario, opts: RunOptions, info: DatasetInfo, pool_worker: bool = False) -> None:
    from simgen.sim.client import BulletClient

    if pool_worker:
        # Worker processes report through return values; pybullet's C banners go nowhere, and
        # the client is closed by multiprocessing's exit hooks rather than at interpreter teardown.
        from multiprocessing.util import Finalize

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        Finalize(None, _close_worker, exitpriority=10)

    _WORKER["client"] = BulletClient()
    _WORKER["scenario"] = scenario
    _WORKER["opts"] = opts
    _WORKER["info"] = info
    exporters: list[Exporter] = [get_exporter(name)(info) for name in opts.formats]
    for e in exporters:
        e.begin()
    _WORKER["exporters"] = exporters


def _render_episode(index: int) -> dict[str, Any]:
    """Render and export one episode in this process; return its record (not yet saved)."""
    from simgen.batch.episode import run_episode
    from simgen.batch.streams import write_stream
    from simgen.sensors.stream import SensorStream

    scenario: Scenario = _WORKER["scenario"]
    opts: RunOptions = _WORKER["opts"]
    spec = sample(scenario, index, episodes=opts.episodes, seed=opts.seed)
    frames = []
    moving_cameras = any(c.mount is not None for c in spec.cameras)
    stream = SensorStream(index) if spec.sensors or moving_cameras else None
    with quiet_stdout():
        for frame in run_episode(_WORKER["client"], spec, opts.renderer, stream):
            frames.append({"summary": _summary(frame), "exports": {e.name: e.add(frame) for e in _WORKER["exporters"]}})
        for e in _WORKER["exporters"]:
            e.end_episode(index)
    for e in _WORKER["exporters"]:
        e.flush()  # every file on disk before the episode counts as done (resume relies on it)
    record = {"episode": index, "spec": spec.to_json(), "frames": frames}
    if stream is not None:
        record["sensor_stream"] = write_stream(_WORKER["info"].out_dir, stream)
    return record


def _summary(frame: Any) -> dict[str, Any]:
    """Exporter-independent facts about a frame, for the manifest's counts."""
    return {
        "split": frame.split,
        "annotations": [{"category_id": lab.category_id} for lab in frame.labels],
    }


def _close_worker() -> None:
    client = _WORKER.pop("client", None)
    if client is not None:
        client.close()


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
    progress: bool | None = None,
    only: list[int] | None = None,
) -> RunSummary:
    """Render ``scenario`` into ``out`` and export ``formats``; returns a :class:`RunSummary`.

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
    if frames is not None:
        if frames < 1:
            raise SimgenError(f"--frames must be at least 1, got {frames}")
        scenario = _with(scenario, frames=frames)
    n_episodes = episodes if episodes is not None else scenario.episodes
    if n_episodes < 1:
        raise SimgenError(f"--episodes must be at least 1, got {n_episodes}")
    opts = RunOptions(
        episodes=n_episodes,
        frames=scenario.frames,
        seed=scenario.seed if seed is None else seed,
        formats=formats,
        renderer=resolve_renderer(_texture_safe(scenario, renderer)),
    )
    images_per_episode: list[int] = []  # camera frames per episode (rigs and camera rates included)
    # Sample every episode before touching the disk: sampling errors leave nothing behind.
    for i in range(n_episodes):
        images_per_episode.append(expected_frames(sample(scenario, i, episodes=n_episodes, seed=opts.seed)))
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
    chosen = list(range(n_episodes)) if only is None else _only(only, n_episodes)
    _prepare_out(out, _run_key(scenario, opts), resume)
    todo = [i for i in chosen if not _episode_file(out, i).exists()]
    skipped = len(chosen) - len(todo)
    bar = _progress(
        sum(images_per_episode[i] for i in chosen),
        sum(images_per_episode[i] for i in chosen) - sum(images_per_episode[i] for i in todo),
        progress,
    )

    def save(record: dict[str, Any]) -> None:
        write_json(_episode_file(out, record["episode"]), record)
        bar.update(len(record["frames"]))

    try:
        if workers == 1 or len(todo) <= 1:
            _init_worker(scenario, opts, info)
            try:
                for i in todo:
                    save(_render_episode(i))
            finally:
                _close_worker()
        else:
            _run_pool(todo, workers, scenario, opts, info, save)
    finally:
        bar.close()

    records = [json.loads(_episode_file(out, i).read_text()) for i in chosen]
    frame_records = [fr for rec in records for fr in rec["frames"]]
    exporters = [get_exporter(name)(info) for name in formats]
    notes: dict[str, list[str]] = {}
    for e in exporters:
        e.begin()
        e.finish([fr["exports"][e.name] for fr in frame_records])
        notes[e.name] = e.notes([fr["exports"][e.name] for fr in frame_records])
    counts = count_labels([fr["summary"] for fr in frame_records], list(info.class_names))
    manifest = build_manifest(
        version=__version__,
        scenario={
            "name": scenario.name,
            "description": scenario.description,
            "path": scenario.source,
            "sha256": scenario.sha256,
            "extends": scenario.extends_files,
            "config": resolved_config(scenario),
        },
        run={
            "seed": opts.seed,
            "episodes": n_episodes,
            "frames": opts.frames,
            "renderer": opts.renderer,
            "formats": list(formats),
            "seed_derivation": "numpy.random.SeedSequence(entropy=seed, spawn_key=(episode,))",
        },
        episodes=[r["spec"] for r in records],
        class_names=list(info.class_names),
        counts=counts,
        notes={k: v for k, v in notes.items() if v},
    )
    write_manifest(out, manifest)
    write_dataset_card(out, manifest)
    return RunSummary(
        out_dir=out,
        episodes=n_episodes,
        images=counts["images"],
        annotations=counts["annotations"],
        seconds=time.perf_counter() - t0,
        renderer=opts.renderer,
        formats=formats,
        skipped_episodes=skipped,
        per_class=counts["annotations_per_class"],
        notes=tuple(n for v in notes.values() for n in v),
    )


def _texture_safe(scenario: Scenario, renderer: str) -> str:
    from simgen.randomize.randomizers import texture_safe_renderer

    return texture_safe_renderer(scenario, renderer)


def _only(only: list[int], n_episodes: int) -> list[int]:
    """Sorted unique episode indices of ``--episode N`` (each within the run's episodes)."""
    for i in only:
        if not 0 <= i < n_episodes:
            raise SimgenError(f"--episode {i} is outside this run's episodes 0..{n_episodes - 1}")
    return sorted(set(only))


def _with(scenario: Scenario, **update: Any) -> Scenario:
    """A copy of ``scenario`` with top-level fields replaced, keeping its source and sha."""
    return scenario.model_copy(update=update)


def _run_pool(
    todo: list[int], workers: int, scenario: Scenario, opts: RunOptions, info: DatasetInfo, save: Any
) -> None:
    ctx = get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(todo)),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(scenario, opts, info, True),
    ) as pool:
        pending = {pool.submit(_render_episode, i) for i in todo}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    save(fut.result())
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, initial: int, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty() and not os.environ.get("CI")
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="img", desc="rendering", dynamic_ncols=True, file=sys.stderr)
