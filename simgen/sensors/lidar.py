"""LiDAR plugin: rays cast by a :class:`~simgen.sensors.raycast.RayCaster`, labeled per point, numpy throughout.

``backend: embree`` casts against the world's visual triangles with Embree (the default when
``embreex`` is installed); ``backend: bullet`` uses pybullet's ``rayTestBatch`` against the
collision shapes. Both see the scene as it is at the capture tick, from the sensor pose of each
ray's own column, and give the same labels and intensity model.

Rays are laid out column by column in firing order (ring inside column). Each column fires at
``column / columns / rate`` seconds after the capture tick. With ``motion_distortion`` the
sensor pose of each column follows the mount's velocity at capture (constant linear and angular
velocity over the sweep; the rest of the scene is held at the capture tick), so a moving sensor
sees the skew a real one does; ``deskew`` re-expresses every point in the sensor frame at sweep
start. Returns beyond ``max_range`` are dropped; range noise acts along the ray; ``dropout``
removes returns at random. Returns from the body the sensor is mounted on are dropped (the
sweep holds the scene at the capture tick, so that body would lag behind its own sensor).
During a ``lidar_dropout`` fault window (scenario events) a further ``fraction`` of the returns
is lost, drawn from the sensor's own fault generator so its noise stream does not shift.

Intensity model: ``reflectivity * |cos(incidence)|`` where reflectivity is the object's
``reflectivity`` field, else the mean RGB of its colour (objects without either: 0.8; ground:
the mean of its colour).

pybullet's ``rayTestBatch`` silently returns nothing for a batch of exactly 16,384 rays, so
batches hold at most :data:`MAX_BATCH` = 16,383.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgen.sensors.geometry import body_uid, mount_velocity, rotation_exp, world_from_mount
from simgen.sensors.raycast import MAX_BATCH, cast_rays, label_tables, make_raycaster
from simgen.sensors.registry import Sensor, register_sensor, sensor_rng
from simgen.sensors.stream import LidarScan


def ray_pattern(elevations_deg: tuple[float, ...], azimuths_deg: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """Unit directions (C, R, 3) in the sensor frame, ring (C, R) and column (C, R) indices."""
    el = np.radians(np.asarray(elevations_deg, dtype=float))
    az = np.radians(np.asarray(azimuths_deg, dtype=float))
    ce, se = np.cos(el)[None, :], np.sin(el)[None, :]
    ca, sa = np.cos(az)[:, None], np.sin(az)[:, None]
    dirs = np.stack(np.broadcast_arrays(ce * ca, ce * sa, se + 0 * ca), axis=-1)
    ring, col = np.meshgrid(np.arange(len(el)), np.arange(len(az)))
    return dirs, ring, col


MIN_SKEW = 1e-5  # metres: sensor motion that moves no ray further than this over a sweep is ignored


def _rotate32(points: np.ndarray, r: np.ndarray) -> np.ndarray:
    """(N, 3) float32 ``points @ r.T`` as fused multiply-adds (see ``geometry.transform_points``)."""
    out = np.empty(points.shape, dtype=np.float32)
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    r = r.astype(np.float32)
    for i in range(3):
        out[:, i] = x * r[i, 0] + y * r[i, 1] + z * r[i, 2]
    return out


@register_sensor
class Lidar(Sensor):
    """Spinning or solid-state LiDAR on a ray casting backend (``spec.backend``)."""

    kind = "lidar"
    summary = "ray-cast point clouds: xyz, range, intensity, ring, time, instance, class"

    def __init__(self, spec: Any, world: Any, rng: np.random.Generator) -> None:
        super().__init__(spec, world, rng)
        dirs, ring, col = ray_pattern(spec.elevations_deg, spec.azimuths_deg)
        self.dirs = dirs
        self.dirs_flat = np.ascontiguousarray(dirs.reshape(-1, 3))
        self.dirs32 = dirs.astype(np.float32)  # world-frame rays are cast in float32 (Embree's precision)
        self.dirs_flat32 = np.ascontiguousarray(self.dirs_flat, dtype=np.float32)
        self.ring = ring.reshape(-1).astype(np.uint16)
        self.column = col.reshape(-1).astype(np.uint32)
        cols = len(spec.azimuths_deg)
        self.column_time = np.arange(cols) / cols / spec.rate
        self.ray_time = self.column_time[self.column].astype(np.float32)  # (N,) seconds after capture
        self.inst_lut, self.cat_lut, self.refl_lut = label_tables(world)
        self.mount_uid = body_uid(world, spec.mount) if spec.mount is not None else -2
        self.fault_rng = sensor_rng(world.spec.seed, f"{spec.name}.faults")
        self.caster = make_raycaster(getattr(spec, "backend", "bullet"), world, num_threads=spec.num_threads)

    def sensor_poses(self) -> tuple[np.ndarray, bool]:
        """(C, 4, 4) world_from_sensor of every column at its firing time, and whether they differ."""
        s = self.spec
        wm = world_from_mount(self.world, s.mount)
        ws0 = wm @ s.mount_from_sensor
        cols = len(self.column_time)
        if s.motion_distortion and s.mount is not None:
            v, w = mount_velocity(self.world, s.mount)
            sweep = 1.0 / s.rate
            lever = s.max_range + float(np.linalg.norm(s.mount_from_sensor[:3, 3]))
            # Motion that shifts no ray by 10 microns over the sweep (float32 resolution at 100 m is
            # 8 microns; a body at rest jitters at about 1e-5 m/s) is ignored: the rays then share
            # one origin, which is much cheaper to cast.
            if (np.linalg.norm(v) + np.linalg.norm(w) * lever) * sweep >= MIN_SKEW:
                tau = self.column_time
                rot = rotation_exp(w[None, :] * tau[:, None])  # world-frame rotation over tau
                wm_t = np.broadcast_to(np.eye(4), (cols, 4, 4)).copy()
                wm_t[:, :3, :3] = rot @ wm[:3, :3]
                wm_t[:, :3, 3] = wm[:3, 3] + v[None, :] * tau[:, None]
                return wm_t @ s.mount_from_sensor, True
        return np.broadcast_to(ws0, (cols, 4, 4)), False

    def capture(self, tick: int) -> LidarScan:
        """Cast one sweep from the current world state."""
        s = self.spec
        t = self.world.time
        poses, moving = self.sensor_poses()
        if moving:
            r = poses[:, None, :3, :3].astype(np.float32)  # (C, 1, 3, 3), one rotation per column
            d = self.dirs32
            dirs_w = np.empty(d.shape, dtype=np.float32)
            for i in range(3):  # multiply-adds: a stack of 3 x 3 products is slow through matmul
                dirs_w[..., i] = d[..., 0] * r[..., i, 0] + d[..., 1] * r[..., i, 1] + d[..., 2] * r[..., i, 2]
            dirs_w = dirs_w.reshape(-1, 3)
            origins = np.repeat(poses[:, :3, 3], self.dirs.shape[1], axis=0)
        else:
            dirs_w = _rotate32(self.dirs32.reshape(-1, 3), poses[0, :3, :3])
            origins = poses[0, :3, 3]
        self.caster.update()
        hits = self.caster.cast(origins, dirs_w, s.min_range, s.max_range)
        uid, normal = hits.uid, hits.normal
        hit = (uid >= 0) & (uid != self.mount_uid)
        if s.dropout > 0:
            hit &= self.rng.random(len(hit)) >= s.dropout
        for fault in self.world.active_faults(s.name, "lidar_dropout"):
            fraction = float(fault.params.get("fraction", 1.0))
            hit &= self.fault_rng.random(len(hit)) >= fraction if fraction < 1.0 else False
        every = bool(hit.all())
        idx = None if every else np.flatnonzero(hit)

        def pick(a: np.ndarray) -> np.ndarray:  # the hit rows; take is several times faster than a[idx]
            return a if every else a.take(idx, axis=0)

        uid_h = pick(uid)
        rng_m = pick(hits.distance)
        if s.range_noise > 0:
            rng_m = rng_m + self.rng.normal(0.0, s.range_noise, len(rng_m))
        if s.deskew:
            xyz = pick(self.dirs_flat) * rng_m[:, None]
            col = pick(self.column)
            world_pts = np.matmul(poses[col, :3, :3], xyz[:, :, None])[:, :, 0] + poses[col, :3, 3]
            r0 = poses[0, :3, :3]
            xyz = ((world_pts - poses[0, :3, 3]) @ r0).astype(np.float32)
        else:
            xyz = pick(self.dirs_flat32) * rng_m.astype(np.float32)[:, None]
        n_h, d_h = pick(normal), pick(dirs_w)
        cos_inc = np.abs(n_h[:, 0] * d_h[:, 0] + n_h[:, 1] * d_h[:, 1] + n_h[:, 2] * d_h[:, 2])
        if uid_h.size and uid_h.max() >= len(self.inst_lut):  # bodies added after the world was built
            self.inst_lut, self.cat_lut, self.refl_lut = label_tables(self.world, int(uid_h.max()) + 1)
        intensity = self.refl_lut.take(uid_h) * cos_inc
        instance = self.inst_lut.take(uid_h)
        semantic = self.cat_lut.take(uid_h)
        scan = LidarScan(
            sensor=s.name,
            index=self.count,
            capture_time=t,
            delivery_time=t + s.latency,
            world_from_sensor=poses[0].copy(),
            xyz=xyz,
            range=rng_m.astype(np.float32),
            intensity=intensity.astype(np.float32),
            ring=self.ring.copy() if every else pick(self.ring),
            column=self.column.copy() if every else pick(self.column),
            time=self.ray_time.copy() if every else pick(self.ray_time),
            instance=instance,
            semantic=semantic,
            deskewed=s.deskew,
        )
        self.count += 1
        return scan


__all__ = ["MAX_BATCH", "Lidar", "cast_rays", "ray_pattern"]
