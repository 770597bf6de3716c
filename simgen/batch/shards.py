"""Shards for job arrays: ``simgen render ... --shard I/N`` on many machines, then ``simgen merge``.

Shard ``I`` of ``N`` renders episodes ``I, I+N, I+2N, ...`` into its own folder: per-frame files
and one record per episode (``.simgen/``), but no index files, manifest or ids. :func:`merge`
checks that the folders are the ``N`` shards of one run (same run key: scenario, seed, options),
each exactly once and each finished, copies their files into one folder and assembles it there
with :func:`simgen.batch.runner.assemble`, the step a single-machine run ends with. The result is
byte-identical to a single-machine run (the manifest's ``created`` aside). Episodes that failed in
a shard stay failed in the merged manifest (exit code 3), as they would in a single run.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from simgen.batch.runner import RunSummary, assemble, shard_episodes
from simgen.batch.state import STATE_DIR, episode_file, failure_file
from simgen.core.fileio import is_staged, is_temporary, write_json
from simgen.errors import OutputError


def _read_shard(folder: Path) -> dict[str, Any]:
    run_file = folder / STATE_DIR / "run.json"
    if not folder.is_dir():
        raise OutputError(f"shard folder '{folder}' does not exist")
    if not run_file.exists():
        raise OutputError(
            f"'{folder}' is not a simgen shard (no {STATE_DIR}/run.json)", hint="render it with --shard I/N"
        )
    run = json.loads(run_file.read_text())
    if "shard" not in run or "run" not in run:
        raise OutputError(
            f"'{folder}' holds a whole run, not a shard", hint="merge only folders rendered with --shard I/N"
        )
    return run


def check_shards(folders: list[Path]) -> tuple[dict[str, Any], dict[int, Path]]:
    """The common run of ``folders`` and shard index -> folder; an :class:`OutputError` when they do not fit."""
    if not folders:
        raise OutputError("no shard folders given")
    runs = [(folder, _read_shard(folder)) for folder in folders]
    first, run = runs[0]
    by_index: dict[int, Path] = {}
    for folder, other in runs:
        if other["key"] != run["key"]:
            raise OutputError(
                f"shards of different runs: '{first}' and '{folder}' were rendered with a different scenario, seed "
                "or options",
                hint="merge only the shards of one 'simgen render ... --shard I/N' command line",
            )
        i, n = other["shard"]
        if n != run["shard"][1]:
            raise OutputError(
                f"'{folder}' is shard {i}/{n} but '{first}' is shard {run['shard'][0]}/{run['shard'][1]}",
                hint="every shard of one run uses the same N",
            )
        if i in by_index:
            raise OutputError(f"shard {i}/{n} given twice: '{by_index[i]}' and '{folder}'", hint="give each shard once")
        by_index[i] = folder
    n = run["shard"][1]
    missing = [i for i in range(n) if i not in by_index]
    if missing:
        names = ", ".join(f"{i}/{n}" for i in missing)
        raise OutputError(
            f"shard{'s' if len(missing) > 1 else ''} {names} missing ({len(by_index)} of {n} given)",
            hint="render the missing shards with --shard I/N, then merge all of them",
        )
    for i, folder in sorted(by_index.items()):
        unfinished = [
            e
            for e in shard_episodes(run["run"]["episodes"], (i, n))
            if not episode_file(folder, e).exists() and not failure_file(folder, e).exists()
        ]
        if unfinished:
            raise OutputError(
                f"shard {i}/{n} ('{folder}') is not finished: {len(unfinished)} episodes have no record "
                f"(first: {unfinished[0]})",
                hint=f"rerun it with --shard {i}/{n} --resume",
            )
    return run, by_index


def merge(folders: list[Path], out: Path) -> RunSummary:
    """Assemble shard ``folders`` into ``out``; returns the summary of the merged dataset.

    Every check runs before anything is written; the files are copied into a hidden staging
    folder next to ``out`` that is renamed into place, then the index files are assembled.
    """
    t0 = time.perf_counter()
    run, by_index = check_shards(folders)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"--out '{out}' exists and is not an empty folder", hint="merge into a new folder")
    staging = out.parent / f".{out.name}.merging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        for _, folder in sorted(by_index.items()):
            _copy_tree(folder, staging)
        whole = {k: v for k, v in run.items() if k != "shard"}
        write_json(staging / STATE_DIR / "run.json", whole)
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    counts, notes = assemble(out, whole)
    n_episodes = run["run"]["episodes"]
    return RunSummary(
        out_dir=out,
        episodes=n_episodes,
        images=counts["images"],
        annotations=counts["annotations"],
        seconds=time.perf_counter() - t0,
        renderer=run["run"]["renderer"],
        formats=tuple(run["run"]["formats"]),
        per_class=counts["annotations_per_class"],
        failed=[i for i in range(n_episodes) if failure_file(out, i).exists()],
        notes=tuple(notes),
    )


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy every file of shard ``src`` into ``dst`` (temporaries and the shard's run.json left out)."""
    run_file = src / STATE_DIR / "run.json"
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not is_staged(d)]
        here = Path(root)
        target = dst / here.relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            path = here / name
            if is_temporary(name) or path == run_file:
                continue
            to = target / name
            if to.exists():
                if to.read_bytes() != path.read_bytes():
                    raise OutputError(
                        f"'{path}' differs from the same file in another shard", hint="re-render the shard"
                    )
                continue
            shutil.copyfile(path, to)
