"""Radar plugin: clustered detections with range, angles, radial velocity and an RCS proxy.

In the style of automotive radar (and CARLA's radar sensor), in order:

1. **Raw returns.** Rays on a regular grid every ``ray_resolution`` degrees across the field of
   view (centred on the sensor's +x) are cast through the scenario's ray casting backend
   (:mod:`simgen.sensors.raycast`); returns from the body carrying the sensor are dropped.
2. **Radial velocity** of each return from the simulator's true velocities: the hit point's
   velocity on its body or link (``v + w x (p - com)``) minus the sensor's own velocity at its
   mounting point, projected on the ray direction. Positive means the range grows. Kinematic
   actors (waypoints, follow), which pybullet reports at rest, get their velocity from their
   pose one physics tick earlier (the episode runner primes the radar before every capture).
3. **RCS proxy** of each return: ``r^2 * dOmega * cos(incidence)``, the patch of surface one ray
   covers (``r^2 dOmega / cos``) weighted by ``cos^2`` of the incidence angle (a flat plate
   facing the radar sums to its area; grazing surfaces reflect little). Square metres.
4. **Clustering.** Returns are grouped into cells of ``range_resolution`` x
   ``azimuth_resolution`` x ``elevation_resolution`` x ``velocity_resolution``; each occupied
   cell is one detection at the RCS-weighted mean of its returns, with their summed RCS and the
   instance/class of the body contributing most RCS.
5. **Corruption.** Detections below ``min_rcs`` are dropped, each survives ``dropout`` with
   probability ``1 - dropout``, only the ``max_detections`` strongest are kept, then Gaussian
   noise is added to range, azimuth, elevation and velocity, all drawn from the sensor's own
   generator. Detections are ordered by cell (range first), so output is deterministic.

The scene is held at the capture tick (a radar scan is short); angles are radians in the
sensor frame (x forward, y left, z up).
"""

from __future__ import annotations

import numpy as np

from simgen.core.transforms import matrix_from_quaternion
from simgen.sensors.geometry import body_uid, world_from_mount
from simgen.sensors.radar.model import RadarScan, RadarSpec
from simgen.sensors.raycast import label_tables, make_raycaster
from simgen.sensors.registry import Sensor, WorldView


def body_frames(world: WorldView) -> dict[tuple[int, int], np.ndarray]:
    """(4, 4) world_from_com of every body's base (link -1) and link, keyed by (uid, link)."""
    out = {}
    for uid in world.body_uids():
        poses = [world.body_pose(uid), *world.link_poses(uid)]
        for k, (pos, orn) in enumerate(poses):
            t = np.eye(4)
            t[:3, :3], t[:3, 3] = matrix_from_quaternion(orn), pos
            out[(uid, k - 1)] = t
    return out


def _rotation_log(r: np.ndarray) -> np.ndarray:
    """Rotation vector (3,) radians of a (3, 3) rotation (the inverse of Rodrigues' formula)."""
    c = np.clip((np.trace(r) - 1) / 2, -1.0, 1.0)
    angle = float(np.arccos(c))
    axis = np.array([r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1]])
    if angle < 1e-12:
        return axis / 2
    return axis * (angle / (2 * np.sin(angle))) if angle < np.pi - 1e-6 else axis * 0.0


def point_velocities(
    world: WorldView,
    uid: np.ndarray,
    link: np.ndarray | None,
    points: np.ndarray,
    previous: dict[tuple[int, int], np.ndarray] | None = None,
    dt: float = 0.0,
) -> np.ndarray:
    """(N, 3) float64 world-frame velocities (m/s) of surface points ``points`` on bodies ``uid``.

    ``link`` (N,) gives the link of each point (-1 or None: the base); a point on a rigid part
    moves at ``v_com + w x (p - com)``, read from pybullet. Kinematic actors are teleported
    each tick and pybullet reports them at rest: where a part reports exactly zero velocity and
    its pose ``dt`` seconds earlier is in ``previous`` (see :func:`body_frames`), ``v`` and ``w``
    come from the pose difference instead (exact for motion at constant velocity over ``dt``).
    """
    out = np.zeros((len(uid), 3))
    links = np.full(len(uid), -1, dtype=np.int64) if link is None else link.astype(np.int64)
    pairs, inverse = group_rows(np.stack([uid.astype(np.int64), links], axis=1))
    for j, (b, k) in enumerate(pairs.tolist()):
        pos, orn, lin_t, ang_t = world.link_motion(b, k)
        lin, ang, com = np.asarray(lin_t, dtype=float), np.asarray(ang_t, dtype=float), np.asarray(pos, dtype=float)
        before = None if previous is None or dt <= 0 else previous.get((b, k))
        if before is not None and not lin.any() and not ang.any():
            lin = (com - before[:3, 3]) / dt
            ang = _rotation_log(matrix_from_quaternion(orn) @ before[:3, :3].T) / dt
        m = inverse == j
        out[m] = lin + np.cross(ang, points[m] - com)
    return out


def group_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of integer ``keys`` (N, C) in lexicographic order, and each row's group index.

    The same result as ``np.unique(keys, axis=0, return_inverse=True)`` from one ``lexsort``
    (``unique`` with ``axis`` sorts a void view, several times slower).
    """
    if not len(keys):
        return keys[:0], np.zeros(0, dtype=np.int64)
    order = np.lexsort(keys.T[::-1])
    ks = keys[order]
    new = np.r_[True, np.any(ks[1:] != ks[:-1], axis=1)]
    inv = np.empty(len(keys), dtype=np.int64)
    inv[order] = np.cumsum(new) - 1
    return ks[new], inv


def cluster(keys: np.ndarray, weights: np.ndarray, values: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, ...]:
    """Group returns by integer cell ``keys`` (N, 4).

    Returns per cluster (sorted by key): weight sums (K,), weighted means of ``values`` (K, V),
    return counts (K,) and the ``owner`` with the largest summed weight (ties: smallest owner).
    """
    cells, inv = group_rows(keys)
    k = len(cells)
    wsum = np.bincount(inv, weights=weights, minlength=k)
    count = np.bincount(inv, minlength=k)
    w = np.where(wsum[inv] > 0, weights, 1.0)  # all-zero cells: plain means
    norm = np.bincount(inv, weights=w, minlength=k)
    cols = [np.bincount(inv, weights=w * values[:, c], minlength=k) / norm for c in range(values.shape[1])]
    means = np.stack(cols, axis=1)
    pairs, pinv = group_rows(np.stack([inv, owner.astype(np.int64)], axis=1))
    psum = np.bincount(pinv, weights=weights, minlength=len(pairs))
    order = np.lexsort((pairs[:, 1], -psum, pairs[:, 0]))  # by cluster, largest weight first, then owner
    first = order[np.r_[True, pairs[order[1:], 0] != pairs[order[:-1], 0]]]
    dominant = pairs[first, 1]
    return wsum, means, count, dominant


class Radar(Sensor[RadarSpec, RadarScan]):
    """Automotive-style radar over a ray casting backend; see the module docstring."""

    prime_each_capture = True

    def __init__(self, spec: RadarSpec, world: WorldView, rng: np.random.Generator) -> None:
        super().__init__(spec, world, rng)
        az = np.radians(np.asarray(spec.azimuths_deg, dtype=float))
        el = np.radians(np.asarray(spec.elevations_deg, dtype=float))
        a, e = np.meshgrid(az, el, indexing="ij")
        self.ray_az, self.ray_el = a.ravel(), e.ravel()
        self.dirs = np.stack(
            [np.cos(self.ray_el) * np.cos(self.ray_az), np.cos(self.ray_el) * np.sin(self.ray_az), np.sin(self.ray_el)],
            axis=1,
        )
        step = np.radians(spec.ray_resolution)
        self.solid_angle = step * step * np.cos(self.ray_el)  # steradians per ray
        self.inst_lut, self.cat_lut, _ = label_tables(world)
        self.mount_uid = body_uid(world, spec.mount) if spec.mount is not None else -2
        self.caster = make_raycaster(spec.backend, world)
        self._before: list[tuple[float, dict[tuple[int, int], np.ndarray]]] = []

    def prime(self) -> None:
        """Remember every body's pose one tick before a capture (velocities of kinematic actors)."""
        # Keep two: at a scan rate equal to the physics rate the next scan's prime shares a tick
        # with this scan, which must still see the pose from the tick before.
        self._before = [*self._before[-1:], (self.world.time, body_frames(self.world))]

    def velocities(self, uid: np.ndarray, link: np.ndarray | None, points: np.ndarray) -> np.ndarray:
        """World-frame velocities of ``points`` on their bodies (see :func:`point_velocities`)."""
        t = self.world.time
        earlier = [b for b in self._before if b[0] < t]
        frames, dt = (earlier[-1][1], t - earlier[-1][0]) if earlier else (None, 0.0)
        return point_velocities(self.world, uid, link, points, frames, dt)

    def capture(self, tick: int) -> RadarScan:
        """Cast the raw grid now and turn its returns into detections."""
        s = self.spec
        t = self.world.time
        wm = world_from_mount(self.world, s.mount)
        ws = wm @ s.mount_from_sensor
        origin = ws[:3, 3]
        dirs_w = self.dirs @ ws[:3, :3].T
        self.caster.update()
        hits = self.caster.cast(origin, dirs_w, s.min_range, s.max_range)
        idx = np.flatnonzero((hits.uid >= 0) & (hits.uid != self.mount_uid))
        uid = hits.uid[idx]
        r = hits.distance[idx]
        u = dirs_w[idx]
        pts = origin + u * r[:, None]
        cos_inc = np.abs(np.sum(hits.normal[idx].astype(np.float64) * u, axis=1))
        rcs = r * r * self.solid_angle[idx] * cos_inc
        link = None if hits.link is None else hits.link[idx]
        v_sensor = np.zeros(3)
        if self.mount_uid >= 0:
            v_sensor = self.velocities(np.array([self.mount_uid]), None, origin[None, :])[0]
        v_rel = self.velocities(uid, link, pts) - v_sensor
        v_r = np.sum(v_rel * u, axis=1)
        az, el = self.ray_az[idx], self.ray_el[idx]
        keys = np.stack(
            [
                np.floor(r / s.range_resolution),
                np.floor(az / np.radians(s.azimuth_resolution)),
                np.floor(el / np.radians(s.elevation_resolution)),
                np.floor(v_r / s.velocity_resolution),
            ],
            axis=1,
        ).astype(np.int64)
        if uid.size and uid.max() >= len(self.inst_lut):  # bodies added after the world was built
            self.inst_lut, self.cat_lut, _ = label_tables(self.world, int(uid.max()) + 1)
        if len(idx):
            total, means, count, owner = cluster(keys, rcs, np.stack([r, az, el, v_r], axis=1), uid)
        else:
            total, means, count, owner = np.zeros(0), np.zeros((0, 4)), np.zeros(0, np.int64), np.zeros(0, np.int64)
        keep = total >= s.min_rcs
        if s.dropout > 0:
            keep &= self.rng.random(len(keep)) >= s.dropout
        sel = np.flatnonzero(keep)
        if len(sel) > s.max_detections:
            strongest = np.argsort(-total[sel], kind="stable")[: s.max_detections]
            sel = np.sort(sel[strongest])
        m = len(sel)
        rng_d, az_d, el_d, v_d = (means[sel, c].copy() for c in range(4))
        if s.range_noise > 0:
            rng_d += self.rng.normal(0.0, s.range_noise, m)
        if s.azimuth_noise > 0:
            az_d += self.rng.normal(0.0, np.radians(s.azimuth_noise), m)
        if s.elevation_noise > 0:
            el_d += self.rng.normal(0.0, np.radians(s.elevation_noise), m)
        if s.velocity_noise > 0:
            v_d += self.rng.normal(0.0, s.velocity_noise, m)
        xyz = np.stack([np.cos(el_d) * np.cos(az_d), np.cos(el_d) * np.sin(az_d), np.sin(el_d)], axis=1)
        xyz *= rng_d[:, None]
        owners = owner[sel]
        scan = RadarScan(
            sensor=s.name,
            index=self.count,
            capture_time=t,
            delivery_time=t + s.latency,
            world_from_sensor=ws.copy(),
            xyz=xyz.astype(np.float32),
            range=rng_d.astype(np.float32),
            azimuth=az_d.astype(np.float32),
            elevation=el_d.astype(np.float32),
            velocity=v_d.astype(np.float32),
            rcs=total[sel].astype(np.float32),
            returns=count[sel].astype(np.uint32),
            instance=self.inst_lut[owners].astype(np.int32),
            semantic=self.cat_lut[owners].astype(np.uint16),
        )
        self.count += 1
        return scan


__all__ = ["Radar", "body_frames", "cluster", "group_rows", "point_velocities"]
