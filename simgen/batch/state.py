"""A run's state on disk, under ``OUT/.simgen/``, and the sweeps that keep an output tree clean.

Layout::

    OUT/.simgen/run.json                      run key + what `finish`/`simgen merge` need (no timestamps)
    OUT/.simgen/episodes/eNNNNNN.json         one record per finished episode (written last)
    OUT/.simgen/failures/eNNNNNN.json         an episode that failed every attempt: seed, error, attempts
    OUT/.simgen/failures/eNNNNNN.traceback.txt  its last traceback (or how its worker died)

An episode counts as done only once its record exists; everything else an interrupted or failed
episode left behind is swept before the run goes on:

- *temporaries* that a killed writer could not remove (a failing one removes its own: exporters'
  ``abort`` hook): files written to a temporary name and not yet renamed and staged folders, as
  :func:`simgen.core.fileio.is_temporary` and :func:`simgen.core.fileio.is_staged` know them;
- *episode files* of an episode without a record: every file or folder whose name starts with
  the episode's token ``eNNNNNN`` followed by ``_`` or ``.`` (per-frame files, MCAP recordings,
  sensor streams), and BOP scene folders ``bop/<split>/NNNNNN``.

Nothing else is touched, so a sweep never removes another episode's files.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from simgen.core.fileio import is_staged, is_temporary

STATE_DIR = ".simgen"

EPISODE_NAME = re.compile(r"^\.?e(\d{6})(?:[._]|$)")
BOP_SCENE = re.compile(r"^\.?(\d{6})(?:\.partial)?$")


def episode_file(out: Path, index: int) -> Path:
    """Where episode ``index``'s record lives."""
    return out / STATE_DIR / "episodes" / f"e{index:06d}.json"


def failure_file(out: Path, index: int) -> Path:
    """Where episode ``index``'s failure record lives (only while it is failed)."""
    return out / STATE_DIR / "failures" / f"e{index:06d}.json"


def traceback_file(out: Path, index: int) -> Path:
    """The text file with the last traceback of a failed episode."""
    return out / STATE_DIR / "failures" / f"e{index:06d}.traceback.txt"


def episode_of(path: Path, out: Path) -> int | None:
    """The episode a dataset path belongs to by its name, or None (index files, other episodes' ids)."""
    m = EPISODE_NAME.match(path.name)
    if m:
        return int(m.group(1))
    rel = path.relative_to(out).parts
    if len(rel) == 3 and rel[0] == "bop":
        m = BOP_SCENE.match(path.name)
        if m:
            return int(m.group(1))
    return None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def sweep(out: Path, drop_episode: Callable[[int], bool] = lambda i: False, *, temporaries: bool = True) -> list[Path]:
    """Remove the files of episodes for which ``drop_episode`` is true, and every temporary under ``out``.

    With ``temporaries=False`` only the dropped episodes' files go (their temporaries included):
    the form used while other workers are writing. Walks the tree once. The run state folder is
    swept for temporaries only. Returns the removed paths (relative to ``out``, sorted).
    """
    removed: list[Path] = []
    state = out / STATE_DIR
    for root, dirs, files in os.walk(out):
        here = Path(root)
        in_state = here == state or state in here.parents
        for name in list(dirs):
            path = here / name
            if path == state:
                continue
            episode = None if in_state else episode_of(path, out)
            if (temporaries and is_staged(name)) or (episode is not None and drop_episode(episode)):
                shutil.rmtree(path)
                dirs.remove(name)
                removed.append(path.relative_to(out))
        for name in files:
            path = here / name
            episode = None if in_state else episode_of(path, out)
            if (temporaries and is_temporary(name)) or (episode is not None and drop_episode(episode)):
                _remove(path)
                removed.append(path.relative_to(out))
    return sorted(removed)


__all__ = ["STATE_DIR", "episode_file", "episode_of", "failure_file", "sweep", "traceback_file"]
