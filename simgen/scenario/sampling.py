"""Draw an episode: ``sample(scenario, episode_index) -> EpisodeSpec``.

Every random field gets its own generator seeded from (master seed, episode index, key path),
so adding or removing a field never shifts another field's draws, and episode i is the same
whatever order or process renders it.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from simgen.errors import ScenarioError
from simgen.scenario.distributions import Constant, Distribution, IntRange
from simgen.scenario.models import Camera, ObjectBase, Scenario
from simgen.scenario.spec import CameraSpec, EpisodeSpec, ObjectInstance, WorldSpec

# Optical (OpenCV) axes expressed in the camera body frame (x forward, y left, z up).
BODY_FROM_OPTICAL = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def episode_seed_sequence(master_seed: int, index: int) -> np.random.SeedSequence:
    """SeedSequence of episode ``index``: depends on (master seed, index) only."""
    return np.random.SeedSequence(entropy=master_seed, spawn_key=(index,))


def episode_seed(master_seed: int, index: int) -> int:
    """A 64-bit integer summarising episode ``index``'s seed, for manifests and logs."""
    a, b = episode_seed_sequence(master_seed, index).generate_state(2, dtype=np.uint32)
    return int(a) << 32 | int(b)


class Sampler:
    """Draws values for one episode; one generator per key path; records every random draw."""

    def __init__(self, master_seed: int, index: int) -> None:
        self.master_seed = master_seed
        self.index = index
        self.sampled: dict[str, Any] = {}

    def rng(self, path: str) -> np.random.Generator:
        """The generator owned by ``path`` in this episode."""
        key = zlib.crc32(path.encode("utf-8"))
        seq = np.random.SeedSequence(entropy=self.master_seed, spawn_key=(self.index, 1, key))
        return np.random.default_rng(seq)

    def draw(self, value: Distribution | float | int, path: str) -> float:
        """Resolve one field; constants pass through unrecorded."""
        if isinstance(value, int | float):
            return value
        if isinstance(value, Constant):
            return value.value
        if isinstance(value, IntRange) and value.low == value.high:
            return value.low
        out = value.sample(self.rng(path))
        self.sampled[path] = out
        return out

    def vec(self, values: tuple[Any, ...] | None, path: str) -> tuple[float, ...] | None:
        """Resolve a tuple of fields (position, rpy, colour)."""
        if values is None:
            return None
        return tuple(float(self.draw(v, f"{path}[{i}]")) for i, v in enumerate(values))


def rotation_from_rpy(rpy_deg: tuple[float, float, float]) -> np.ndarray:
    """(3, 3) rotation of extrinsic X-Y-Z roll/pitch/yaw in degrees (R = Rz @ Ry @ Rx)."""
    r, p, y = (math.radians(a) for a in rpy_deg)
    cr, sr, cp, sp, cy, sy = math.cos(r), math.sin(r), math.cos(p), math.sin(p), math.cos(y), math.sin(y)
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx


def quaternion_from_matrix(m: np.ndarray) -> tuple[float, float, float, float]:
    """Unit quaternion (x, y, z, w), w >= 0, of a (3, 3) rotation matrix."""
    t = np.trace(m)
    if t > 0:
        s = math.sqrt(t + 1.0) * 2
        q = ((m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, 0.25 * s)
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        q = (0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s, (m[2, 1] - m[1, 2]) / s)
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        q = ((m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s, (m[0, 2] - m[2, 0]) / s)
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        q = ((m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s, (m[1, 0] - m[0, 1]) / s)
    qa = np.asarray(q, dtype=float)
    qa /= np.linalg.norm(qa)
    if qa[3] < 0:
        qa = -qa
    return (float(qa[0]), float(qa[1]), float(qa[2]), float(qa[3]))


def look_at_rotation(position: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray | None:
    """world_from_camera rotation (OpenCV axes) looking from position at target; None if degenerate."""
    z = target - position
    n = np.linalg.norm(z)
    if n < 1e-9:
        return None
    z = z / n
    x = np.cross(z, up)
    nx = np.linalg.norm(x)
    if nx < 1e-9:
        return None
    x = x / nx
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


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
                "camera cannot look at its own position or straight along 'up'",
                file=file,
                path=f"{path}.look_at",
                hint="move look_at or set a different 'up'",
            )
    else:
        rpy = sampler.vec(cam.rpy, f"{path}.rpy")
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


def _shape(obj: ObjectBase, sampler: Sampler, path: str) -> dict[str, Any]:
    kind = obj.type
    if kind == "box":
        return {"size": list(sampler.vec(obj.size, f"{path}.size"))}
    if kind == "sphere":
        return {"radius": sampler.draw(obj.radius, f"{path}.radius")}
    if kind in ("cylinder", "capsule"):
        return {
            "radius": sampler.draw(obj.radius, f"{path}.radius"),
            "length": sampler.draw(obj.length, f"{path}.length"),
        }
    if kind == "urdf":
        return {"path": obj.path, "scale": sampler.draw(obj.scale, f"{path}.scale"), "fixed_base": obj.fixed_base}
    if kind == "mesh":
        return {"path": obj.path, "scale": sampler.draw(obj.scale, f"{path}.scale"), "collision": obj.collision}
    raise AssertionError(f"unhandled object type {kind}")


def assign_split(splits: dict[str, float], index: int, episodes: int) -> str:
    """Split of episode ``index``: contiguous blocks of episodes in the order splits are listed."""
    total = sum(splits.values())
    pos = (index + 0.5) / episodes * total
    acc = 0.0
    names = list(splits)
    for name in names:
        acc += splits[name]
        if pos < acc:
            return name
    return names[-1]


def sample(scenario: Scenario, index: int, *, episodes: int | None = None, seed: int | None = None) -> EpisodeSpec:
    """Fix every random value of episode ``index``.

    Example:
        >>> import simgen
        >>> sc = simgen.load(simgen.resources.scenario_path("quickstart"))
        >>> sample(sc, 0).index
        0
    """
    master = scenario.seed if seed is None else seed
    n_episodes = scenario.episodes if episodes is None else episodes
    sampler = Sampler(master, index)
    classes = scenario.class_names
    objects: list[ObjectInstance] = []
    for j, obj in enumerate(scenario.objects):
        count = int(sampler.draw(obj.count, f"objects[{j}].count"))
        for k in range(count):
            p = f"objects[{j}][{k}]"
            rpy = sampler.vec(obj.rpy, f"{p}.rpy")
            color = sampler.vec(obj.color, f"{p}.color")
            if color is not None and len(color) == 3:
                color = (*color, 1.0)
            objects.append(
                ObjectInstance(
                    instance_id=len(objects) + 1,
                    name=f"{obj.name}_{k}",
                    source=obj.name,
                    class_name=obj.class_,
                    category_id=classes.index(obj.class_) + 1,
                    type=obj.type,
                    shape=_shape(obj, sampler, p),
                    position=sampler.vec(obj.position, f"{p}.position"),
                    orientation=quaternion_from_matrix(rotation_from_rpy(rpy)),
                    rpy_deg=rpy,
                    mass=float(sampler.draw(obj.mass, f"{p}.mass")),
                    color=color,
                    friction=float(sampler.draw(obj.friction, f"{p}.friction")),
                    restitution=float(sampler.draw(obj.restitution, f"{p}.restitution")),
                    linear_damping=float(sampler.draw(obj.linear_damping, f"{p}.linear_damping")),
                    angular_damping=float(sampler.draw(obj.angular_damping, f"{p}.angular_damping")),
                )
            )
    from simgen.scenario.sensor_sampling import sample_cameras, sample_sensors

    cameras = sample_cameras(scenario, sampler, objects)
    w = scenario.world
    world = WorldSpec(
        gravity=tuple(float(g) for g in w.gravity),
        time_step=w.time_step,
        solver_iterations=w.solver_iterations,
        ground={
            "type": w.ground.type,
            "color": list(sampler.vec(w.ground.color, "world.ground.color"))
            + ([1.0] if len(w.ground.color) == 3 else []),
            "friction": float(sampler.draw(w.ground.friction, "world.ground.friction")),
        },
        settle_steps=int(round(w.settle_time / w.time_step)),
        steps_per_frame=max(1, int(round(1.0 / (w.frame_rate * w.time_step)))),
    )
    return EpisodeSpec(
        index=index,
        seed=episode_seed(master, index),
        split=assign_split(scenario.output.splits, index, n_episodes),
        frames=scenario.frames,
        world=world,
        objects=tuple(objects),
        cameras=cameras,
        class_names=tuple(classes),
        min_visible_pixels=scenario.labels.min_visible_pixels,
        base_dir=str(scenario.base_dir),
        sampled=dict(sorted(sampler.sampled.items())),
        sensors=sample_sensors(scenario, sampler, objects),
    )
