"""Build an :class:`EpisodeSpec` into a pybullet world and step it.

One function sets every engine parameter; one small builder per object type, in a registry
keyed by the YAML ``type`` name, creates bodies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from simgen.core.fileio import replacing
from simgen.errors import AssetError
from simgen.scenario.assets import load_mesh, resolve_asset
from simgen.scenario.scene_spec import FaultWindow
from simgen.scenario.spec import CameraSpec, EpisodeSpec, ObjectInstance, WorldSpec
from simgen.sim.actors import Controller, make_controller
from simgen.sim.animate import Animator, make_animator
from simgen.sim.client import BulletClient
from simgen.sim.events import EventRunner
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


def _textured(obj: ObjectInstance) -> bool:
    return obj.material is not None and obj.material.texture is not None


def _uv_visual(client: BulletClient, mesh: Any, obj: ObjectInstance) -> int:
    """Visual shape of a primitive as a UV-mapped mesh (primitives have no usable UVs)."""
    from simgen.sim.materials import uv_mesh_file

    assert obj.material is not None and obj.material.texture is not None
    tex = obj.material.texture
    path = uv_mesh_file(mesh.vertices, mesh.faces, tex.scale, tex.key())
    return client.p.createVisualShape(client.p.GEOM_MESH, fileName=path, physicsClientId=client.id)


@builder("box")
def _box(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    p, half = client.p, [s / 2 for s in obj.shape["size"]]
    col = p.createCollisionShape(p.GEOM_BOX, halfExtents=half, physicsClientId=client.id)
    if _textured(obj):
        import trimesh

        vis = _uv_visual(client, trimesh.creation.box(obj.shape["size"]), obj)
    else:
        vis = p.createVisualShape(p.GEOM_BOX, halfExtents=half, rgbaColor=_rgba(obj), physicsClientId=client.id)
    return _multibody(client, obj, col, vis)


@builder("sphere")
def _sphere(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    p, r = client.p, obj.shape["radius"]
    col = p.createCollisionShape(p.GEOM_SPHERE, radius=r, physicsClientId=client.id)
    if _textured(obj):
        import trimesh

        vis = _uv_visual(client, trimesh.creation.icosphere(subdivisions=3, radius=r), obj)
    else:
        vis = p.createVisualShape(p.GEOM_SPHERE, radius=r, rgbaColor=_rgba(obj), physicsClientId=client.id)
    return _multibody(client, obj, col, vis)


def _round(client: BulletClient, obj: ObjectInstance, geom: int) -> int:
    p, r, length = client.p, obj.shape["radius"], obj.shape["length"]
    col = p.createCollisionShape(geom, radius=r, height=length, physicsClientId=client.id)
    if _textured(obj):
        import trimesh

        if geom == p.GEOM_CYLINDER:
            mesh = trimesh.creation.cylinder(radius=r, height=length, sections=48)
        else:
            mesh = trimesh.creation.capsule(height=length, radius=r, count=[48, 24])
        vis = _uv_visual(client, mesh, obj)
    else:
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


def cached_obj(source: Path, scale: float) -> tuple[Path, Any]:
    """Scaled copy of a mesh as OBJ in a content-addressed cache; returns (path, mesh).

    pybullet's EGL renderer only draws meshes given as files (not as vertex lists), and only
    reads OBJ/STL, so every mesh format goes through trimesh to an OBJ once.
    """
    import hashlib
    import tempfile

    import trimesh

    from simgen.core.fileio import write_text

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
        col = p.createCollisionShape(p.GEOM_MESH, vertices=hull_vertices(obj_path, mesh), physicsClientId=client.id)
    elif obj.shape["collision"] == "vhacd":
        col = p.createCollisionShape(
            p.GEOM_MESH, fileName=str(vhacd_parts(client, obj_path)), physicsClientId=client.id
        )
    return _multibody(client, obj, col, vis)


_HULLS: dict[Path, list[list[float]]] = {}
HULL_CACHE_SIZE = 256


def hull_vertices(obj_path: Path, mesh: Any) -> list[list[float]]:
    """Convex-hull vertices of ``mesh`` (cached as ``obj_path``) as the nested list pybullet takes.

    pybullet's ``createCollisionShape(vertices=...)`` keeps two references to the list and to
    every vertex it is given and never releases them (pybullet 3.2.x), so a fresh list per episode
    grew a worker's memory by ~50 KB per episode on the quickstart. Handing pybullet the same
    list object every time turns that leak into refcount increments on one object. The key is
    the content-addressed OBJ path, so the same mesh and scale always get the same list; a
    randomly scaled mesh still leaks one list per distinct scale. The list must not be mutated.
    """
    hull = _HULLS.get(obj_path)
    if hull is None:
        hull = mesh.convex_hull.vertices.tolist()
        if len(_HULLS) < HULL_CACHE_SIZE:
            _HULLS[obj_path] = hull
    return hull


def vhacd_parts(client: BulletClient, obj_path: Path) -> Path:
    """Convex decomposition of a cached OBJ through pybullet's V-HACD, cached next to it.

    The result is an OBJ of several convex parts; pybullet loads each part as one convex
    child of a compound shape, so concave parts (rings, trays, brackets) collide by their shape.
    """
    out = obj_path.with_suffix(".vhacd.obj")
    if not out.exists():
        with replacing(out, ".tmp.obj") as tmp:
            with quiet_stdout(stderr=True):
                client.p.vhacd(str(obj_path), str(tmp), str(tmp.with_suffix(".log")), physicsClientId=client.id)
            tmp.with_suffix(".log").unlink(missing_ok=True)
            if not tmp.exists():
                raise AssetError(f"convex decomposition of '{obj_path.name}' failed", hint="use collision: convex_hull")
    return out


@builder("humanoid")
def _humanoid(client: BulletClient, obj: ObjectInstance, base: Path) -> int:
    from simgen.sim.humanoid import build_humanoid

    rgba = list(obj.color) if obj.color is not None else [0.85, 0.55, 0.4, 1.0]
    s = obj.shape
    colors = {k: s[k] for k in ("skin_color", "shirt_color", "trousers_color") if k in s}
    return build_humanoid(
        client, s["height"], obj.mass, rgba, obj.position, obj.orientation, build=s.get("build", 1.0), colors=colors
    )


from simgen.sim.assets import register_builders  # noqa: E402 - procedural asset types share one builder

register_builders(builder)


def joint_indices(client: BulletClient, uid: int, obj: ObjectInstance) -> dict[str, int]:
    """Joint name -> index of a built body (the ragdoll's names come from its table)."""
    if obj.type == "humanoid":
        from simgen.sim.humanoid import JOINT_NAMES

        return {n: i for i, n in enumerate(JOINT_NAMES)}
    p = client.p
    return {
        p.getJointInfo(uid, j, physicsClientId=client.id)[1].decode("utf-8"): j
        for j in range(p.getNumJoints(uid, physicsClientId=client.id))
    }


def set_joints(client: BulletClient, uid: int, obj: ObjectInstance) -> dict[int, float]:
    """Apply ``obj.joints`` initial positions; hold a ragdoll's pose with its motors. Returns index -> target."""
    from simgen.errors import did_you_mean

    p, cid = client.p, client.id
    names = joint_indices(client, uid, obj)
    targets = {j: 0.0 for j in names.values()} if obj.type == "humanoid" else {}
    for name, value in obj.joints.items():
        if name not in names:
            raise AssetError(
                f"object '{obj.name}' has no joint '{name}'",
                hint=did_you_mean(name, list(names)) or f"joints: {', '.join(names) or 'none'}",
            )
        targets[names[name]] = value
    for j, value in targets.items():
        p.resetJointState(uid, j, value, physicsClientId=cid)
    if obj.type == "humanoid":
        force = obj.shape["joint_force"]
        for j, value in targets.items():
            p.setJointMotorControl2(uid, j, p.POSITION_CONTROL, targetPosition=value, force=force, physicsClientId=cid)
    return targets


class World:
    """A built episode: bodies in a pybullet client, actors, events, light and sensor faults.

    ``instance_of_uid`` maps body uid -> label instance id (0 = unlabeled) for instance maps;
    ``light`` is the current light (events may change it); ``faults`` the fault windows fired so far.
    """

    def __init__(self, client: BulletClient, spec: EpisodeSpec) -> None:
        self.client = client
        self.spec = spec
        p = client.p
        p.resetSimulation(physicsClientId=client.id)
        configure_engine(client, spec.world)
        spec.event_log.clear()
        self.base = Path(spec.base_dir)
        self.light: dict[str, Any] = dict(spec.scene.light)
        self.faults: list[FaultWindow] = []
        self.heights: np.ndarray | None = None
        self._last_mount: dict[str, np.ndarray] = {}
        from simgen.sim.materials import MaterialApplier

        self.materials = MaterialApplier(client)  # texture ids live until the next resetSimulation
        self.ground_uid = self._build_ground()
        self.backdrop_uids = self._build_backdrop()
        self.uid_of: dict[int, int] = {}
        self.controllers: dict[int, Controller] = {}
        self.joint_targets: dict[int, dict[int, float]] = {}
        self.animators: dict[int, Animator] = {}  # wheels and gaits driven by each body's motion
        self._impulses: list[tuple[int, tuple[float, float, float]]] = []
        self._by_name = {o.name: o for o in spec.objects}
        self.instance_of_uid = np.zeros(1, dtype=np.int32)
        self.steps = 0
        for obj in spec.objects:
            if obj.spawn:
                self._add(obj)
        self.events = EventRunner(spec.scene.events)
        self.events.check(self)

    def _build_ground(self) -> int:
        p, cid = self.client.p, self.client.id
        g = self.spec.world.ground
        extra = self.spec.scene.ground
        if g["type"] == "none":
            return -1
        if g["type"] == "heightfield":
            from simgen.sim.terrain import build_heightfield

            uid, self.heights = build_heightfield(self.client, extra["heightfield"], self.base, g["color"])
        else:
            col = p.createCollisionShape(p.GEOM_PLANE, physicsClientId=cid)
            if g["type"] == "checker":
                from simgen.sim.terrain import checker_files

                obj, png = checker_files(extra["checker"]["cell"], extra["checker"]["colors"])
                vis = p.createVisualShape(p.GEOM_MESH, fileName=str(obj), physicsClientId=cid)
            elif self.spec.ground_material is not None:
                from simgen.sim.backdrop import textured_floor_visual

                vis = textured_floor_visual(self.client, self.spec.ground_material)
            else:
                from simgen.sim.terrain import floor_file

                vis = p.createVisualShape(
                    p.GEOM_MESH, fileName=str(floor_file()), rgbaColor=g["color"], physicsClientId=cid
                )
            uid = p.createMultiBody(0, col, vis, physicsClientId=cid)
            if g["type"] == "checker":
                from simgen.materials.material import Material, Texture

                texture = Texture("image", size=64, path=str(png))
                self.materials.apply(uid, -1, Material(base_color=(1, 1, 1, 1), texture=texture), specular=False)
            elif self.spec.ground_material is not None:
                self.materials.apply(uid, -1, self.spec.ground_material)
        p.changeDynamics(uid, -1, lateralFriction=g["friction"], physicsClientId=cid)
        return uid

    def _build_backdrop(self) -> list[int]:
        """Background walls from the ``background`` randomizer (unlabelled static bodies)."""
        walls = self.spec.backdrop.get("walls")
        if not walls:
            return []
        from simgen.sim.backdrop import build_walls

        return build_walls(self.client, walls, self.spec.backdrop.get("wall_material"), self.materials.apply)

    def _add(self, obj: ObjectInstance) -> int:
        """Build one instance's body, its joints and its controller."""
        p, cid = self.client.p, self.client.id
        uid = BUILDERS[obj.type](self.client, obj, self.base)
        p.changeDynamics(
            uid,
            -1,
            lateralFriction=obj.friction,
            restitution=obj.restitution,
            linearDamping=obj.linear_damping,
            angularDamping=obj.angular_damping,
            physicsClientId=cid,
        )
        if obj.material is not None:
            n_links = p.getNumJoints(uid, physicsClientId=cid)
            for link in range(-1, n_links):
                self.materials.apply(uid, link, obj.material)
        if obj.velocity is not None or obj.angular_velocity is not None:
            p.resetBaseVelocity(uid, obj.velocity or (0, 0, 0), obj.angular_velocity or (0, 0, 0), physicsClientId=cid)
        if obj.joints or obj.type == "humanoid":
            self.joint_targets[obj.instance_id] = set_joints(self.client, uid, obj)
        self.uid_of[obj.instance_id] = uid
        if uid >= len(self.instance_of_uid):
            grown = np.zeros(max(uid + 2, 2 * len(self.instance_of_uid)), dtype=np.int32)
            grown[: len(self.instance_of_uid)] = self.instance_of_uid
            self.instance_of_uid = grown
        self.instance_of_uid[uid] = obj.label
        ctrl = make_controller(self, obj.instance_id, obj.behavior)
        if ctrl is not None:
            if ctrl.kinematic:
                p.changeDynamics(uid, -1, mass=0.0, physicsClientId=cid)
            self.controllers[obj.instance_id] = ctrl
            ctrl.start()
        anim = make_animator(self, obj, uid)  # after the controller placed the body: travel counts from here
        if anim is not None:
            self.animators[obj.instance_id] = anim
            self.joint_targets.setdefault(obj.instance_id, {})
        return uid

    # --- names and poses -------------------------------------------------------------------

    def iid_by_name(self, name: str) -> int | None:
        """Instance id of a live instance called ``name`` (or the first live one of object ``name``)."""
        obj = self._by_name.get(name)
        if obj is not None:
            return obj.instance_id if obj.instance_id in self.uid_of else None
        for o in self.spec.objects:
            if o.source == name and o.instance_id in self.uid_of:
                return o.instance_id
        return None

    def uid_by_name(self, name: str) -> int | None:
        """Body uid of a live instance by name; None when absent (not spawned or removed)."""
        iid = self.iid_by_name(name)
        return None if iid is None else self.uid_of[iid]

    def body_pose(self, uid: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(position xyz m, quaternion xyzw) of a body's base, world frame."""
        pos, orn = self.client.p.getBasePositionAndOrientation(uid, physicsClientId=self.client.id)
        return tuple(pos), tuple(orn)

    def base_pose(self, iid: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Pose of instance ``iid``'s base."""
        return self.body_pose(self.uid_of[iid])

    def actor_pose(self, name: str) -> np.ndarray | None:
        """(4, 4) float64 world_from_actor of a live actor at the current step, or None if absent."""
        uid = self.uid_by_name(name)
        if uid is None:
            return None
        pos, orn = self.body_pose(uid)
        m = np.eye(4)
        m[:3, :3] = np.asarray(self.client.p.getMatrixFromQuaternion(orn), dtype=float).reshape(3, 3)
        m[:3, 3] = pos
        return m

    def mount_pose(self, name: str) -> np.ndarray:
        """(4, 4) world_from_body of the instance a sensor rides on; its last pose once removed."""
        pose = self.actor_pose(name)
        if pose is None:
            return self._last_mount.get(name, np.eye(4))
        self._last_mount[name] = pose
        return pose

    def camera(self, cam: CameraSpec) -> CameraSpec:
        """``cam`` with its pose at the current step: unchanged, or riding on its ``mount`` instance."""
        if cam.mount is None or cam.mount_from_camera is None:
            return cam
        return dataclasses.replace(cam, world_from_camera=self.mount_pose(cam.mount) @ cam.mount_from_camera)

    def poses(self) -> dict[int, tuple[tuple[float, ...], tuple[float, ...]]]:
        """World pose (position xyz metres, quaternion xyzw) of every live instance, by instance id."""
        return {iid: self.body_pose(uid) for iid, uid in self.uid_of.items()}

    # --- what actors and events do -----------------------------------------------------------

    def set_kinematic_pose(self, iid: int, pos: Any, orn: Any, keep_velocity: bool = True) -> None:
        """Teleport instance ``iid`` (zeroing its velocity); a ragdoll's joints are reset to their targets."""
        p, cid, uid = self.client.p, self.client.id, self.uid_of[iid]
        p.resetBasePositionAndOrientation(uid, list(pos), list(orn), physicsClientId=cid)
        p.resetBaseVelocity(uid, [0, 0, 0], [0, 0, 0], physicsClientId=cid)
        for j, value in self.joint_targets.get(iid, {}).items():
            p.resetJointState(uid, j, value, 0.0, physicsClientId=cid)

    def apply_force(self, iid: int, force: Any) -> None:
        """World-frame force (N) at instance ``iid``'s centre of mass for the coming step."""
        p, cid, uid = self.client.p, self.client.id, self.uid_of[iid]
        pos, orn = p.getBasePositionAndOrientation(uid, physicsClientId=cid)
        p.applyExternalForce(uid, -1, list(force), list(pos), p.WORLD_FRAME, physicsClientId=cid)

    def queue_impulse(self, iid: int, impulse: Any) -> None:
        """Impulse (N s) delivered during the next step as the force impulse / time_step."""
        self._impulses.append((iid, tuple(float(v) for v in impulse)))

    def spawn(self, source: str) -> None:
        """Create every not-yet-built instance of object ``source``."""
        for obj in self.spec.objects:
            if obj.source == source and obj.instance_id not in self.uid_of:
                self._add(obj)

    def remove(self, name: str) -> None:
        """Remove a live instance (by name, or the first of an object) from the world."""
        iid = self.iid_by_name(name)
        if iid is None:
            return
        uid = self.uid_of.pop(iid)
        self.controllers.pop(iid, None)
        self.client.p.removeBody(uid, physicsClientId=self.client.id)
        self.instance_of_uid[uid] = 0

    def render_light(self) -> dict[str, Any]:
        """Keyword arguments of getCameraImage for the current light (TinyRenderer honours them all).

        Intensity and colour are not passed (the EGL plugin ignores light colour): they are
        applied to the image afterwards as a gain, see ``simgen.randomize.lighting``.
        """
        lt = self.light
        args = {
            "lightDirection": None if lt["direction"] is None else list(lt["direction"]),
            "lightAmbientCoeff": lt["ambient"],
            "lightDiffuseCoeff": lt["diffuse"],
            "lightSpecularCoeff": lt["specular"],
            "shadow": int(bool(lt["shadow"])) if lt["shadow"] else None,
        }
        return {k: v for k, v in args.items() if v is not None}

    def active_faults(
        self, sensor: str | None = None, kind: str | None = None, t: float | None = None
    ) -> list[FaultWindow]:
        """Fault windows active for ``sensor`` at time ``t`` (default now), optionally of one ``kind``."""
        now = self.time if t is None else t
        return [f for f in self.faults if f.active(now, sensor) and (kind is None or f.kind == kind)]

    @property
    def time(self) -> float:
        """Simulated seconds since the episode started."""
        return self.steps * self.spec.world.time_step

    def step(self, n: int = 1) -> None:
        """Advance ``n`` fixed steps: forces and impulses, physics, kinematic actors, then event checks."""
        p, cid = self.client.p, self.client.id
        dt = self.spec.world.time_step
        for _ in range(n):
            t = self.time
            for ctrl in list(self.controllers.values()):
                ctrl.before_step(t, dt)
            for iid, impulse in self._impulses:
                if iid in self.uid_of:
                    self.apply_force(iid, [j / dt for j in impulse])
            self._impulses.clear()
            p.stepSimulation(physicsClientId=cid)
            self.steps += 1
            for ctrl in list(self.controllers.values()):
                ctrl.after_step(self.time)
            for iid, anim in list(self.animators.items()):
                if iid in self.uid_of:
                    anim.update(dt)
            self.events.check(self)
