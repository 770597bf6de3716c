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

import math

import numpy as np

from simgen.sensors.geometry import body_uid, world_from_mount
from simgen.sensors.lidar.model import LidarScan, LidarSpec
from simgen.sensors.lidar_echoes import beam_rays, echo_points
from simgen.sensors.lidar_kernels import LabelTables, RayTables, assemble, world_rays
from simgen.sensors.raycast import MAX_BATCH, cast_rays, label_tables, make_raycaster
from simgen.sensors.registry import Sensor, WorldView, sensor_rng


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


class Lidar(Sensor[LidarSpec, LidarScan]):
    """Spinning or solid-state LiDAR on a ray casting backend (``spec.backend``)."""

    def __init__(self, spec: LidarSpec, world: WorldView, rng: np.random.Generator) -> None:
        super().__init__(spec, world, rng)
        dirs, ring, col = ray_pattern(spec.elevations_deg, spec.azimuths_deg)
        self.dirs = dirs  # (C, R, 3) float64
        cols = len(spec.azimuths_deg)
        self.column_time = np.arange(cols) / cols / spec.rate
        column = col.reshape(-1).astype(np.uint32)
        flat = np.ascontiguousarray(dirs.reshape(-1, 3))
        self.beams = RayTables(
            dirs=flat.astype(np.float32),  # world-frame rays are cast in float32 (Embree's precision)
            dirs64=flat,
            ring=ring.reshape(-1).astype(np.uint16),
            column=column,
            time=self.column_time[column].astype(np.float32),  # (N,) seconds after capture
        )
        # With beam divergence every beam is cast as beam_samples rays (lidar_echoes), else as its axis.
        self.samples = spec.beam_samples if spec.beam_divergence > 0 else 1
        self.rays = self.beams
        if self.samples > 1:
            fan = beam_rays(flat, spec.beam_divergence, self.samples)
            self.rays = RayTables(
                dirs=fan.astype(np.float32),
                dirs64=fan,
                ring=np.repeat(self.beams.ring, self.samples),
                column=np.repeat(column, self.samples),
                time=np.repeat(self.beams.time, self.samples),
            )
        self.labels = LabelTables(*label_tables(world))
        self.mount_uid = body_uid(world, spec.mount) if spec.mount is not None else -2
        self.fault_rng = sensor_rng(world.spec.seed, f"{spec.name}.faults")
        self.caster = make_raycaster(getattr(spec, "backend", "bullet"), world, num_threads=spec.num_threads)
        # The body the sensor rides on blocks the same rays on every sweep: Embree casts it once, in
        # the sensor frame, and leaves it out of the scene (one cast per sweep, not two).
        self.far: float | np.ndarray = spec.max_range
        self._rays_at: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (pose, starts, dirs) last cast
        if self.mount_uid >= 0 and hasattr(self.caster, "detach"):
            ws = world_from_mount(world, spec.mount) @ spec.mount_from_sensor
            limit = self.caster.detach(self.mount_uid, ws, self.rays.dirs64, spec.min_range, spec.max_range)
            if limit is not None:
                self.far = limit

    def sensor_poses(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """world_from_sensor rotation (P, 3, 3) and origin (P, 3) of the sweep, and whether they differ by column.

        P = 1 (one pose) for a sensor at rest or without motion distortion, else one per column
        at its firing time.
        """
        s = self.spec
        wm = world_from_mount(self.world, s.mount)
        ws0 = wm @ s.mount_from_sensor
        if s.motion_distortion and s.mount is not None:
            lin, ang = self.world.body_velocity(self.mount_uid)
            sweep = 1.0 / s.rate
            lever = s.max_range + math.hypot(*s.mount_from_sensor[:3, 3])
            # Motion that shifts no ray by 10 microns over the sweep (float32 resolution at 100 m is
            # 8 microns; a body at rest jitters at about 1e-5 m/s) is ignored: the rays then share
            # one origin, which is much cheaper to cast.
            if (math.hypot(*lin) + math.hypot(*ang) * lever) * sweep >= MIN_SKEW:
                v, w = np.asarray(lin, dtype=float), np.asarray(ang, dtype=float)
                # The mount turns about one fixed axis k at |w| over the sweep, so by Rodrigues
                # rot(tau) = I + sin(|w| tau) K + (1 - cos(|w| tau)) K^2, K = [k]x; folding the
                # mount pose and the sensor offset into the three terms gives every column's
                # pose from a few (C, 9) and (C, 3) multiply-adds, written in place.
                tau = self.column_time
                speed = float(np.linalg.norm(w))
                k = w / speed if speed > 0 else np.zeros(3)
                kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
                a = wm[:3, :3] @ s.mount_from_sensor[:3, :3]  # world_from_sensor rotation at tau = 0
                b = wm[:3, :3] @ s.mount_from_sensor[:3, 3]  # sensor origin relative to the mount's
                sin, vers = np.sin(speed * tau)[:, None], (1.0 - np.cos(speed * tau))[:, None]
                rot = sin * (kx @ a).reshape(1, 9)
                rot += vers * (kx @ kx @ a).reshape(1, 9)
                rot += a.reshape(1, 9)
                org = b + sin * (kx @ b)
                org += vers * (kx @ kx @ b)
                org += wm[:3, 3]
                org += v[None, :] * tau[:, None]
                return rot.reshape(-1, 3, 3), org, True
        return ws0[None, :3, :3], ws0[None, :3, 3], False

    def capture(self, tick: int) -> LidarScan:
        """Cast one sweep from the current world state."""
        s = self.spec
        t = self.world.time
        rot, org, moving = self.sensor_poses()
        pose0 = np.eye(4)
        pose0[:3, :3], pose0[:3, 3] = rot[0], org[0]
        if moving or self._rays_at is None or not np.array_equal(self._rays_at[0], pose0):
            start, dirs_w = world_rays(self.rays.dirs, rot, org, self.rays.column, s.min_range)
            # A sensor standing still casts the very same world rays again: kept until it moves.
            self._rays_at = None if moving else (pose0, start, dirs_w)
        else:
            _, start, dirs_w = self._rays_at
        self.caster.update()
        hits = self.caster.cast(org[0], dirs_w, s.min_range, self.far, start=start)
        beams = len(self.beams.ring)  # dropouts act on whole beams
        keep = None
        if s.dropout > 0:
            keep = self.rng.random(beams) >= s.dropout
        for fault in self.world.active_faults(s.name, "lidar_dropout"):
            fraction = float(fault.params.get("fraction", 1.0))
            lost = self.fault_rng.random(beams) < fraction if fraction < 1.0 else np.ones(beams, dtype=bool)
            keep = ~lost if keep is None else keep & ~lost
        if hits.max_uid >= len(self.labels.instance):  # bodies added after the world was built
            self.labels = LabelTables(*label_tables(self.world, hits.max_uid + 1))
        deskew = (rot, org) if s.deskew and moving else None
        if self.samples > 1:
            pts, echo = echo_points(
                hits.prim, hits.t, hits.near, hits.owner, hits.normals, dirs_w, self.samples, self.beams,
                self.labels, s.returns, s.echo_separation, exclude=self.mount_uid, keep=keep,
                noise=s.range_noise, rng=self.rng, deskew=deskew,
            )  # fmt: skip
        else:
            pts = assemble(
                hits.prim, hits.t, hits.near, hits.owner, hits.normals, dirs_w, self.rays, self.labels,
                exclude=self.mount_uid, keep=keep, noise=s.range_noise, rng=self.rng, deskew=deskew,
            )  # fmt: skip
            echo = np.zeros(len(pts.range), dtype=np.uint8)
        scan = LidarScan(
            sensor=s.name,
            index=self.count,
            capture_time=t,
            delivery_time=t + s.latency,
            world_from_sensor=pose0,
            xyz=pts.xyz,
            range=pts.range,
            intensity=pts.intensity,
            ring=pts.ring,
            column=pts.column,
            time=pts.time,
            instance=pts.instance,
            semantic=pts.semantic,
            echo=echo,
            deskewed=s.deskew,
        )
        self.count += 1
        return scan


__all__ = ["MAX_BATCH", "Lidar", "cast_rays", "ray_pattern"]
