"""Draw the sensor part of an episode: cameras (with rigs and mounts) and the ``sensors:`` list.

Called from :func:`simgen.scenario.sampling.sample`; draws through the same per-key-path
:class:`~simgen.scenario.sampling.Sampler`, so adding a sensor never shifts another field's draws.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from simgen.core.lens import COEFFICIENTS, fisheye_problem
from simgen.core.transforms import BODY_FROM_OPTICAL, rotation_from_rpy
from simgen.errors import ScenarioError
from simgen.scenario.sensor_models import FisheyeDistortion, SensorBase
from simgen.scenario.sensor_spec import SensorSpec
from simgen.scenario.spec import CameraSpec, ObjectInstance
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


def _initial_world_from_mount(mount: str | None, objects: tuple[ObjectInstance, ...] | list[ObjectInstance]) -> Any:
    if mount is None:
        return np.eye(4)
    for o in objects:
        if o.name == mount:
            t = np.eye(4)
            t[:3, :3] = _quat_matrix(o.orientation)
            t[:3, 3] = o.position
            return t
    return None


def _mount_error(mount: str, path: str, file: str | None) -> ScenarioError:
    return ScenarioError(
        f"object instance '{mount}' does not exist in this episode (its object's count may have drawn fewer)",
        file=file,
        path=f"{path}.mount.body",
        hint="mount on an instance that always exists, e.g. <name>_0 of an object with count >= 1",
    )


def _first_instances(objects: list[ObjectInstance]) -> dict[str, str]:
    """Object name -> name of its first instance (what ``mount: {actor: NAME}`` rides on)."""
    out: dict[str, str] = {}
    for o in objects:
        out.setdefault(o.source, o.name)
    return out


def _vec3(values: Any) -> tuple[float, float, float]:
    """A validated 3-vector field as a tuple of three floats."""
    x, y, z = values
    return x, y, z


def _local_pose(offset: tuple[float, ...] | None, rpy: tuple[float, ...] | None) -> np.ndarray:
    """(4, 4) body_from_camera (OpenCV axes) of a camera at ``offset`` with ``rpy`` in the body frame."""
    m = np.eye(4)
    m[:3, :3] = rotation_from_rpy(_vec3(rpy or (0.0, 0.0, 0.0))) @ BODY_FROM_OPTICAL
    m[:3, 3] = offset or (0.0, 0.0, 0.0)
    return m


def sample_cameras(scenario: Any, sampler: Any, objects: list[ObjectInstance]) -> tuple[CameraSpec, ...]:
    """Every camera of the episode, stereo pairs and surround rigs expanded, mounts resolved."""
    from simgen.scenario.sampling import sample_camera

    out: list[CameraSpec] = []
    for i, cam in enumerate(scenario.cameras):
        path = f"cameras[{i}]"
        base = sample_camera(cam, sampler, path, scenario.source)
        mount = None
        if cam.mount is not None:
            mount = cam.mount.target([o.name for o in objects], _first_instances(objects))
            if mount == "":
                raise _mount_error(str(cam.mount.body or cam.mount.actor), path, scenario.source)
            if cam.mount.offset is not None or cam.mount.rpy is not None:
                base = dataclasses.replace(base, world_from_camera=_local_pose(cam.mount.offset, cam.mount.rpy))
        world_from_mount = _initial_world_from_mount(mount, objects)
        if world_from_mount is None:
            raise _mount_error(str(mount), path, scenario.source)
        d = cam.distortion
        coeffs = None if d is None else tuple(float(getattr(d, c)) for c in COEFFICIENTS[d.model])
        if isinstance(d, FisheyeDistortion) and coeffs is not None:
            problem = fisheye_problem(base.K, base.width, base.height, coeffs)
            if problem is not None:
                raise ScenarioError(
                    problem,
                    file=scenario.source,
                    path=f"{path}.distortion",
                    hint="lower fov_y (or raise fx/fy), shrink the image, or use k1..k4 that compress the edges more",
                )
        extra = {
            "outputs": tuple(dict.fromkeys(cam.outputs)),
            "distortion": coeffs,
            "distortion_model": "opencv" if d is None else d.model,
            "rate": cam.rate,
            "phase": cam.phase,
            "latency": cam.latency,
            "mount": mount,
        }
        poses: list[tuple[str, np.ndarray]] = [(cam.name, base.world_from_camera)]
        partner: dict[str, float] = {}
        if cam.stereo is not None:
            right = base.world_from_camera.copy()
            right[:3, 3] += right[:3, 0] * cam.stereo.baseline
            poses = [(f"{cam.name}_left", base.world_from_camera), (f"{cam.name}_right", right)]
            partner = {f"{cam.name}_left": cam.stereo.baseline, f"{cam.name}_right": -cam.stereo.baseline}
        elif cam.surround is not None:
            poses = []
            for k in range(cam.surround):
                a = 2 * math.pi * k / cam.surround
                rz = np.eye(4)
                rz[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
                poses.append((f"{cam.name}_{k}", rz @ base.world_from_camera))
        for name, mount_from_camera in poses:
            out.append(
                dataclasses.replace(
                    base,
                    name=name,
                    world_from_camera=mount_from_camera if mount is None else world_from_mount @ mount_from_camera,
                    mount_from_camera=mount_from_camera if mount is not None else None,
                    stereo_baseline=partner.get(name),
                    **extra,
                )
            )
    return tuple(out)


def _pose(sensor: SensorBase, sampler: Any, path: str) -> np.ndarray:
    t = np.eye(4)
    m = sensor.mount
    if m.offset is not None or m.rpy is not None:  # the mount gives the pose
        t[:3, :3] = rotation_from_rpy(_vec3(m.rpy or (0.0, 0.0, 0.0)))
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
    first = _first_instances(objects)
    for i, s in enumerate(scenario.sensors):
        path = f"sensors[{i}]"
        mount = s.mount.target(names, first)
        if mount == "":
            raise _mount_error(str(s.mount.body or s.mount.actor), path, scenario.source)
        out.append(_sensor(s, sampler, path, scenario.world.frame_rate, mount))
    return tuple(out)


__all__ = ["sample_cameras", "sample_sensors"]
