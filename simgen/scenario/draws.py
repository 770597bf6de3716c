"""Per-entry random generators of randomizers and effects, keyed by names, never by draw order.

Every entry draws from generators keyed by (episode seed, entry key, what is drawn for, field
name), never by list position or draw order, so adding an entry, a field, an object or a frame
never shifts another's draws::

    SeedSequence(entropy=episode_seed, spawn_key=(TAG, crc32(entry_key), *extra, crc32(field)))

``extra`` is empty for episode scope, ``crc32(instance name)`` for object scope and
``(crc32(camera), frame)`` for frame scope. Shared by the spec-time randomizers
(:mod:`simgen.scenario.randomizers`) and the image-time effects (:mod:`simgen.randomize.effects`).
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any, overload

import numpy as np

from simgen.scenario.distributions import Constant

TAG = 0x52414E44  # "RAND": keeps these streams apart from the scenario sampler's


def crc(text: str) -> int:
    """Stable 32-bit key of a name."""
    return zlib.crc32(text.encode("utf-8"))


@dataclasses.dataclass
class Draws:
    """Generators and records of one entry for one draw (an episode, an object or a frame).

    ``values`` collects every drawn value by field name, JSON-ready (the manifest record).
    """

    seed: int
    key: str
    extra: tuple[int, ...] = ()
    values: dict[str, Any] = dataclasses.field(default_factory=dict)

    def rng(self, field: str) -> np.random.Generator:
        """The generator owned by ``field`` in this draw."""
        seq = np.random.SeedSequence(entropy=self.seed, spawn_key=(TAG, crc(self.key), *self.extra, crc(field)))
        return np.random.default_rng(seq)

    def applies(self, probability: float) -> bool:
        """Whether the entry applies to this draw (its own generator; always True at probability 1)."""
        if probability >= 1.0:
            return True
        return bool(self.rng("probability").random() < probability)

    def value(self, dist: Any, field: str) -> Any:
        """Draw ``dist`` (a distribution, or a plain number) for ``field``; recorded unless constant."""
        if dist is None:
            return None
        if isinstance(dist, int | float | str):
            return dist
        if isinstance(dist, Constant):
            return dist.value
        v = dist.sample(self.rng(field))
        v = v.item() if isinstance(v, np.generic) else v
        v = round(v, 9) if isinstance(v, float) else v  # the value used is the value recorded
        self.values[field] = v
        return v

    @overload
    def vector(self, dists: None, field: str) -> None: ...

    @overload
    def vector(self, dists: Any, field: str) -> tuple[Any, ...]: ...

    def vector(self, dists: Any, field: str) -> tuple[Any, ...] | None:
        """Draw each component of a tuple field (``field[0]``, ``field[1]``, ...)."""
        if dists is None:
            return None
        return tuple(self.value(d, f"{field}[{i}]") for i, d in enumerate(dists))

    def record(self, field: str, value: Any) -> Any:
        """Record a derived value (a colour, a pose) under ``field`` and return it."""
        self.values[field] = _jsonable(value)
        return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.round(value.astype(float), 9).tolist()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float):
        return round(value, 9)
    return value
