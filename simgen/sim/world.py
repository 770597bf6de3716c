"""Build an :class:`EpisodeSpec` into a pybullet world and step it.

One function sets every engine parameter; one small builder per object type, in a registry
keyed by the YAML ``type`` name, creates bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from simgen.errors import AssetError
from simgen.scenario.assets import resolve_asset
from simgen.scenario.spec import EpisodeSpec, ObjectInstance, WorldSpec
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout

Builder = Callable[[BulletClient, ObjectInstance, Path], int]
BUILDERS: dict[str, Builder] = {}


def builder(kind: str) -> Callable[[Builder], Builder]:
    """Register the body builder for object ``type: kind``."""

    def deco(fn: Builder) -> Builder:
        BUILDERS[kind] = fn
        return fn

    return deco


def configure_engine(client: BulletClient, world: WorldSpec) -> None:
    """Set every physics engine parameter in one place.

    - fixedTimeStep with numSubSteps=0: one deterministic integration step per stepSimulation.
    - deterministicOverlappingPairs=1: sorts broadphase pairs so contact order (and thus the
      result) does not depend on memory layout; pybullet's documented switch for reproducibility.
    - numSolverIterations: fixed so settling is the same on every machine.
    """
    p = client.p
    p.setPhysicsEngineParameter(
        fixedTimeStep=world.time_step,
        numSubSteps=0,
        numSolverIterations=world.solver_iterations,
        deterministicOverlappingPairs=1,
        physicsClientId=client.id,
    )
    p.setGravity(*world.gravity, physicsClientId=client.id)


def _multibody(client: BulletClient, obj: ObjectInstance, collision: int, visual: int) -> int:
    return client.p.createMultiBody(
        baseMass=obj.mass,
        baseCollisionShapeIndex=collision,
        baseVisualShapeIndex=visual,
        basePosition=obj.position,
        baseOrientation=obj.orientation,
        physicsClientId=client.id,
    )


def _rgba(obj: ObjectInstance) -> list[float]:
    return list(obj.color) if obj.color is not None else [0.8, 0.8, 0.8, 1.0]


@builder("box")
def _box(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    p, half = client.p, [s / 2 for s in obj.shape["size"]]
    col = p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=client.id)
    vis = p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=_rgba(obj), physicsClientId=client.id)
    return _multibody(client, obj, col, vis)


@builder("sphere")
def _sphere(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    p, r = client.p, obj.shape["radius"]
    col = p.createCollisionShape(p.GEOM_SPHERE, radius=r, physicsClientId=client.id)
    vis = p.createVisualShape(p.GEOM_SPHERE, radius=r, rgbaColor=_rgba(obj), physicsClientId=client.id)
    return _multibody(client, obj, col, vis)


def _round(client: BulletClient, obj: ObjectInstance, geom: int) -> int:
    p, r, length = client.p, obj.shape["radius"], obj.shape["length"]
    col = p.createCollisionShape(geom, radius=r, height=length, physicsClientId=client.id)
    vis = p.createVisualShape(geom, radius=r, length=length, rgbaColor=_rgba(obj), physicsClientId=client.id)
    return _multibody(client, obj, col, vis)


@builder("cylinder")
def _cylinder(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    return _round(client, obj, client.p.GEOM_CYLINDER)


@builder("capsule")
def _capsule(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    return _round(client, obj, client.p.GEOM_CAPSULE)


@builder("urdf")
def _urdf(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    p = client.p
    path = resolve_asset(obj.shape["path"], base)
    with quiet_stdout():
        uid = p.loadURDF(
            str(path),
            basePosition=obj.position,
            baseOrientation=obj.orientation,
            globalScaling=obj.shape["scale"],
            useFixedBase=obj.shape["fixed_base"],
            physicsClientId=client.id,
        )
    if uid < 0:
        raise AssetError(f"pybullet could not load URDF '{obj.shape['path']}'")
    if obj.color is not None:
        for link in range(-1, p.getNumJoints(uid, physicsClientId=client.id)):
            p.changeVisualShape(uid, link, rgbaColor=list(obj.color), physicsClientId=client.id)
    return uid


def load_mesh(path: Path, scale: float) -> Any:
    """Load a mesh file through trimesh as one triangle mesh, scaled (metres)."""
    import trimesh

    try:
        mesh = trimesh.load(str(path), force="mesh", process=True)
    except Exception as err:  # trimesh raises many kinds for bad files
        raise AssetError(f"cannot read mesh '{path.name}': {err}") from err
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise AssetError(f"mesh '{path.name}' has no triangles")
    mesh.apply_scale(scale)
    return mesh


def cached_obj(source: Path, scale: float) -> tuple[Path, Any]:
    """Scaled copy of a mesh as OBJ in a content-addressed cache; returns (path, mesh).

    pybullet's EGL renderer only draws meshes given as files (not as vertex lists), and only
    reads OBJ/STL, so every mesh format goes through trimesh to an OBJ once.
    """
    import hashlib
    import tempfile

    import trimesh

    from simgen.export.atomic import write_text

    digest = hashlib.sha256(source.read_bytes() + repr(float(scale)).encode()).hexdigest()[:24]
    mesh = load_mesh(source, scale)
    path = Path(tempfile.gettempdir()) / "simgen-mesh-cache" / f"{digest}.obj"
    if not path.exists():
        text = trimesh.exchange.obj.export_obj(mesh, include_normals=True, include_color=False, include_texture=False)
        write_text(path, text)
    return path, mesh


@builder("mesh")
def _mesh(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    p = client.p
    obj_path, mesh = cached_obj(resolve_asset(obj.shape["path"], base), obj.shape["scale"])
    vis = p.createVisualShape(p.GEOM_MESH, fileName=str(obj_path), rgbaColor=_rgba(obj), physicsClientId=client.id)
    col = -1
    if obj.shape["collision"] == "convex_hull":
        hull = mesh.convex_hull
        col = p.createCollisionShape(p.GEOM_MESH, vertices=hull.vertices.tolist(), physicsClientId=client.id)
    return _multibody(client, obj, col, vis)


class World:
    """A built episode: bodies in a pybullet client, with a map from body uid to instance id."""

    def __init__(self, client: BulletClient, spec: EpisodeSpec) -> None:
        self.client = client
        self.spec = spec
        p = client.p
        p.resetSimulation(physicsClientId=client.id)
        configure_engine(client, spec.world)
        self.ground_uid = -1
        g = spec.world.ground
        if g["type"] == "plane":
            col = p.createCollisionShape(p.GEOM_PLANE, physicsClientId=client.id)
            vis = p.createVisualShape(
                p.GEOM_BOX,
                halfExtents=[50, 50, 0.0005],
                visualFramePosition=[0, 0, -0.0005],
                rgbaColor=g["color"],
                physicsClientId=client.id,
            )
            self.ground_uid = p.createMultiBody(0, col, vis, physicsClientId=client.id)
            p.changeDynamics(self.ground_uid, -1, lateralFriction=g["friction"], physicsClientId=client.id)
        base = Path(spec.base_dir)
        self.uid_of: dict[int, int] = {}
        for obj in spec.objects:
            uid = BUILDERS[obj.type](client, obj, base)
            p.changeDynamics(
                uid,
                -1,
                lateralFriction=obj.friction,
                restitution=obj.restitution,
                linearDamping=obj.linear_damping,
                angularDamping=obj.angular_damping,
                physicsClientId=client.id,
            )
            self.uid_of[obj.instance_id] = uid
        max_uid = max([*self.uid_of.values(), self.ground_uid, 0])
        self.instance_of_uid = np.zeros(max_uid + 2, dtype=np.int32)
        for iid, uid in self.uid_of.items():
            self.instance_of_uid[uid] = iid
        self.steps = 0

    @property
    def time(self) -> float:
        """Simulated seconds since the episode started."""
        return self.steps * self.spec.world.time_step

    def step(self, n: int = 1) -> None:
        """Advance physics by ``n`` fixed steps."""
        p, cid = self.client.p, self.client.id
        for _ in range(n):
            p.stepSimulation(physicsClientId=cid)
        self.steps += n

    def poses(self) -> dict[int, tuple[tuple[float, ...], tuple[float, ...]]]:
        """World pose (position xyz metres, quaternion xyzw) of every instance, by instance id."""
        p, cid = self.client.p, self.client.id
        out = {}
        for iid, uid in self.uid_of.items():
            pos, orn = p.getBasePositionAndOrientation(uid, physicsClientId=cid)
            out[iid] = (tuple(pos), tuple(orn))
        return out
