"""Reference amodal masks for tests: each object rendered alone by pybullet, as the labels stage once did.

A shadow client holds a copy of the episode's bodies without ground; the object under test is
posed (joints included) as in the main world, every other body is parked far away, and the
camera's window around the object is rendered. Slow, and only here to check the drawn
silhouettes of :mod:`simgen.labels.amodal` against the renderer.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from simgen.core.lens import lens_map
from simgen.labels.amodal import through_lens
from simgen.scenario.spec import EpisodeSpec
from simgen.sensors.camera.model import CameraSpec
from simgen.sensors.render import attach, render
from simgen.sim.client import BulletClient
from simgen.sim.world import World

PARKED = (0.0, 0.0, -1.0e4)


class AloneRenderer:
    """Renders objects of one episode alone, through a camera, in a second pybullet client."""

    def __init__(self, spec: EpisodeSpec, renderer: str = "tiny") -> None:
        self.renderer = renderer
        self.client = BulletClient()
        attach(self.client, renderer)
        ground = {**spec.world.ground, "type": "none"}
        self.world = World(self.client, dataclasses.replace(spec, world=dataclasses.replace(spec.world, ground=ground)))
        for uid in self.world.uid_of.values():
            self._park(uid)

    def _park(self, uid: int) -> None:
        self.client.p.resetBasePositionAndOrientation(uid, PARKED, (0, 0, 0, 1), physicsClientId=self.client.id)

    def close(self) -> None:
        self.client.close()

    def mask(self, main: World, iid: int, cam: CameraSpec) -> tuple[np.ndarray, tuple[int, int]]:
        """(mask, (x0, y0)) of object ``iid`` alone, posed as in ``main`` now, cropped to its pixels."""
        p, cid = self.client.p, self.client.id
        if iid not in self.world.uid_of:
            self.world.spawn(next(o.source for o in self.world.spec.objects if o.instance_id == iid))
        uid = self.world.uid_of[iid]
        main_uid = main.uid_of[iid]
        pos, orn = main.body_pose(main_uid)  # where pybullet holds its centre of mass, as reset takes it
        p.resetBasePositionAndOrientation(uid, pos, orn, physicsClientId=cid)
        n = main.client.p.getNumJoints(main_uid, physicsClientId=main.client.id)
        for j in range(n):
            st = main.client.p.getJointState(main_uid, j, physicsClientId=main.client.id)
            p.resetJointState(uid, j, st[0], physicsClientId=cid)
        lens = lens_map(cam) if cam.distortion is not None else None
        view = cam if lens is None else dataclasses.replace(lens.ideal, world_from_camera=cam.world_from_camera)
        raw = render(self.client, view, self.renderer)
        self._park(uid)
        mask = raw.body_uid == uid
        if lens is not None:
            return through_lens(mask, (0, 0), lens)
        rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        if not len(rows):
            return np.zeros((0, 0), dtype=bool), (0, 0)
        return mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], (int(cols[0]), int(rows[0]))


def placed(mask: np.ndarray, offset: tuple[int, int], width: int, height: int) -> np.ndarray:
    """A (mask, offset) crop as a full (height, width) image mask (clipped to the image)."""
    out = np.zeros((height, width), dtype=bool)
    x0, y0 = offset
    h, w = mask.shape
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + w, width), min(y0 + h, height)
    if xb > xa and yb > ya:
        out[ya:yb, xa:xb] = mask[ya - y0 : yb - y0, xa - x0 : xb - x0]
    return out


def off_edge(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels where two masks differ farther than one pixel from ``b``'s edge (0: they agree to one edge pixel)."""
    import cv2

    k = np.ones((3, 3), np.uint8)
    grown = cv2.dilate(b.astype(np.uint8), k).astype(bool)
    shrunk = cv2.erode(b.astype(np.uint8), k, borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    return int(np.count_nonzero((a ^ b) & ~(grown & ~shrunk)))
