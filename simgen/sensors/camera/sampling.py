"""Resolve a scenario's ``cameras:`` into :class:`CameraSpec` records: intrinsics, pose, lens, rigs, mounts.

Called from :func:`simgen.scenario.sampling.sample`; draws through the episode's per-key-path
sampler, so adding a camera never shifts another field's draws.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from simgen.core.lens import COEFFICIENTS, fisheye_problem
from simgen.core.transforms import BODY_FROM_OPTICAL, look_at_rotation, rotation_from_rpy
from simgen.errors import ScenarioError
from simgen.scenario.loader import DEGENERATE_LOOK_AT
from simgen.scenario.sensor_sampling import first_instances, initial_world_from_mount, mount_error, vec3
from simgen.scenario.spec import ObjectInstance
from simgen.sensors.camera.model import Camera, CameraSpec, FisheyeDistortion

if TYPE_CHECKING:
    from simgen.scenario.sampling import Sampler


def intrinsics_matrix(cam: Camera, sampler: Sampler, path: str) -> np.ndarray:
    """(3, 3) K in OpenCV convention from fov_y (degrees) or explicit fx/fy/cx/cy."""
    if cam.intrinsics is not None:
        i = cam.intrinsics
        fx, fy, cx, cy = i.fx, i.fy, i.cx, i.cy
    else:
        fov = float(sampler.draw(cam.fov_y, f"{path}.fov_y")) if cam.fov_y is not None else 60.0
        fy = (cam.height / 2.0) / math.tan(math.radians(fov) / 2.0)
        fx = fy
        cx, cy = (cam.width - 1) / 2.0, (cam.height - 1) / 2.0
    return np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])


def sample_camera(cam: Camera, sampler: Sampler, path: str, file: str | None) -> CameraSpec:
    """Resolve one camera's intrinsics and pose."""
    pos = np.array(sampler.vec(cam.position, f"{path}.position"))
    if cam.look_at is not None:
        target = np.array(sampler.vec(cam.look_at, f"{path}.look_at"))
        rot = look_at_rotation(pos, target, np.asarray(cam.up, dtype=float))
        if rot is None:
            raise ScenarioError(
                DEGENERATE_LOOK_AT,
                file=file,
                path=f"{path}.look_at",
                hint="move look_at or set a different 'up'",
            )
    else:
        rpy = sampler.vec(cam.rpy, f"{path}.rpy") or (0.0, 0.0, 0.0)  # a mounted camera may give none
        rot = rotation_from_rpy(rpy) @ BODY_FROM_OPTICAL
    pose = np.eye(4)
    pose[:3, :3] = rot
    pose[:3, 3] = pos
    return CameraSpec(
        name=cam.name,
        width=cam.width,
        height=cam.height,
        K=intrinsics_matrix(cam, sampler, path),
        near=cam.near,
        far=cam.far,
        world_from_camera=pose,
    )


def _local_pose(offset: tuple[float, ...] | None, rpy: tuple[float, ...] | None) -> np.ndarray:
    """(4, 4) body_from_camera (OpenCV axes) of a camera at ``offset`` with ``rpy`` in the body frame."""
    m = np.eye(4)
    m[:3, :3] = rotation_from_rpy(vec3(rpy or (0.0, 0.0, 0.0))) @ BODY_FROM_OPTICAL
    m[:3, 3] = offset or (0.0, 0.0, 0.0)
    return m


def sample_cameras(scenario: Any, sampler: Any, objects: list[ObjectInstance]) -> tuple[CameraSpec, ...]:
    """Every camera of the episode, stereo pairs and surround rigs expanded, mounts resolved."""
    out: list[CameraSpec] = []
    for i, cam in enumerate(scenario.cameras):
        path = f"cameras[{i}]"
        base = sample_camera(cam, sampler, path, scenario.source)
        mount = None
        if cam.mount is not None:
            mount = cam.mount.target([o.name for o in objects], first_instances(objects))
            if mount == "":
                raise mount_error(str(cam.mount.body or cam.mount.actor), path, scenario.source)
            if cam.mount.offset is not None or cam.mount.rpy is not None:
                base = dataclasses.replace(base, world_from_camera=_local_pose(cam.mount.offset, cam.mount.rpy))
        world_from_mount = initial_world_from_mount(mount, objects)
        if world_from_mount is None:
            raise mount_error(str(mount), path, scenario.source)
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


__all__ = ["intrinsics_matrix", "sample_camera", "sample_cameras"]
