"""Build an :class:`EpisodeSpec` into a pybullet world and step it.

One function sets every engine parameter; each object's kind (:mod:`simgen.kinds`, keyed by
the YAML ``type`` name) creates its body.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from simgen.errors import AssetError
from simgen.kinds.registry import kind_of
from simgen.scenario.scene_spec import FaultWindow
from simgen.scenario.spec import EpisodeSpec, ObjectInstance, WorldSpec
from simgen.sensors.camera.model import CameraSpec
from simgen.sim.actors import Controller, make_controller
from simgen.sim.animate import Animator, make_animator
from simgen.sim.client import BulletClient
from simgen.sim.events import EventRunner

UV_PRIMITIVES = ("box", "sphere", "cylinder", "capsule")  # textured, drawn as a UV mesh (simgen.kinds.body.uv_visual)


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


def joint_indices(client: BulletClient, uid: int, obj: ObjectInstance) -> dict[str, int]:
    """Joint name -> index of a built body (the ragdoll's names come from its table)."""
    known = kind_of(obj.type).joint_names()
    if known is not None:
        return {n: i for i, n in enumerate(known)}
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
    holds = kind_of(obj.type).holds_pose()
    targets = {j: 0.0 for j in names.values()} if holds else {}
    for name, value in obj.joints.items():
        if name not in names:
            raise AssetError(
                f"object '{obj.name}' has no joint '{name}'",
                hint=did_you_mean(name, list(names)) or f"joints: {', '.join(names) or 'none'}",
            )
        targets[names[name]] = value
    for j, value in targets.items():
        p.resetJointState(uid, j, value, physicsClientId=cid)
    if holds:
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
        client.reset()
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
        self._by_iid = {o.instance_id: o for o in spec.objects}
        self.instance_of_uid = np.zeros(1, dtype=np.int32)
        self.steps = 0
        self.clearance: dict[int, float] = {}  # grounded actors: feet/wheels height above their support
        self.local_half: dict[int, np.ndarray] = {}
        self.last_support: dict[int, float] = {}
        for obj in spec.objects:
            if obj.spawn:
                self._add(obj, rest=False)
        for obj in spec.objects:  # every support exists now: stand the grounded actors on them
            if obj.instance_id in self.clearance:
                self._rest(obj.instance_id)
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
                from simgen.materials.material import Texture
                from simgen.sim.materials import textured_visual
                from simgen.sim.terrain import checker_files

                obj, png = checker_files(extra["checker"]["cell"], extra["checker"]["colors"])
                checker = Texture("image", size=64, path=str(png))
                mesh = textured_visual(self.client, obj, checker)
                vis = p.createVisualShape(p.GEOM_MESH, fileName=mesh, physicsClientId=cid)
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
                from simgen.materials.material import Material

                material = Material(base_color=(1, 1, 1, 1), texture=checker)
                self.materials.apply(uid, -1, material, specular=False, baked=True)
            elif self.spec.ground_material is not None:
                self.materials.apply(uid, -1, self.spec.ground_material, baked=True)
        p.changeDynamics(uid, -1, lateralFriction=g["friction"], physicsClientId=cid)
        return uid

    def _build_backdrop(self) -> list[int]:
        """Background walls from the ``background`` randomizer (unlabelled static bodies)."""
        walls = self.spec.backdrop.get("walls")
        if not walls:
            return []
        from simgen.sim.backdrop import build_walls

        return build_walls(self.client, walls, self.spec.backdrop.get("wall_material"), self.materials.apply)

    def _add(self, obj: ObjectInstance, rest: bool = True) -> int:
        """Build one instance's body, its joints and its controller; grounded actors stand on their support."""
        p, cid = self.client.p, self.client.id
        kind = kind_of(obj.type)
        uid = kind.build(self.client, obj, self.base)
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
                self.materials.apply(uid, link, obj.material, baked=obj.type in UV_PRIMITIVES)
        if obj.velocity is not None or obj.angular_velocity is not None:
            p.resetBaseVelocity(uid, obj.velocity or (0, 0, 0), obj.angular_velocity or (0, 0, 0), physicsClientId=cid)
        if obj.joints or kind.holds_pose():
            self.joint_targets[obj.instance_id] = set_joints(self.client, uid, obj)
        self.uid_of[obj.instance_id] = uid
        if uid >= len(self.instance_of_uid):
            grown = np.zeros(max(uid + 2, 2 * len(self.instance_of_uid)), dtype=np.int32)
            grown[: len(self.instance_of_uid)] = self.instance_of_uid
            self.instance_of_uid = grown
        self.instance_of_uid[uid] = obj.label
        from simgen.sim.ground import half_height, is_grounded

        if is_grounded(obj.type):
            from simgen.scenario.sample_world import local_half_extents
            from simgen.sim.ground import wheel_depth

            half = local_half_extents(obj, self.base)  # clearance holds the sampled bottom until _rest
            self.clearance[obj.instance_id] = float(obj.position[2]) - half_height(half, obj.orientation)
            self.local_half[obj.instance_id] = np.array([half[0], half[1], max(half[2], wheel_depth(obj))])
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
        if rest and obj.instance_id in self.clearance:
            self._rest(obj.instance_id)
        return uid

    def _rest(self, iid: int) -> None:
        """Stand grounded actor ``iid`` on the support below it (its controller re-places kinematic ones)."""
        from simgen.sim.ground import footprint, half_height, rest_height, support_top

        self.last_support.pop(iid, None)  # look for its support from above its head, every support built
        pos, orn = self.frame_pose(self.uid_of[iid])
        half = self.local_half[iid]
        bottom = self.clearance[iid]  # the sampled bottom height; as high as it asked, never under its support
        start = max(bottom, 0.0) + 2 * half_height(half, orn) + 0.5
        top = support_top(self, footprint(np.asarray(pos, float), orn, half), start, exclude=self.uid_of[iid])
        self.clearance[iid] = max(0.0, bottom - top) if top is not None else bottom
        ctrl = self.controllers.get(iid)
        if ctrl is not None and ctrl.kinematic:
            ctrl.start()  # its path or target places it, looking for support from above its head
            return
        if top is not None:
            self.last_support[iid] = top
        z = rest_height(self, iid, np.asarray(pos, float), orn, self.clearance[iid])
        p, cid, uid = self.client.p, self.client.id, self.uid_of[iid]
        velocity = p.getBaseVelocity(uid, physicsClientId=cid)
        self.set_kinematic_pose(iid, (pos[0], pos[1], z), orn)
        p.resetBaseVelocity(uid, *velocity, physicsClientId=cid)
        if ctrl is not None:
            ctrl.initial = (np.array([pos[0], pos[1], z]), np.asarray(orn, float))
        anim = self.animators.get(iid)
        if anim is not None:
            anim.last = np.asarray(self.body_pose(self.uid_of[iid])[0], float)

    def on_support(self, iid: int, pos: Any, orn: Any, clearance: float | None = None) -> tuple[float, float, float]:
        """``pos`` with z replaced so a grounded actor's bottom is ``clearance`` (default its own) above its support.

        Other bodies keep ``pos`` unchanged.
        """
        if iid not in self.clearance:
            return (float(pos[0]), float(pos[1]), float(pos[2]))
        from simgen.sim.ground import rest_height

        c = self.clearance[iid] if clearance is None else clearance
        z = rest_height(self, iid, np.asarray(pos, float), orn, c)
        return (float(pos[0]), float(pos[1]), z)

    def support_uids(self) -> set[int]:
        """Bodies others stand on: the ground and static bodies that are not actors that walk or drive."""
        p, cid = self.client.p, self.client.id
        out = {self.ground_uid} if self.ground_uid >= 0 else set()
        for iid, uid in self.uid_of.items():
            if iid in self.clearance or iid in self.controllers and self.controllers[iid].kinematic:
                continue
            if self._by_iid[iid].mass == 0 or p.getDynamicsInfo(uid, -1, physicsClientId=cid)[0] == 0:
                out.add(uid)
        return out

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
        """(position xyz m, quaternion xyzw) of a body's base at its centre of mass, world frame.

        The pose pybullet reports and resets, and the one frames and the truth reader use; a body
        built with an inertial offset (a URDF mesh such as the duck) has its frame elsewhere
        (:meth:`frame_pose`).
        """
        pos, orn = self.client.p.getBasePositionAndOrientation(uid, physicsClientId=self.client.id)
        return tuple(pos), tuple(orn)

    def base_pose(self, iid: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Pose of instance ``iid``'s base frame (the frame it was built at, not its centre of mass)."""
        return self.frame_pose(self.uid_of[iid])

    def frame_pose(self, uid: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(position, quaternion xyzw) of a body's base link frame, world frame.

        pybullet reports and resets a base at its centre of mass; a body built with an inertial
        offset (the humanoid's torso) has its frame elsewhere, and a controller that placed the
        centre of mass where the frame belongs sank the body by that offset.
        """
        p, cid = self.client.p, self.client.id
        com, orn = p.getBasePositionAndOrientation(uid, physicsClientId=cid)
        local_pos, local_orn = p.getDynamicsInfo(uid, -1, physicsClientId=cid)[3:5]
        inv_pos, inv_orn = p.invertTransform(local_pos, local_orn)
        pos, orn = p.multiplyTransforms(com, orn, inv_pos, inv_orn)
        return tuple(pos), tuple(orn)

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

    def velocities(self) -> dict[int, tuple[tuple[float, ...], tuple[float, ...]]]:
        """World-frame base velocity (linear m/s, angular rad/s) of every live instance, by instance id."""
        p, cid = self.client.p, self.client.id
        out = {}
        for iid, uid in self.uid_of.items():
            v, w = p.getBaseVelocity(uid, physicsClientId=cid)
            out[iid] = (tuple(v), tuple(w))
        return out

    # --- what sensors read of bodies by simulator id (simgen.sensors.registry.WorldView) --------

    def body_uids(self) -> list[int]:
        """Simulator id of every body in the world (ground, backdrop and objects), in creation order."""
        p, cid = self.client.p, self.client.id
        return [p.getBodyUniqueId(i, physicsClientId=cid) for i in range(p.getNumBodies(physicsClientId=cid))]

    def body_velocity(self, uid: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """World-frame (linear m/s, angular rad/s) velocity of body ``uid``'s base."""
        lin, ang = self.client.p.getBaseVelocity(uid, physicsClientId=self.client.id)
        return tuple(lin), tuple(ang)

    def link_poses(self, uid: int) -> list[tuple[tuple[float, ...], tuple[float, ...]]]:
        """World (position, quaternion xyzw) of the centre of mass of each link of body ``uid`` (none: no joints)."""
        p, cid = self.client.p, self.client.id
        n = p.getNumJoints(uid, physicsClientId=cid)
        if not n:
            return []
        states = p.getLinkStates(uid, list(range(n)), computeForwardKinematics=1, physicsClientId=cid)
        return [(tuple(st[0]), tuple(st[1])) for st in states]

    def link_motion(self, uid: int, link: int) -> tuple[tuple[float, ...], ...]:
        """(position, quaternion, linear velocity, angular velocity) of a link's centre of mass; link -1: the base."""
        p, cid = self.client.p, self.client.id
        if link < 0:
            pos, orn = p.getBasePositionAndOrientation(uid, physicsClientId=cid)
            lin, ang = p.getBaseVelocity(uid, physicsClientId=cid)
            return tuple(pos), tuple(orn), tuple(lin), tuple(ang)
        st = p.getLinkState(uid, link, computeLinkVelocity=1, computeForwardKinematics=1, physicsClientId=cid)
        return tuple(st[0]), tuple(st[1]), tuple(st[6]), tuple(st[7])

    # --- what actors and events do -----------------------------------------------------------

    def set_kinematic_pose(self, iid: int, pos: Any, orn: Any, keep_velocity: bool = True) -> None:
        """Put instance ``iid``'s base frame at (pos, orn), velocity zeroed; a ragdoll's joints go to their targets."""
        p, cid, uid = self.client.p, self.client.id, self.uid_of[iid]
        local_pos, local_orn = p.getDynamicsInfo(uid, -1, physicsClientId=cid)[3:5]
        com, com_orn = p.multiplyTransforms(list(pos), list(orn), local_pos, local_orn)
        p.resetBasePositionAndOrientation(uid, com, com_orn, physicsClientId=cid)
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
        x, y, z = (float(v) for v in impulse)
        self._impulses.append((iid, (x, y, z)))

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
