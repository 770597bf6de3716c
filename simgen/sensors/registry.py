"""The sensor registry: one :class:`SensorType` per YAML ``type``, and the runtime interface.

A sensor is one package ``simgen/sensors/<name>/``: its ``model`` module holds the scenario
model, the resolved spec, the record it captures and how records export (light: pydantic and
numpy), its ``runtime`` module the :class:`Sensor` that captures them, and its ``__init__``
the one :class:`SensorType` registration. The scenario loader, JSON Schema, ``simgen list``,
sampling, the episode loop, the stream files and MCAP all read this registry; none of them
names a sensor. Importing this module is light: the scenario stage reads it.
"""

from __future__ import annotations

import dataclasses
import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar, get_args

import numpy as np

from simgen.errors import SimgenError, did_you_mean


class WorldView(Protocol):
    """What a sensor reads from the running world (:class:`simgen.sim.world.World` provides it).

    The episode's spec, the simulated time, the label instance ids of bodies, object poses and
    velocities, body and link motion by simulator id, and the fault windows active now. Sensor
    runtimes read the world through these methods only; ``client`` is the handle the shared
    backends (renderers, ray casters, the Embree/Blender scene readers) draw and cast with.
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

    def mount_pose(self, name: str) -> np.ndarray:
        """(4, 4) world_from_body of the instance ``name`` a sensor rides on (its last pose once removed)."""
        ...

    def body_pose(self, uid: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """World (position, quaternion xyzw) of body ``uid``'s base (its centre of mass)."""
        ...

    def body_velocity(self, uid: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """World-frame (linear m/s, angular rad/s) velocity of body ``uid``'s base."""
        ...

    def body_uids(self) -> list[int]:
        """Simulator id of every body in the world."""
        ...

    def link_poses(self, uid: int) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
        """World pose of each link's centre of mass of body ``uid`` (empty without joints)."""
        ...

    def link_motion(self, uid: int, link: int) -> tuple[tuple[float, ...], ...]:
        """(position, quaternion, linear, angular velocity) of a link's centre of mass; -1: the base."""
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


def spec_from_model(spec_type: type[Any], model: Any, given: dict[str, Any]) -> Any:
    """A sensor's spec: the ``given`` fields, and every other spec field copied from the model field of that name.

    Lists become tuples (specs are immutable records). A spec field the model lacks is an error here,
    not a silent default, so a new spec field needs its model field (or a derived value).
    """
    values = dict(given)
    for f in dataclasses.fields(spec_type):
        if f.name not in values:
            value = getattr(model, f.name)
            values[f.name] = tuple(value) if isinstance(value, list) else value
    return spec_type(**values)


def _nothing_derived(model: Any) -> dict[str, Any]:
    return {}


def stacked_arrays(samples: list[Any]) -> dict[str, np.ndarray]:
    """Columnar arrays of fixed-size records: index and times, then every other field stacked, in field order."""
    out = {
        "index": np.asarray([s.index for s in samples], dtype=np.int64),
        "capture_time": np.asarray([s.capture_time for s in samples], dtype=np.float64),
        "delivery_time": np.asarray([s.delivery_time for s in samples], dtype=np.float64),
    }
    if samples:
        for f in dataclasses.fields(samples[0]):
            if f.name not in ("sensor", "index", "capture_time", "delivery_time"):
                out[f.name] = np.asarray([getattr(s, f.name) for s in samples])
    return out


def scan_arrays(scans: list[Any], offsets: str, fields: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Columnar arrays of variable-size scans (LiDAR points, radar detections).

    Per scan: index, times, ``world_from_sensor`` and the ``offsets`` of each scan's first
    element; then each of ``fields`` concatenated over scans. A field a scan leaves ``None`` (a
    single-return LiDAR's ``echo``) is written as zeros (uint8).
    """
    out: dict[str, np.ndarray] = {
        "scan_index": np.asarray([s.index for s in scans], dtype=np.int64),
        "capture_time": np.asarray([s.capture_time for s in scans], dtype=np.float64),
        "delivery_time": np.asarray([s.delivery_time for s in scans], dtype=np.float64),
        "world_from_sensor": np.asarray([s.world_from_sensor for s in scans], dtype=np.float64).reshape(-1, 4, 4),
        offsets: np.cumsum([0] + [len(s.range) for s in scans]).astype(np.int64),
    }
    for k in fields:
        parts = [v if (v := getattr(s, k)) is not None else np.zeros(len(s.range), np.uint8) for s in scans]
        out[k] = np.concatenate(parts) if parts else np.zeros(0)
    return out


@dataclass(frozen=True)
class SensorType:
    """Everything the pipeline asks about one sensor type, registered once under its YAML ``type``.

    ``model``: the pydantic model of its ``sensors:`` entry (None: the camera, which has its own
    ``cameras:`` section); ``spec``: the resolved dataclass sampling makes from it (every field
    the model field of that name unless ``derive`` computes it); ``record``: the dataclass
    :meth:`Sensor.capture` returns; ``runtime``: ``"module:Class"`` of the :class:`Sensor`,
    imported on first use (loading a sensor type loads no simulator). ``arrays`` turns records
    into the stream's columnar NPZ arrays (default: :func:`stacked_arrays`); ``mcap`` turns one
    record into ``[(topic, Foxglove message)]``; ``on_frame`` turns a record into the point
    cloud that rides on the next camera frames (``Frame.lidar``: KITTI, raw and MCAP read it).
    With neither, MCAP prints a one-line notice naming the type, with ``mcap_note`` (where the
    data is instead) when given. ``faults``: pydantic models of the event actions that fault this
    type (``type: Literal["<fault>"]``, the target ``sensor``, or ``camera`` for the camera,
    ``duration`` and parameters): the ``events:`` action union and the name checks read them, a
    fired one becomes a fault window, and the runtime applies it by reading its parameters
    through :meth:`WorldView.active_faults` (``name``, ``"<fault>"``).
    """

    name: str
    summary: str
    runtime: str
    model: type[Any] | None = None
    spec: type[Any] | None = None
    record: type[Any] | None = None
    derive: Callable[[Any], dict[str, Any]] = _nothing_derived
    arrays: Callable[[list[Any]], dict[str, np.ndarray]] = stacked_arrays
    mcap: Callable[[Any, Any], list[tuple[str, Any]]] | None = None
    on_frame: Callable[[Any], Any] | None = None
    mcap_note: str | None = None
    faults: tuple[type[Any], ...] = ()

    def from_model(self, model: Any, common: dict[str, Any]) -> Any:
        """The resolved spec of one ``sensors:`` entry: ``common`` (name, timing, mount pose), derived, copied."""
        assert self.spec is not None, f"sensor type '{self.name}' has no spec record"
        return spec_from_model(self.spec, model, {**common, **self.derive(model)})

    def runtime_class(self) -> type[Sensor[Any, Any]]:
        """The :class:`Sensor` subclass that captures this type's records."""
        module, _, cls = self.runtime.partition(":")
        out: type[Sensor[Any, Any]] = getattr(importlib.import_module(module), cls)
        return out


SENSOR_TYPES: dict[str, SensorType] = {}

# Built-in sensor packages under simgen/sensors/, in the order the schema lists them.
BUILTIN_SENSORS = ("camera", "lidar", "imu", "gnss", "radar")
_LOADED = False


def register_sensor_type(sensor: SensorType) -> SensorType:
    """Make ``sensor`` available as ``sensors[].type: sensor.name`` (see :func:`unregister_sensor_type`)."""
    SENSOR_TYPES[sensor.name] = sensor
    _changed()
    return sensor


def unregister_sensor_type(name: str) -> None:
    """Remove the sensor type ``name`` (tests that register a temporary sensor undo it here)."""
    SENSOR_TYPES.pop(name, None)
    _changed()


_LISTENERS: list[Callable[[], None]] = []


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` after every later (un)registration (the scenario models rebuild their union)."""
    _LISTENERS.append(listener)


def _changed() -> None:
    for listener in _LISTENERS:
        listener()


def load_sensor_types() -> dict[str, SensorType]:
    """Every sensor type by name: the built-in packages first (in schema order), then any registered later."""
    global _LOADED
    if not _LOADED:
        _LOADED = True
        for name in BUILTIN_SENSORS:
            importlib.import_module(f"simgen.sensors.{name}")
    return _ordered(SENSOR_TYPES)


def sensor_type(name: str) -> SensorType:
    """The sensor type registered as ``name``, or a :class:`SimgenError` with a suggestion."""
    types = load_sensor_types()
    if name not in types:
        raise SimgenError(
            f"unknown sensor type '{name}'; available: {', '.join(sorted(types))}",
            hint=did_you_mean(name, list(types)),
        )
    return types[name]


def entry_types() -> dict[str, SensorType]:
    """The types a ``sensors:`` entry may name (every type with a scenario model), in schema order."""
    return {name: t for name, t in load_sensor_types().items() if t.model is not None}


def fault_name(model: type[Any]) -> str:
    """The YAML ``type`` of a fault action model (its ``type: Literal["<fault>"]`` field)."""
    name: str = get_args(model.model_fields["type"].annotation)[0]
    return name


def sensor_faults(load: bool = True) -> dict[str, tuple[str, type[Any]]]:
    """Fault action name -> (sensor type it faults, its model), in schema order.

    ``load=False`` reads only the types registered so far (the scenario models rebuild their
    ``events:`` union while the built-in packages are still registering).
    """
    types = load_sensor_types() if load else _ordered(SENSOR_TYPES)
    return {fault_name(m): (t.name, m) for t in types.values() for m in t.faults}


def _ordered(types: dict[str, SensorType]) -> dict[str, SensorType]:
    builtin = [n for n in BUILTIN_SENSORS if n in types]
    return {n: types[n] for n in [*builtin, *(n for n in types if n not in BUILTIN_SENSORS)]}


def type_of_record(record: Any) -> SensorType | None:
    """The sensor type whose record class ``record`` is, or None."""
    for t in load_sensor_types().values():
        if t.record is not None and isinstance(record, t.record):
            return t
    return None


def get_sensor(kind: str) -> type[Sensor[Any, Any]]:
    """Runtime class of sensor type ``kind``, or a :class:`SimgenError` with a suggestion."""
    return sensor_type(kind).runtime_class()


def sensor_rng(episode_seed: int, name: str) -> np.random.Generator:
    """The generator owned by sensor ``name`` in the episode with summary seed ``episode_seed``."""
    import zlib

    seq = np.random.SeedSequence(entropy=episode_seed, spawn_key=(2, zlib.crc32(name.encode("utf-8"))))
    return np.random.default_rng(seq)


__all__ = [
    "SENSOR_TYPES",
    "Sensor",
    "SensorType",
    "WorldView",
    "entry_types",
    "fault_name",
    "get_sensor",
    "load_sensor_types",
    "register_sensor_type",
    "sensor_faults",
    "sensor_rng",
    "sensor_type",
    "spec_from_model",
    "stacked_arrays",
    "type_of_record",
    "unregister_sensor_type",
]
