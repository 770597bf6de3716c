"""The exporter interface and its registry.

Exporters stream: ``begin`` prepares the process, ``add`` writes one frame's files and returns a
small JSON record, ``flush`` waits until every file ``add`` started is on disk (``add`` may hand
encoding and writing to a background thread), ``finish`` writes the index files from all records
in dataset order. ``add`` may run in several worker processes; ``finish`` runs once, so index
ids never depend on the worker count or completion order. No exporter creates a folder ahead of
its files (writes make their parents), so a folder exists only if it holds files.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from simgen.errors import SimgenError, did_you_mean
from simgen.frame import Frame

Record = dict[str, Any]


@dataclass(frozen=True)
class DatasetInfo:
    """What every exporter needs to know about the dataset as a whole."""

    out_dir: Path
    name: str
    description: str
    class_names: tuple[str, ...]
    splits: tuple[str, ...]
    version: str
    # Per-format options by exporter name (scenario ``output.<format>``), e.g. {"kitti": {"frame": "level"}}.
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Folder that the scenario's relative asset paths resolve against (object models); None: cwd.
    base_dir: Path | None = None


class Exporter(ABC):
    """A dataset format writer; subclasses register with :func:`register_exporter`."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def __init__(self, info: DatasetInfo) -> None:
        self.info = info
        self.root = info.out_dir / self.name

    def begin(self) -> None:  # noqa: B027 - optional hook
        """Prepare the exporter in this process; idempotent (called once per process).

        Creates no folders: every write makes its parents, so a folder exists only if it holds
        files (an empty ``velodyne/`` or split folder would tell tools to expect files there).
        """

    @abstractmethod
    def add(self, frame: Frame) -> Record:
        """Write one frame's per-frame files; return the JSON record ``finish`` needs."""

    def flush(self) -> None:  # noqa: B027 - optional hook, a no-op for synchronous exporters
        """Block until every file ``add`` started is completely written; re-raise its errors.

        The runner calls this before it records an episode as done. The default suits
        exporters whose ``add`` writes synchronously.
        """

    def end_episode(self, episode: int) -> None:
        """Called in the worker after an episode's last frame; per-episode streams close here."""
        return None

    def abort(self, episode: int) -> None:  # noqa: B027 - optional hook, a no-op for exporters with no open state
        """Called in the worker when episode ``episode`` fails or is interrupted, instead of ``end_episode``.

        Discard what ``add`` started for it and did not finish: open streams, staged folders,
        queued writes. Leaves no temporary behind; finished per-frame files stay (the runner
        removes an unrecorded episode's files by name). Must not raise for an unknown episode.
        """

    def reopen(self) -> None:  # noqa: B027 - optional hook, a no-op for exporters that keep frame names
        """Undo what an earlier ``finish`` renamed, so per-frame files have their worker names again.

        The runner calls this before it resumes a run: a resumed run may render episodes that an
        earlier ``finish`` did not see (failed ones), and ids are assigned afresh. Idempotent.
        """

    @abstractmethod
    def finish(self, records: list[Record]) -> None:
        """Write index files from every frame's record, given in dataset order."""

    def notes(self, records: list[Record]) -> list[str]:
        """Caveats a user must know about this export (run summary line, dataset card); default none."""
        return []


def empty_split_notes(fmt: str, splits: Any, records: list[Record], pattern: str) -> list[str]:
    """The summary line of splits with no images, whose file ``pattern.format(split)`` was not written."""
    seen = {r["split"] for r in records}
    empty = [s for s in splits if s not in seen]
    if not empty:
        return []
    files = ", ".join(pattern.format(s) for s in empty)
    return [f"{fmt}: no images in split {', '.join(empty)}: {files} not written (an empty file breaks evaluators)"]


EXPORTERS: dict[str, type[Exporter]] = {}


def register_exporter(cls: type[Exporter]) -> type[Exporter]:
    """Class decorator: make ``cls`` available as ``--formats cls.name``."""
    EXPORTERS[cls.name] = cls
    return cls


def get_exporter(name: str) -> type[Exporter]:
    """Exporter class by name, or a :class:`SimgenError` with a suggestion."""
    load_builtin()
    if name not in EXPORTERS:
        raise SimgenError(
            f"unknown format '{name}'; available: {', '.join(sorted(EXPORTERS))}",
            hint=did_you_mean(name, list(EXPORTERS)),
        )
    return EXPORTERS[name]


def load_builtin() -> None:
    """Import the built-in exporter modules so they register themselves."""
    from simgen.export import bop, coco, hf, kitti, mcap, raw, voc, yolo  # noqa: F401
