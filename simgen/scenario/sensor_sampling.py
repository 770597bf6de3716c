"""Draw the ``sensors:`` list of an episode, and the mount helpers cameras share.

Called from :func:`simgen.scenario.sampling.sample`; draws through the same per-key-path
:class:`~simgen.scenario.sampling.Sampler`, so adding a sensor never shifts another field's draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.core.transforms import rotation_from_rpy
from simgen.errors import ScenarioError
from simgen.scenario.sensor_models import SensorBase
from simgen.scenario.sensor_spec import SensorSpec
from simgen.scenario.spec import ObjectInstance
from simgen.sensors.registry import sensor_type


def _quat_matrix(q: tuple[float, ...]) -> np.ndarray:
    x, y, z, w = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def initial_world_from_mount(mount: str | None, objects: tuple[ObjectInstance, ...] | list[ObjectInstance]) -> Any:
    """(4, 4) world_from_mount of instance ``mount`` at spawn (identity for the world); None if it is absent."""
    if mount is None:
        return np.eye(4)
    for o in objects:
        if o.name == mount:
            t = np.eye(4)
            t[:3, :3] = _quat_matrix(o.orientation)
            t[:3, 3] = o.position
            return t
    return None


def mount_error(mount: str, path: str, file: str | None) -> ScenarioError:
    """The located error for a sensor or camera at ``path`` mounted on an instance this episode lacks."""
    return ScenarioError(
        f"object instance '{mount}' does not exist in this episode (its object's count may have drawn fewer)",
        file=file,
        path=f"{path}.mount.body",
        hint="mount on an instance that always exists, e.g. <name>_0 of an object with count >= 1",
    )


def first_instances(objects: list[ObjectInstance]) -> dict[str, str]:
    """Object name -> name of its first instance (what ``mount: {actor: NAME}`` rides on)."""
    out: dict[str, str] = {}
    for o in objects:
        out.setdefault(o.source, o.name)
    return out


def vec3(values: Any) -> tuple[float, float, float]:
    """A validated 3-vector field as a tuple of three floats."""
    x, y, z = values
    return x, y, z


def _pose(sensor: SensorBase, sampler: Any, path: str) -> np.ndarray:
    t = np.eye(4)
    m = sensor.mount
    if m.offset is not None or m.rpy is not None:  # the mount gives the pose
        t[:3, :3] = rotation_from_rpy(vec3(m.rpy or (0.0, 0.0, 0.0)))
        t[:3, 3] = m.offset or (0.0, 0.0, 0.0)
        return t
    t[:3, :3] = rotation_from_rpy(sampler.vec(sensor.rpy, f"{path}.rpy"))
    t[:3, 3] = sampler.vec(sensor.position, f"{path}.position")
    return t


def _sensor(s: Any, sampler: Any, path: str, world_rate: float, mount: str | None) -> SensorSpec:
    common = {
        "name": s.name,
        "type": s.type,
        "rate": float(s.rate if s.rate is not None else world_rate),
        "phase": s.phase,
        "latency": s.latency,
        "mount": mount,
        "mount_from_sensor": _pose(s, sampler, path),
    }
    spec: SensorSpec = sensor_type(s.type).from_model(s, common)
    return spec


def sample_sensors(scenario: Any, sampler: Any, objects: list[ObjectInstance]) -> tuple[SensorSpec, ...]:
    """Resolve every entry of ``sensors:``: pose offsets drawn, then the spec its registered type derives."""
    out = []
    names = [o.name for o in objects]
    first = first_instances(objects)
    for i, s in enumerate(scenario.sensors):
        path = f"sensors[{i}]"
        mount = s.mount.target(names, first)
        if mount == "":
            raise mount_error(str(s.mount.body or s.mount.actor), path, scenario.source)
        out.append(_sensor(s, sampler, path, scenario.world.frame_rate, mount))
    return tuple(out)


__all__ = ["first_instances", "initial_world_from_mount", "mount_error", "sample_sensors", "vec3"]
