"""Embree ray casting backend (``backend: embree``): the Embree library of the ``embreex`` wheel.

The world's visual geometry (:mod:`simgen.sensors.scene_mesh`) is held in two Embree scenes:

- a *static* scene of every body that has not moved since it was built (ground, fixed bodies),
  built once and rebuilt only when one of its bodies starts moving (it then leaves for good);
- a *dynamic* scene of bodies that move (mass > 0, articulated, or seen moving), rebuilt from
  their posed vertices only on the ticks where one of their link poses changed.

A cast runs the static scene first, then the dynamic one with each ray shortened to the static
hit, so a ray's answer is the nearer of the two. When the bodies that stand still have no more
triangles than the moving ones (a bare ground under falling objects), one scene of everything is
rebuilt whenever anything moves instead: cheaper than a second cast over every ray.

Each scene is a single triangle geometry; ``owner[primID]`` gives the body uid of a hit
triangle, ``link[primID]`` its link and ``normal[primID]`` its unit normal. Embree works in
float32 (ranges to about 1e-7 relative, 10 microns at 100 m); scenes are built in robust mode
so rays through shared edges never slip between triangles.

Rays are cast in packets of 8 or 16 from a compiled loop (:mod:`simgen.sensors.embree_packets`,
2-2.8x faster than one at a time) wherever that is available, else through ``embreex``'s own
single-ray ``run``; both give the same hits. trimesh's wrapper of the same library
(``trimesh.ray.ray_pyembree``) rescales and copies every query; ``embreex``'s ``run`` was
2.4x faster than it on the same scene.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simgen.core.transforms import invert, pose_matrix
from simgen.sensors.embree_packets import InstanceScene, PacketScene, packets_available
from simgen.sensors.raycast import RayCaster, RayHits, register_raycaster
from simgen.sensors.scene_mesh import LinkMesh, body_meshes, link_poses, pose_vertices


@dataclass
class _Body:
    meshes: list[LinkMesh]
    links: tuple[int, ...]
    pose: np.ndarray  # (L, 4, 4) link poses baked into the scene that holds it
    faces: int
    key: Any = None  # pybullet's own pose tuples at that time: equal tuples, nothing moved
    watched: tuple[int, ...] = ()  # links whose states make up ``key`` (none for a rigid body: its base says all)


class _Scene:
    """One committed Embree scene of posed bodies, with per-triangle owner uid and unit normal."""

    def __init__(self, device: Any, parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]], packets: bool) -> None:
        verts, faces, owner, links, base = [], [], [], [], 0
        for uid, v, f, link in parts:
            verts.append(v)
            faces.append(f + base)
            owner.append(np.full(len(f), uid, dtype=np.int32))
            links.append(link)
            base += len(v)
        v = np.concatenate(verts)
        f = np.concatenate(faces).astype(np.int32)
        n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
        length = np.linalg.norm(n, axis=1)
        n /= np.where(length > 0, length, 1.0)[:, None]
        self.owner = np.concatenate(owner)
        self.link = np.concatenate(links).astype(np.int32)
        self.normal = n.astype(np.float32)
        # Bounding sphere of each body, to skip rays that cannot reach this scene.
        centres, radii = [], []
        for _, pv, _, _ in parts:
            c = (pv.min(axis=0) + pv.max(axis=0)) / 2
            centres.append(c)
            radii.append(float(np.sqrt(np.max(np.sum((pv - c) ** 2, axis=1)))))
        self.centres = np.asarray(centres)
        self.radii = np.asarray(radii)
        self.max_uid = int(self.owner.max(initial=-1))
        self.packets: PacketScene | None = None
        self.scene: Any = None
        if packets:
            self.packets = PacketScene(v, f)
        else:
            from embreex import rtcore_scene
            from embreex.mesh_construction import TriangleMesh

            self.scene = rtcore_scene.EmbreeScene(device, robust=True)
            TriangleMesh(self.scene, v.astype(np.float32), f)

    def packet_scene(self) -> PacketScene:
        """The packet-cast form of this scene (built with ``packets=True``)."""
        assert self.packets is not None, "built without packets"
        return self.packets

    def first_hits(self, start: np.ndarray, dirs: np.ndarray, tfar: np.ndarray) -> np.ndarray:
        """Hit row of each ray (-1: none); ``tfar`` (N,) float32 limits in, hit distances out (in place).

        Packet queries when available (:mod:`simgen.sensors.embree_packets`), else embreex's
        single-ray ``run``, which also writes the distances into the array it is given.
        """
        if self.packets is not None:
            return self.packets.first_hits(start, dirs, tfar)
        return self.scene.run(start, dirs, dists=tfar, output=1)["primID"]


@dataclass
class _Instance:
    """One body of a :class:`_Posed` scene: where it sits and how it stood when its scene was built."""

    index: int  # instance number in the top scene
    body: int  # position in the per-body sphere arrays
    rows: slice  # its rows of the owner/link/normal tables
    built: np.ndarray  # (4, 4) base pose its scene was built at
    normal: np.ndarray  # (F, 3) float32 world normals at that pose
    centre: np.ndarray  # (3,) bounding-sphere centre at that pose


class _Posed:
    """Bodies as instances of scenes built once each (packet queries only): moving costs a transform, not a rebuild.

    The same tables as :class:`_Scene` (owner, link, world normal per row; a bounding sphere per
    body), for ``parts`` (uid, world vertices, faces, links) each built into a scene of its own
    at its pose then (``poses``, (4, 4) base poses). ``fixed``, a :class:`_Scene` of bodies that
    stand still, is shown as it is, its rows first (merged mode). Then :meth:`update` moves a
    rigid body by the transform from its built pose to its new one (its normals and sphere
    turned with it) and rebuilds only the scene of a body whose links moved relative to each
    other.
    """

    def __init__(self, parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]], poses: list[np.ndarray],
                 fixed: _Scene | None = None) -> None:  # fmt: skip
        bodies = [_Scene(None, [part], packets=True) for part in parts]
        shown = ([fixed] if fixed is not None else []) + bodies
        self.top = InstanceScene([b.packet_scene() for b in shown], [np.eye(4)] * len(shown))
        self.owner = np.concatenate([b.owner for b in shown])
        self.link = np.concatenate([b.link for b in shown])
        self.normal = np.concatenate([b.normal for b in shown])
        self.max_uid = int(self.owner.max(initial=-1))
        first = len(shown) - len(bodies)
        self.slot: dict[int, _Instance] = {}
        for k, ((uid, *_), b, pose) in enumerate(zip(parts, bodies, poses, strict=True)):
            row = int(self.top.rows[first + k])
            rows = slice(row, row + len(b.owner))
            self.slot[uid] = _Instance(first + k, k, rows, np.asarray(pose, dtype=float), b.normal, b.centres[0])
        self.centres = np.asarray([b.centres[0] for b in bodies]).reshape(-1, 3)
        self.radii = np.asarray([b.radii[0] for b in bodies])
        self.version = 0  # bumped on every update: normals changed in place

    def update(self, poses: dict[int, np.ndarray], parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """Rigid bodies to new (4, 4) base ``poses``; bodies in ``parts`` rebuilt at their new world vertices."""
        transforms, children = {}, {}
        for uid, pose in poses.items():
            inst = self.slot[uid]
            delta = pose @ invert(inst.built)  # from the pose its scene was built at
            transforms[inst.index] = delta
            rot = delta[:3, :3]
            self.normal[inst.rows] = (inst.normal.astype(np.float64) @ rot.T).astype(np.float32)
            self.centres[inst.body] = rot @ inst.centre + delta[:3, 3]
        for part in parts:
            inst = self.slot[part[0]]
            body = _Scene(None, [part], packets=True)
            children[inst.index] = body.packet_scene()
            transforms[inst.index] = np.eye(4)
            self.normal[inst.rows] = body.normal
            self.centres[inst.body], self.radii[inst.body] = body.centres[0], body.radii[0]
        self.top.update(transforms, children)
        self.version += 1

    def first_hits(self, start: np.ndarray, dirs: np.ndarray, tfar: np.ndarray) -> np.ndarray:
        """See :meth:`_Scene.first_hits`."""
        return self.top.first_hits(start, dirs, tfar)


def _rays_near_spheres(
    o: np.ndarray, d: np.ndarray, reach: np.ndarray, centres: np.ndarray, radii: np.ndarray
) -> np.ndarray:
    """Indices of rays ``o + t d`` (unit ``d``, ``0 <= t <= reach``) that may pass within a bounding sphere.

    ``o`` is one origin (3,) or one per ray (N, 3); per-ray origins (a sensor moving during its
    sweep) are treated as the first one with every sphere grown by their largest offset from it,
    a superset. Plain multiply-adds rather than a matrix product: an (N, 3) x (3, K) product
    gains nothing from BLAS, whose threads only contend for the cores.
    """
    o0 = (o if o.ndim == 1 else o[0]).astype(np.float64)
    r = radii + 1e-3
    if o.ndim == 2:
        e = o - o[0]
        r = r + float(np.sqrt(np.max(e[:, 0] * e[:, 0] + e[:, 1] * e[:, 1] + e[:, 2] * e[:, 2])))
    rel = (centres - o0).astype(np.float32)  # (K, 3)
    r = r.astype(np.float32)
    dist2 = np.sum(rel * rel, axis=1)
    near = np.zeros(len(d), dtype=bool)
    for k in range(len(rel)):
        t = d[:, 0] * rel[k, 0] + d[:, 1] * rel[k, 1] + d[:, 2] * rel[k, 2]  # along the ray to the closest approach
        ahead = np.maximum(t, 0)  # the closest point of the ray (not of its line)
        near |= (dist2[k] - ahead * ahead < r[k] * r[k]) & (t - r[k] < reach)
    return np.flatnonzero(near)


@register_raycaster
class EmbreeCaster(RayCaster):
    """Casts against the world's visual triangles with Embree; see the module docstring."""

    name = "embree"

    def __init__(self, world: Any, num_threads: int = 1) -> None:
        from embreex import rtcore

        super().__init__(world)
        self.device = rtcore.EmbreeDevice()
        self.bodies: dict[int, _Body] = {}
        self.dynamic: set[int] = set()
        self.static_scene: _Scene | _Posed | None = None
        self.dynamic_scene: _Scene | _Posed | None = None
        self.merged = False  # True while one scene holds every body (see update)
        self.rebuilds = {"static": 0, "dynamic": 0, "merged": 0, "moves": 0}  # builds and in-place moves so far
        # Packet queries (decided once: every scene of this caster is cast alike), and with them
        # moving bodies as instances, re-posed in place.
        self.packets = packets_available()
        self._tables: tuple[tuple[Any, Any], tuple, tuple[int, ...]] | None = None
        self.detached: set[int] = set()  # bodies left out of the scenes (a sensor's own rigid mount)
        self.seen_moving: set[int] = set()  # bodies seen moving at least once: instances, with packet queries
        self.update()

    def _live_uids(self) -> list[int]:
        p, cid = self.world.client.p, self.world.client.id
        return [p.getBodyUniqueId(i, physicsClientId=cid) for i in range(p.getNumBodies(physicsClientId=cid))]

    def _state_key(self, uid: int, links: tuple[int, ...]) -> object:
        """The raw pose tuples pybullet gives of a body's base and ``links``: cheap to read and compare every tick."""
        p, cid = self.world.client.p, self.world.client.id
        base = p.getBasePositionAndOrientation(uid, physicsClientId=cid)
        children = [k for k in links if k >= 0]
        if not children:
            return base
        states = p.getLinkStates(uid, children, computeForwardKinematics=1, physicsClientId=cid)
        return base, tuple((st[4], st[5]) for st in states)

    def _moves(self, uid: int) -> bool:
        """Whether a new body is expected to move: its base has mass (it falls, rolls, is pushed).

        Everything else (fixed bodies, procedural assets built from fixed joints, kinematic
        actors) starts in the static scene and moves to the dynamic one the first time it is
        seen moving: guessing "articulated, so moving" put whole streets of buildings in the
        scene that is rebuilt whenever anything moves.
        """
        p, cid = self.world.client.p, self.world.client.id
        if uid == getattr(self.world, "ground_uid", -1):
            return False
        return p.getDynamicsInfo(uid, -1, physicsClientId=cid)[0] > 0

    def _rigid(self, uid: int) -> bool:
        """Whether a body is one rigid piece: no joints, or only fixed ones."""
        p, cid = self.world.client.p, self.world.client.id
        fixed = p.JOINT_FIXED
        n = p.getNumJoints(uid, physicsClientId=cid)
        return all(p.getJointInfo(uid, j, physicsClientId=cid)[2] == fixed for j in range(n))

    def update(self) -> None:
        """Re-pose moving bodies; rebuild only the scene(s) whose bodies changed (see the module docstring)."""
        live = [u for u in self._live_uids() if u not in self.detached]
        static_dirty = self.static_scene is None and not self.bodies
        dynamic_dirty = False
        moved: list[int] = []  # moving bodies that moved again: re-posed in place when scenes allow
        gone = set(self.bodies) - set(live)
        for uid in gone:
            del self.bodies[uid]
            self.seen_moving.discard(uid)
            if uid in self.dynamic:
                self.dynamic.discard(uid)
                dynamic_dirty = True
            else:
                static_dirty = True
        for uid in live:
            body = self.bodies.get(uid)
            if body is None:
                meshes = body_meshes(self.world, uid)
                links = tuple(sorted({m.link for m in meshes}))
                pose = link_poses(self.world, uid, links)
                watched = () if self._rigid(uid) else links
                faces = sum(len(m.faces) for m in meshes)
                body = _Body(meshes, links, pose, faces, self._state_key(uid, watched), watched)
                self.bodies[uid] = body
                if self._moves(uid):
                    self.dynamic.add(uid)
                    dynamic_dirty = True
                else:
                    static_dirty = True
                continue
            if not body.faces:
                continue
            key = self._state_key(uid, body.watched)
            if key == body.key:  # pybullet reports the very same numbers: nothing moved
                continue
            body.key = key
            pose = link_poses(self.world, uid, body.links)
            if np.array_equal(pose, body.pose):
                continue
            body.pose = pose
            self.seen_moving.add(uid)
            if uid not in self.dynamic:  # a static body started moving: it leaves the static scene
                self.dynamic.add(uid)
                static_dirty = dynamic_dirty = True
            else:
                moved.append(uid)
        moving = sum(b.faces for u, b in self.bodies.items() if u in self.dynamic)
        still = sum(b.faces for u, b in self.bodies.items() if u not in self.dynamic)
        if moving and still <= moving:
            # Little that stands still (a bare ground, say): one scene of everything, cheaper than
            # a second cast over every ray; re-posed in place, or rebuilt when anything moves.
            if static_dirty or dynamic_dirty or not self.merged or not self._repose(self.static_scene, moved):
                self.static_scene = self.build_scene(list(self.bodies), posed=self.seen_moving)
                self.dynamic_scene = None
                self.rebuilds["merged"] += 1
            self.merged = True
            return
        if self.merged:
            static_dirty = dynamic_dirty = True
        self.merged = False
        if static_dirty:
            self.static_scene = self.build_scene([u for u in self.bodies if u not in self.dynamic])
            self.rebuilds["static"] += 1
        if dynamic_dirty or not self._repose(self.dynamic_scene, moved):
            self.dynamic_scene = self.build_scene(sorted(self.dynamic), posed=self.seen_moving)
            self.rebuilds["dynamic"] += 1

    def _repose(self, scene: _Scene | _Posed | None, moved: list[int]) -> bool:
        """Re-pose ``moved`` bodies in ``scene`` in place; False when it has to be rebuilt instead.

        A scene of instances (:class:`_Posed`) takes a rigid body's new base pose as a transform and
        rebuilds only the own scene of a body whose links moved; a flat scene must be rebuilt.
        """
        if not moved:
            return True
        if not isinstance(scene, _Posed) or any(u not in scene.slot for u in moved if self.bodies[u].faces):
            return False
        shown = [u for u in moved if self.bodies[u].faces]
        rigid = {u: pose_matrix(*self.bodies[u].key) for u in shown if not self.bodies[u].watched}
        jointed = [self._part(u) for u in shown if self.bodies[u].watched]
        scene.update(rigid, jointed)
        self.rebuilds["moves"] += 1
        return True

    def _part(self, uid: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """(uid, world-frame vertices, faces, link per face) of a body at its last seen pose."""
        b = self.bodies[uid]
        faces, links, base = [], [], 0
        for m in b.meshes:
            faces.append(m.faces + base)
            links.append(np.full(len(m.faces), m.link, dtype=np.int32))
            base += len(m.vertices)
        return uid, pose_vertices(b.meshes, b.pose, b.links), np.concatenate(faces), np.concatenate(links)

    def build_scene(self, uids: list[int], posed: set[int] | None = None) -> _Scene | _Posed | None:
        """One committed Embree scene of bodies ``uids`` at their last seen poses (None if no triangles).

        With packet queries, bodies in ``posed`` (those seen moving) become instances to re-pose
        in place (a :class:`_Posed` scene, the others one flat scene in it); a flat scene casts
        faster, so bodies at rest, even with mass, stay flat until they are seen moving.
        """
        parts = [self._part(uid) for uid in sorted(uids) if self.bodies[uid].faces]
        if not parts:
            return None
        moving = [p for p in parts if posed is not None and p[0] in posed] if self.packets else []
        if not moving:
            return _Scene(self.device, parts, self.packets)
        assert posed is not None  # moving bodies are posed ones
        still = [p for p in parts if p[0] not in posed]
        poses = [pose_matrix(*self.bodies[p[0]].key) if not self.bodies[p[0]].watched else np.eye(4) for p in moving]
        return _Posed(moving, poses, fixed=_Scene(self.device, still, True) if still else None)

    def detach(
        self, uid: int, world_from_sensor: np.ndarray, dirs: np.ndarray, near: float, far: float
    ) -> np.ndarray | None:
        """Leave a sensor's own rigid mount ``uid`` out of the scenes; per-ray range at which it blocks.

        A body rigidly attached to the sensor blocks the same rays at the same ranges on every
        sweep, wherever it goes, so it is cast once, in the sensor frame (``dirs`` (N, 3)
        sensor-frame unit directions, rays from ``near`` to ``far``), and then never again: the
        caller limits each ray to the returned (N,) float32 metres (``far`` where the body is
        clear of it). A body with moving joints can move relative to its sensor: it stays in the
        scenes and None is returned.
        """
        body = self.bodies.get(uid)
        if body is None or not self._rigid(uid):
            return None
        limit = np.full(len(dirs), far, dtype=np.float32)
        if body.faces:
            _, verts, faces, links = self._part(uid)
            r, o = world_from_sensor[:3, :3], world_from_sensor[:3, 3]
            in_sensor = (verts - o) @ r  # the body in the sensor frame
            own = _Scene(self.device, [(uid, in_sensor, faces, links)], self.packets)
            d32 = np.ascontiguousarray(dirs, dtype=np.float32)
            tfar = np.full(len(d32), far - near, np.float32)
            hit = own.first_hits(d32 * np.float32(near), d32, tfar) >= 0
            limit[hit] = tfar[hit] + np.float32(near)
        self.detached.add(uid)
        self.update()  # drops it from the scenes
        return limit

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Owner uid, unit normal and link per primitive row of the current scenes, and the largest uid.

        Rows of the static scene come first, then the dynamic scene's (offset by the static
        scene's triangle count); the concatenation is cached until either scene is rebuilt.
        """
        key = (self.static_scene, self.dynamic_scene)  # the scenes themselves: an id() could be reused
        version = tuple(getattr(sc, "version", 0) for sc in key)  # re-posed scenes turn their normals in place
        if (
            self._tables is None
            or any(a is not b for a, b in zip(self._tables[0], key, strict=True))
            or self._tables[2] != version
        ):
            scenes = [sc for sc in (self.static_scene, self.dynamic_scene) if sc is not None]
            if not scenes:
                t = (np.zeros(0, np.int32), np.zeros((0, 3), np.float32), np.zeros(0, np.int32), -1)
            elif len(scenes) == 1:
                t = (scenes[0].owner, scenes[0].normal, scenes[0].link, scenes[0].max_uid)
            else:
                t = (
                    np.concatenate([sc.owner for sc in scenes]),
                    np.concatenate([sc.normal for sc in scenes]),
                    np.concatenate([sc.link for sc in scenes]),
                    max(sc.max_uid for sc in scenes),
                )
            self._tables = (key, t, version)
        return self._tables[1]

    def cast(
        self,
        origins: np.ndarray,
        directions: np.ndarray,
        near: float,
        far: float | np.ndarray,
        start: np.ndarray | None = None,
    ) -> RayHits:
        """See :meth:`RayCaster.cast`; distances carry Embree's float32 precision.

        ``far`` may also be (N,) float32 metres, one limit per ray (see :meth:`detach`).
        """
        d32 = np.asarray(directions, dtype=np.float32)
        reach_from = np.float32(near)  # the sphere test measures from the origins, or from the starts
        if start is not None:
            origins, reach_from = start, np.float32(0.0)
        else:
            start = d32 * np.float32(near)
            start += np.asarray(origins, dtype=np.float32)  # rays start ``near`` out
        n = len(d32)
        if np.ndim(far):
            tfar = np.subtract(far, np.float32(near), dtype=np.float32)  # fresh: hit distances are written into it
        else:
            tfar = np.full(n, far - near, dtype=np.float32)
        static, dynamic = self.static_scene, self.dynamic_scene
        if static is not None:
            prim = static.first_hits(start, d32, tfar)
        else:
            prim = np.full(n, -1, dtype=np.int32)
        if dynamic is not None:  # moving bodies usually fill a small part of the sweep: cast rays passing near
            reach = tfar + reach_from
            sel = _rays_near_spheres(np.asarray(origins, dtype=np.float32), d32, reach, dynamic.centres, dynamic.radii)
            if len(sel):
                t_sel = tfar[sel]
                p = dynamic.first_hits(start[sel], d32[sel], t_sel)
                got = np.flatnonzero(p >= 0)
                rows = sel[got]
                prim[rows] = p[got] + (0 if static is None else len(static.owner))
                tfar[rows] = t_sel[got]
        owner, normals, links, max_uid = self.tables()
        return RayHits(prim, tfar, near, owner, normals, links, max_uid)


__all__ = ["EmbreeCaster"]
