"""Collect per-object ground truth from the simulator: body-frame boxes, amodal masks, link origins.

Amodal masks come from rendering each visible object *alone* in a shadow pybullet client that
holds a copy of the episode's bodies (no ground): the object is posed as in the main world, every
other body is parked far outside the view, and only a window around the object's projected box
is rendered. The main world is never touched, so physics and its determinism are unaffected.
Cost: one small ``getCameraImage`` per visible object per camera frame (see docs/benchmarks.md).
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from functools import lru_cache
from pathlib import Path

import numpy as np

from simgen.labels.geometry import CORNER_SIGNS, pose_matrix, project, transform
from simgen.scenario.assets import load_mesh, resolve_asset
from simgen.scenario.spec import CameraSpec, EpisodeSpec, ObjectInstance
from simgen.sensors.camera_outputs import LensMap, lens_map, remap
from simgen.sensors.frame import ObjectTruth
from simgen.sensors.render import attach, render
from simgen.sim.client import BulletClient
from simgen.sim.world import World, cached_obj

PARKED = (0.0, 0.0, -1.0e4)


def _through_lens(mask: np.ndarray, offset: tuple[int, int], lens: LensMap) -> tuple[np.ndarray, tuple[int, int]]:
    """A mask rendered in a window of the ideal camera, seen through the lens: (crop, (x0, y0)).

    Samples like :func:`simgen.sensors.camera_outputs.remap` does for the instance map (nearest,
    the same tables shifted by the window's offset); the result is cropped to its pixels.
    """
    shifted = LensMap(lens.ideal, lens.map_x - np.float32(offset[0]), lens.map_y - np.float32(offset[1]))
    out = remap(mask.astype(np.uint8), shifted, nearest=True).astype(bool)
    rows, cols = np.nonzero(out.any(axis=1))[0], np.nonzero(out.any(axis=0))[0]
    if not len(rows):
        return np.zeros((0, 0), dtype=bool), (0, 0)
    return out[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], (int(cols[0]), int(rows[0]))


Window = tuple[int, int, int, int]  # x0, y0, x1, y1 pixels (x1, y1 exclusive)


def box_window(view: CameraSpec, corners_cam: np.ndarray) -> Window | None:
    """Pixels of ``view`` that may show a box with these (8, 3) camera-frame corners; None if none.

    The projected corners' bounds grown by 2 px (the rasteriser's edge rules), clipped to the
    image. A box wholly behind the near plane shows nowhere; one crossing it may show anywhere.
    """
    z = corners_cam[:, 2]
    if (z <= view.near).all():
        return None
    if not (z > view.near).all():
        return 0, 0, view.width, view.height
    uv = project(view.K, corners_cam)
    x0 = max(0, int(math.floor(uv[:, 0].min())) - 2)
    y0 = max(0, int(math.floor(uv[:, 1].min())) - 2)
    x1 = min(view.width, int(math.ceil(uv[:, 0].max())) + 3)
    y1 = min(view.height, int(math.ceil(uv[:, 1].max())) + 3)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


GEOM_BOX, GEOM_SPHERE, GEOM_CAPSULE, GEOM_CYLINDER, GEOM_MESH = 3, 2, 7, 4, 5


@lru_cache(maxsize=64)
def _mesh_vertices(path: str, sx: float, sy: float, sz: float) -> np.ndarray:
    """(N, 3) vertices of a mesh file scaled per axis (cached per process)."""
    mesh = load_mesh(Path(path), 1.0)
    return np.asarray(mesh.vertices, dtype=np.float64) * np.array([sx, sy, sz])


def _primitive_points(obj: ObjectInstance, base: Path) -> np.ndarray | None:
    """Body-frame points whose box is the object's box, for shapes described by the spec."""
    s = obj.shape
    if obj.type == "box":
        return CORNER_SIGNS * (np.asarray(s["size"], dtype=np.float64) / 2)
    if obj.type == "sphere":
        return CORNER_SIGNS * s["radius"]
    if obj.type == "cylinder":
        return CORNER_SIGNS * np.array([s["radius"], s["radius"], s["length"] / 2])
    if obj.type == "capsule":
        return CORNER_SIGNS * np.array([s["radius"], s["radius"], s["length"] / 2 + s["radius"]])
    if obj.type == "mesh":
        _, mesh = cached_obj(resolve_asset(s["path"], base), s["scale"])
        return np.asarray(mesh.vertices, dtype=np.float64)
    return None


def _visual_points(client: BulletClient, uid: int) -> dict[int, np.ndarray]:
    """Per link (-1 = base), visual geometry points in that link's URDF frame."""
    p, cid = client.p, client.id
    out: dict[int, list[np.ndarray]] = {}
    for v in p.getVisualShapeData(uid, physicsClientId=cid):
        link, geom, dims, fname, lpos, lorn = v[1], v[2], v[3], v[4], v[5], v[6]
        if geom == GEOM_MESH and fname:
            pts = _mesh_vertices(fname.decode() if isinstance(fname, bytes) else fname, *dims)
        elif geom == GEOM_BOX:
            pts = CORNER_SIGNS * (np.asarray(dims) / 2)
        elif geom == GEOM_SPHERE:
            pts = CORNER_SIGNS * dims[0]
        elif geom in (GEOM_CYLINDER, GEOM_CAPSULE):
            half = dims[0] / 2 + (dims[1] if geom == GEOM_CAPSULE else 0.0)
            pts = CORNER_SIGNS * np.array([dims[1], dims[1], half])
        else:
            continue
        out.setdefault(link, []).append(transform(pts, pose_matrix(lpos, lorn)))
    return {k: np.concatenate(v) for k, v in out.items()}


class TruthCollector:
    """Ground truth for one episode's frames; owns the shadow client used for amodal renders."""

    def __init__(self, client: BulletClient, world: World, spec: EpisodeSpec, renderer: str, amodal: bool = True):
        self.client = client
        self.world = world
        self.spec = spec
        self.renderer = renderer
        base = Path(spec.base_dir)
        p, cid = client.p, client.id
        self.joints: dict[int, int] = {}
        self.rigid_points: dict[int, np.ndarray] = {}
        self.link_points: dict[int, dict[int, np.ndarray]] = {}
        self.link_names: dict[int, tuple[str, ...]] = {}
        self.base_from_com: dict[int, np.ndarray] = {}
        for obj in spec.objects:
            uid = world.uid_of[obj.instance_id]
            n = p.getNumJoints(uid, physicsClientId=cid)
            self.joints[obj.instance_id] = n
            info = p.getDynamicsInfo(uid, -1, physicsClientId=cid)
            self.base_from_com[obj.instance_id] = np.linalg.inv(pose_matrix(info[3], info[4]))
            prim = _primitive_points(obj, base)
            if prim is not None:
                self.rigid_points[obj.instance_id] = prim
                continue
            per_link = _visual_points(client, uid)
            com_from_base = pose_matrix(info[3], info[4])
            if n == 0:
                pts = per_link.get(-1, np.zeros((1, 3)))
                self.rigid_points[obj.instance_id] = transform(pts, np.linalg.inv(com_from_base))
            else:
                self.link_points[obj.instance_id] = per_link
                names = [p.getBodyInfo(uid, physicsClientId=cid)[0].decode()]
                names += [p.getJointInfo(uid, j, physicsClientId=cid)[12].decode() for j in range(n)]
                self.link_names[obj.instance_id] = tuple(names)
        self.shadow: BulletClient | None = None
        self.shadow_world: World | None = None
        if amodal and spec.objects:
            # The shadow client always uses TinyRenderer: pybullet's EGL plugin loaded into a second
            # client takes over rendering for the first one too (its images then show the shadow world).
            self.shadow = BulletClient()
            # Disconnect when the collector goes away (the episode generator ends or is dropped).
            self._finalizer = weakref.finalize(self, self.shadow.close)
            attach(self.shadow, "tiny")
            ground = {**spec.world.ground, "type": "none"}
            shadow_spec = dataclasses.replace(spec, world=dataclasses.replace(spec.world, ground=ground))
            self.shadow_world = World(self.shadow, shadow_spec)
            self.park_all()

    def close(self) -> None:
        """Disconnect the shadow client."""
        if self.shadow is not None:
            self._finalizer()
            self.shadow = None

    def _links_world(self, iid: int) -> tuple[np.ndarray, np.ndarray]:
        """(L, 3) world link origins and (M, 3) world visual points of an articulated body."""
        p, cid = self.client.p, self.client.id
        uid = self.world.uid_of[iid]
        pos, orn = p.getBasePositionAndOrientation(uid, physicsClientId=cid)
        frames = {-1: pose_matrix(pos, orn) @ np.linalg.inv(self.base_from_com[iid])}
        for j in range(self.joints[iid]):
            st = p.getLinkState(uid, j, computeForwardKinematics=1, physicsClientId=cid)
            frames[j] = pose_matrix(st[4], st[5])
        origins = np.array([frames[k][:3, 3] for k in sorted(frames)])
        pts = [transform(v, frames[k]) for k, v in self.link_points[iid].items() if k in frames]
        return origins, np.concatenate(pts) if pts else origins

    def body_points(self, iid: int, world_from_body: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(N, 3) body-frame points of the object now, and (L, 3) world link origins or None."""
        if iid in self.rigid_points:
            return self.rigid_points[iid], None
        origins, pts_world = self._links_world(iid)
        return transform(pts_world, np.linalg.inv(world_from_body)), origins

    def collect(
        self, cam: CameraSpec, instance: np.ndarray, poses: dict[int, tuple[tuple[float, ...], tuple[float, ...]]]
    ) -> dict[int, ObjectTruth]:
        """Truth for every object (boxes, links) and amodal masks for those visible in ``instance``.

        An object that no other object can come in front of (their projected boxes do not overlap,
        or the other lies wholly behind it) and that the ground cannot hide is not occluded by
        anything: its amodal mask is its visible mask, read from ``instance`` instead of rendered
        alone (exact, and many objects of an uncluttered scene need no render).
        """
        cam_from_world = np.linalg.inv(cam.world_from_camera)
        lens = lens_map(cam) if cam.distortion is not None and self.shadow is not None else None
        view = cam if lens is None else dataclasses.replace(lens.ideal, world_from_camera=cam.world_from_camera)
        out: dict[int, ObjectTruth] = {}
        windows: dict[int, Window | None] = {}
        depths: dict[int, tuple[float, float]] = {}
        lowest: dict[int, float] = {}
        for obj in self.spec.objects:
            iid = obj.instance_id
            if iid not in poses:
                continue
            world_from_body = pose_matrix(*poses[iid])
            pts, links = self.body_points(iid, world_from_body)
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            truth = ObjectTruth(box_center=(lo + hi) / 2, box_size=hi - lo, links=links)
            if links is not None:
                truth.link_names = self.link_names[iid]
            if self.shadow is not None:  # where and how deep the object may show, for the amodal pass
                corners_body = CORNER_SIGNS * (hi - lo) / 2 + (lo + hi) / 2
                corners_cam = transform(corners_body, cam_from_world @ world_from_body)
                windows[iid] = box_window(view, corners_cam)
                depths[iid] = (float(corners_cam[:, 2].min()), float(corners_cam[:, 2].max()))
                lowest[iid] = float(transform(corners_body, world_from_body)[:, 2].min())
            out[iid] = truth
        if self.shadow is None:
            return out
        visible = set(np.flatnonzero(np.bincount(instance.ravel())).tolist()) - {0}
        for iid in sorted(visible & set(out)):
            truth, window = out[iid], windows[iid]
            if window is None:
                truth.amodal, truth.amodal_offset = np.zeros((0, 0), dtype=bool), (0, 0)
            elif lens is None and self._unoccludable(iid, windows, depths, lowest[iid], cam):
                x0, y0, x1, y1 = window
                truth.amodal, truth.amodal_offset = instance[y0:y1, x0:x1] == iid, (x0, y0)
            else:
                truth.amodal, truth.amodal_offset = self._render_alone(view, lens, iid, poses[iid], window)
                truth.amodal_exact = self.renderer == "tiny"
                continue
            truth.amodal_exact = True
        return out

    def _unoccludable(
        self,
        iid: int,
        windows: dict[int, Window | None],
        depths: dict[int, tuple[float, float]],
        lowest_z: float,
        cam: CameraSpec,
    ) -> bool:
        """True when nothing in the scene can cover any pixel of ``iid`` (so amodal = visible).

        Every other object whose projected box overlaps its own lies wholly behind it (its
        nearest box corner is deeper than this object's farthest: depth grows along every ray,
        so it cannot come in front), and the ground is absent, or a plane at z = 0 seen from
        above with the object on or above it (1 mm of contact penetration allowed). Boxes hold
        all of their object's geometry, so the test is conservative.
        """
        ground = self.spec.world.ground.get("type", "plane")
        if ground not in ("none", "plane", "checker"):
            return False
        if ground != "none" and (cam.world_from_camera[2, 3] <= 0.0 or lowest_z < -1e-3):
            return False
        x0, y0, x1, y1 = windows[iid]  # type: ignore[misc]
        far = depths[iid][1]
        for j, other in windows.items():
            if j != iid and other is not None and depths[j][0] <= far:
                if other[0] < x1 and x0 < other[2] and other[1] < y1 and y0 < other[3]:
                    return False
        return True

    def _render_alone(
        self,
        view: CameraSpec,
        lens: LensMap | None,
        iid: int,
        pose: tuple[tuple[float, ...], tuple[float, ...]],
        window: Window,
    ) -> tuple[np.ndarray, tuple[int, int]]:
        """Render object ``iid`` alone in ``window`` of the (ideal) camera ``view``; (mask, (x0, y0)).

        A distorted camera renders the window of its ideal pinhole camera and remaps it through
        the same lens tables as the image (nearest), so amodal and visible masks share one lens.
        """
        assert self.shadow is not None and self.shadow_world is not None
        p, cid = self.shadow.p, self.shadow.id
        x0, y0, x1, y1 = window
        uid = self.shadow_world.uid_of[iid]
        p.resetBasePositionAndOrientation(uid, pose[0], pose[1], physicsClientId=cid)
        n = self.joints[iid]
        if n:
            main = self.world.uid_of[iid]
            states = self.client.p.getJointStates(main, list(range(n)), physicsClientId=self.client.id)
            for j, st in enumerate(states):
                p.resetJointState(uid, j, st[0], physicsClientId=cid)
        k = view.K.copy()
        k[0, 2] -= x0
        k[1, 2] -= y0
        crop = dataclasses.replace(view, width=x1 - x0, height=y1 - y0, K=k)
        raw = render(self.shadow, crop, "tiny")
        p.resetBasePositionAndOrientation(uid, PARKED, (0, 0, 0, 1), physicsClientId=cid)
        mask = raw.body_uid == uid
        if lens is None:
            return mask, (x0, y0)
        return _through_lens(mask, (x0, y0), lens)

    def park_all(self) -> None:
        """Move every shadow body out of view (called once after building)."""
        if self.shadow is None or self.shadow_world is None:
            return
        for uid in self.shadow_world.uid_of.values():
            self.shadow.p.resetBasePositionAndOrientation(uid, PARKED, (0, 0, 0, 1), physicsClientId=self.shadow.id)
