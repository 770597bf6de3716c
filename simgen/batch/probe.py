"""A camera's ground truth at its first captured frame, without rendering the image.

``require:`` conditions such as ``visible_fraction(child, dashcam) <= 0.4`` are checked on every
sampling attempt, so they must cost far less than a render. The probe builds the episode's
world (no renderer attached), steps it to the camera's first capture tick, draws the object's
whole silhouette with the amodal rasteriser (:func:`simgen.labels.amodal.silhouette`, the same
pass that gives labels their ``visibility``) and casts one ray through the centre of each of its
pixels against the world's visual geometry (Embree, :mod:`simgen.sensors.raycast`): a pixel is visible
when its ray first hits the object. ``visible / amodal`` pixels is the label's visibility up to
the renderer's rasterisation of silhouette edges; the lens is taken as its ideal pinhole.

It lives with the episode runner because it builds and steps a world and draws with the labels
stage; ``import simgen`` registers it with :func:`simgen.scenario.requirements.register_probe`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.scenario.requirements import Coverage
from simgen.scenario.spec import EpisodeSpec
from simgen.sensors.camera.model import CameraSpec

_CLIENT: list[Any] = []  # one pybullet client per process, reset for every probed world


def _client() -> Any:
    from simgen.sim.client import BulletClient

    if not _CLIENT or _CLIENT[0].id < 0:
        _CLIENT[:] = [BulletClient()]
    return _CLIENT[0]


class FirstFrameProbe:
    """Answers coverage questions about one sampled episode; builds its world on the first question."""

    def __init__(self, spec: EpisodeSpec) -> None:
        self.spec = spec
        self.world: Any = None
        self.cache: dict[tuple[int, str], Coverage] = {}

    def camera(self, name: str) -> CameraSpec | None:
        """The episode's camera called ``name`` (rig members by their expanded names)."""
        return next((c for c in self.spec.cameras if c.name == name), None)

    def _at(self, tick: int) -> None:
        """Have the world at step ``tick`` (rebuilt when it has already run past it)."""
        from simgen.sim.world import World

        if self.world is None or self.world.steps > tick:
            self.world = World(_client(), self.spec)
        if self.world.steps < tick:
            self.world.step(tick - self.world.steps)

    def coverage(self, iid: int, cam: CameraSpec) -> Coverage:
        """Visible and amodal pixels of instance ``iid`` in ``cam``'s first captured frame."""
        key = (iid, cam.name)
        if key not in self.cache:
            self.cache[key] = self._measure(iid, cam)
        return self.cache[key]

    def _measure(self, iid: int, cam: CameraSpec) -> Coverage:
        from simgen.core.transforms import pose_matrix
        from simgen.labels.amodal import silhouette
        from simgen.sensors.clock import capture_ticks
        from simgen.sensors.truth import TruthReader

        ticks = capture_ticks(self.spec.world, self.spec.frames, cam.rate, cam.phase)
        self._at(int(ticks[0]))
        world = self.world
        if iid not in world.uid_of:  # not spawned yet, or removed
            return Coverage(0, 0)
        posed = world.camera(cam)
        pose = world.body_pose(world.uid_of[iid])  # centre-of-mass pose, as the truth reader and frames take it
        truth = TruthReader(world, self.spec).collect({iid: pose})[iid]
        cam_from_world = np.linalg.inv(posed.world_from_camera)
        mask, (x0, y0) = silhouette(truth, pose_matrix(*pose), cam_from_world, posed)
        rows, cols = np.nonzero(mask)
        if not len(rows):
            return Coverage(0, 0)
        k = posed.K
        d_cam = np.stack([(cols + x0 - k[0, 2]) / k[0, 0], (rows + y0 - k[1, 2]) / k[1, 1], np.ones(len(rows))], axis=1)
        d_cam /= np.linalg.norm(d_cam, axis=1, keepdims=True)
        rot, origin = posed.world_from_camera[:3, :3], posed.world_from_camera[:3, 3]
        first = first_hits(world, origin, d_cam @ rot.T, posed.near, posed.far, world.uid_of[iid])
        return Coverage(int(np.count_nonzero(first == world.uid_of[iid])), len(rows))


def first_hits(world: Any, origin: np.ndarray, dirs: np.ndarray, near: float, far: float, target: int) -> np.ndarray:
    """(N,) uid of the body each ray first hits (-1: none), against visual geometry where Embree is installed.

    pybullet's ray test against the collision shapes finds the bodies in the way cheaply; only those
    (with the target and the ground) are meshed for Embree, whose hits on visual triangles decide.
    """
    from simgen.sensors.raycast import cast_rays, embree_available

    starts = origin + dirs * near
    uid, *_ = cast_rays(world.client, starts, origin + dirs * far)
    if not embree_available():
        return uid
    keep = {int(u) for u in np.unique(uid) if u >= 0} | {target, int(getattr(world, "ground_uid", -1))}
    return _subset_caster(world, keep).cast(origin, dirs, near, far).uid


def _subset_caster(world: Any, keep: set[int]) -> Any:
    """An Embree caster over the bodies ``keep`` only (meshing a whole street costs more than casting)."""
    from simgen.sensors.embree import EmbreeCaster

    class Subset(EmbreeCaster):
        def __init__(self) -> None:
            self.keep = keep
            super().__init__(world)

        def _live_uids(self) -> list[int]:
            return [u for u in super()._live_uids() if u in self.keep]

    return Subset()
