"""The run configuration: every option of ``simgen render`` besides the scenario, checked once.

:class:`RunConfig` is frozen and validated when it is built (the command line builds it before
anything is sampled or written), so the stages of :func:`simgen.batch.runner.render_dataset`
(plan, prepare, execute, assemble) trust it. Messages name the command-line flags, which is how
users meet them; Python callers get the same :class:`SimgenError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simgen.errors import SimgenError, did_you_mean

BACKENDS = ("local", "ray")


@dataclass(frozen=True)
class RunConfig:
    """How to render: output folder, counts, formats, renderer, scheduling and resume options.

    ``episodes``/``frames``/``seed`` of None keep the scenario's values; ``only`` lists episodes
    to regenerate (``--episode``); ``shard=(I, N)`` renders episodes ``I, I+N, ...``.
    """

    out: Path
    episodes: int | None = None
    frames: int | None = None
    seed: int | None = None
    workers: int = 1
    formats: tuple[str, ...] = ("coco",)
    renderer: str = "auto"
    resume: bool = False
    progress: bool | str | None = None
    only: tuple[int, ...] | None = None
    retries: int = 2
    shard: tuple[int, int] | None = None
    backend: str = "local"
    address: str | None = None
    max_episodes_per_worker: int = 0

    def __post_init__(self) -> None:
        from simgen.export.base import get_exporter

        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "formats", tuple(dict.fromkeys(self.formats)))
        if self.only is not None:
            object.__setattr__(self, "only", tuple(self.only))
        if self.shard is not None:
            object.__setattr__(self, "shard", check_shard(*self.shard))
        for name in self.formats:
            get_exporter(name)
        _at_least("--workers", self.workers, 1)
        _at_least("--retries", self.retries, 0)
        _at_least("--worker-max-episodes", self.max_episodes_per_worker, 0)
        if self.backend not in BACKENDS:
            raise SimgenError(
                f"unknown backend '{self.backend}'; expected one of {', '.join(BACKENDS)}",
                hint=did_you_mean(self.backend, BACKENDS),
            )
        if self.address is not None and self.backend != "ray":
            raise SimgenError("--address names a Ray cluster; it needs --backend ray", hint="add --backend ray")
        if self.frames is not None:
            _at_least("--frames", self.frames, 1)
        if self.episodes is not None:
            _at_least("--episodes", self.episodes, 1)
        if self.backend == "ray":
            from simgen.batch.ray_backend import require_ray

            require_ray()


def _at_least(flag: str, value: int, low: int) -> None:
    if value < low:
        raise SimgenError(f"{flag} must be at least {low}, got {value}")


def check_shard(i: int, n: int) -> tuple[int, int]:
    """(I, N) when 0 <= I < N; a :class:`SimgenError` naming ``--shard`` otherwise."""
    if n < 1 or not 0 <= i < n:
        raise SimgenError(f"--shard '{i}/{n}': I must be in 0 .. N-1 and N at least 1", hint="e.g. --shard 0/4")
    return i, n


__all__ = ["BACKENDS", "RunConfig", "check_shard"]
