"""The sensor plugin interface and its registry, keyed by the YAML ``type`` name.

A plugin is one module with one class: it is built from its resolved spec and the world, and
the episode clock calls :meth:`Sensor.capture` at the sensor's capture ticks. Adding a sensor
type means one model in ``simgen.scenario.sensor_models``, one spec record, one module here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import numpy as np

from simgen.errors import SimgenError, did_you_mean


class WorldView(Protocol):
    """What a sensor reads from the running world (:class:`simgen.sim.world.World` provides it).

    The episode's spec, the simulator client (ray casts, link states), the simulated time, the
    label instance ids of bodies, object poses and the fault windows active now.
    """

    spec: Any
    client: Any
    uid_of: dict[int, int]
    instance_of_uid: np.ndarray

    @property
    def time(self) -> float:
        """Simulated seconds since the episode started."""
        ...

    def poses(self) -> dict[int, tuple[tuple[float, ...], tuple[float, ...]]]:
        """Instance id -> (position, quaternion) of every object now."""
        ...

    def velocities(self) -> dict[int, tuple[tuple[float, ...], tuple[float, ...]]]:
        """Instance id -> (linear, angular) world-frame base velocity of every object now."""
        ...

    def active_faults(self, sensor: str | None = None, kind: str | None = None, t: float | None = None) -> list[Any]:
        """Fault windows active for ``sensor`` at time ``t`` (default now), optionally of one ``kind``."""
        ...

    def camera(self, cam: Any) -> Any:
        """``cam`` posed where its mount is now (cameras on moving bodies)."""
        ...

    def render_light(self) -> dict[str, Any]:
        """The light arguments of the renderer's draw call."""
        ...


class _Named(Protocol):
    @property
    def name(self) -> str: ...


SpecT = TypeVar("SpecT", bound=_Named)
RecordT = TypeVar("RecordT")


class Sensor(ABC, Generic[SpecT, RecordT]):
    """A runtime sensor: timing from its spec, state across captures, a per-sensor generator.

    Generic over its resolved spec and the record :meth:`capture` returns. ``rng`` is the
    sensor's own generator (spawned from the episode seed and the sensor's name), so adding a
    sensor never shifts another's noise.
    """

    kind: ClassVar[str]
    summary: ClassVar[str]
    prime_each_capture: ClassVar[bool] = False  # True: :meth:`prime` runs one tick before every capture

    def __init__(self, spec: SpecT, world: WorldView, rng: np.random.Generator) -> None:
        self.spec = spec
        self.world = world
        self.rng = rng
        self.count = 0

    @property
    def name(self) -> str:
        """The sensor's unique name."""
        return self.spec.name

    def prime(self) -> None:  # noqa: B027 - optional hook, empty by default
        """Called one physics tick before the first capture (e.g. to start finite differences).

        Sensors with ``prime_each_capture`` get it one tick before every capture.
        """

    @abstractmethod
    def capture(self, tick: int) -> RecordT | None:
        """Sample the world now (at ``tick``); return a record, or None if nothing is ready yet."""

    def flush(self, tick: int) -> RecordT | None:
        """Called at :meth:`tail_tick` after the last capture; returns what was held back, if any."""
        return None

    def tail_tick(self, ticks: np.ndarray) -> int | None:
        """An extra tick after the last capture this sensor needs (e.g. forward flow), or None."""
        return None


SENSORS: dict[str, type[Sensor[Any, Any]]] = {}


def register_sensor(cls: type[Sensor[Any, Any]]) -> type[Sensor[Any, Any]]:
    """Class decorator: make ``cls`` the runtime of sensors with ``type: cls.kind``."""
    SENSORS[cls.kind] = cls
    return cls


def load_builtin() -> None:
    """Import the built-in sensor modules so they register themselves."""
    from simgen.sensors import camera_sensor, gnss, imu, lidar, radar  # noqa: F401


def get_sensor(kind: str) -> type[Sensor[Any, Any]]:
    """Sensor class for ``kind``, or a :class:`SimgenError` with a suggestion."""
    load_builtin()
    if kind not in SENSORS:
        raise SimgenError(
            f"unknown sensor type '{kind}'; available: {', '.join(sorted(SENSORS))}",
            hint=did_you_mean(kind, list(SENSORS)),
        )
    return SENSORS[kind]


def sensor_rng(episode_seed: int, name: str) -> np.random.Generator:
    """The generator owned by sensor ``name`` in the episode with summary seed ``episode_seed``."""
    import zlib

    seq = np.random.SeedSequence(entropy=episode_seed, spawn_key=(2, zlib.crc32(name.encode("utf-8"))))
    return np.random.default_rng(seq)


__all__ = ["SENSORS", "Sensor", "get_sensor", "load_builtin", "register_sensor", "sensor_rng"]
