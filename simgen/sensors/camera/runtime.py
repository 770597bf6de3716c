"""Camera plugin: one ``getCameraImage`` per capture, plus the outputs the camera asks for.

- Mounted cameras follow their body: ``world_from_camera = world_from_body(t) @ mount_from_camera``
  at every capture, and the frame records that pose.
- Distorted cameras render an undistorted image of a slightly larger ideal camera and remap it
  with OpenCV (bilinear for RGB, nearest for ids, depth, normals and points), so labels come
  from the distorted masks.
- Forward flow needs the next capture's camera and object poses, so a flow camera hands each
  frame out one capture late, and the clock gives it one extra tick after its last capture.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from simgen.core.lens import lens_map, remap
from simgen.frame import Frame
from simgen.sensors.camera.model import CameraSpec
from simgen.sensors.camera.outputs import (
    forward_flow,
    normals_from_points,
    object_coordinates,
    point_map,
    world_from_instance,
)
from simgen.sensors.registry import Sensor, WorldView
from simgen.sensors.render import PHOTOREAL, raster_of, render


class Camera(Sensor[CameraSpec, Frame]):
    """A pinhole camera (optionally distorted, optionally mounted) producing :class:`Frame` records."""

    def __init__(self, spec: CameraSpec, world: WorldView, rng: np.random.Generator, renderer: str = "tiny") -> None:
        super().__init__(spec, world, rng)
        self.renderer = renderer
        self.lens = lens_map(spec) if spec.distortion is not None else None
        self.pending: tuple[Frame, np.ndarray, dict[int, np.ndarray]] | None = None
        objects = world.spec.objects
        self.cat_lut = np.zeros(max([o.instance_id for o in objects], default=0) + 1, dtype=np.uint16)
        for o in objects:
            self.cat_lut[o.instance_id] = o.category_id

    def _frame_seed(self) -> int:
        """Photoreal sampler seed of this capture, from (episode seed, camera name, frame index)."""
        import zlib

        name = zlib.crc32(self.spec.name.encode())
        seq = np.random.SeedSequence(entropy=self.world.spec.seed, spawn_key=(3, name, self.count))
        return int(seq.generate_state(1)[0] & 0x7FFFFFFF)

    def current(self) -> CameraSpec:
        """The camera spec with ``world_from_camera`` at the current tick."""
        return self.world.camera(self.spec)

    def _instance(self, body_uid: np.ndarray) -> np.ndarray:
        # uid -1 (nothing) reads the leading 0, uids past the table (bodies spawned later) the trailing 0
        lut = np.concatenate([[0], self.world.instance_of_uid, [0]]).astype(np.int32)
        return np.take(lut, body_uid + 1, mode="clip")

    def capture(self, tick: int) -> Frame | None:
        """Render now; returns this frame, or (flow cameras) the previous one with its flow."""
        cam = self.current()
        outputs = set(cam.outputs)
        ideal = (
            cam if self.lens is None else dataclasses.replace(self.lens.ideal, world_from_camera=cam.world_from_camera)
        )
        raw = render(self.world.client, ideal, raster_of(self.renderer), light=self.world.render_light())
        rgb, depth, instance = raw.rgb, raw.depth, self._instance(raw.body_uid)
        if self.renderer in PHOTOREAL:  # Blender's RGB, pixel-aligned with the raster pass's labels
            from simgen.sensors.blender import blender_scene

            rgb = blender_scene(self.renderer).render(self.world, ideal, self._frame_seed())
        needs_points = bool(outputs & {"normals", "flow", "object_coords"})
        points = point_map(depth, ideal.K) if needs_points else None
        normals = normals_from_points(points) if points is not None and "normals" in outputs else None
        if self.lens is not None:
            rgb = remap(rgb, self.lens, nearest=False)
            depth = remap(depth, self.lens, nearest=True, fill=0.0)
            instance = remap(instance, self.lens, nearest=True, fill=0.0)
            if points is not None:
                points = remap(points, self.lens, nearest=True, fill=float("nan"))
            if normals is not None:
                normals = remap(normals, self.lens, nearest=True, fill=float("nan"))
        poses = self.world.poses()
        poses_m = world_from_instance(poses)
        t = self.world.time
        frame = Frame(
            episode=self.world.spec.index,
            index=self.count,
            time=t,
            split=self.world.spec.split,
            camera=cam,
            rgb=rgb,
            depth=depth,
            instance=instance,
            semantic=np.take(self.cat_lut, instance, mode="clip"),
            objects=self.world.spec.objects,
            poses=poses,
            velocities=self.world.velocities(),
            class_names=self.world.spec.class_names,
            normals=normals,
            object_coords=(
                object_coordinates(points, instance, cam.world_from_camera, poses_m)
                if points is not None and "object_coords" in outputs
                else None
            ),
            delivery_time=t + cam.latency,
        )
        self.count += 1
        if "flow" not in outputs:
            return frame
        ready = self._finish_pending(cam.world_from_camera, poses_m)
        assert points is not None  # flow needs the point map
        self.pending = (frame, points, poses_m)
        return ready

    def _finish_pending(self, world_from_camera_t1: np.ndarray, poses_t1: dict[int, np.ndarray]) -> Frame | None:
        if self.pending is None:
            return None
        frame, points, poses_t = self.pending
        frame.flow = forward_flow(points, frame.instance, frame.camera, world_from_camera_t1, poses_t, poses_t1)
        self.pending = None
        return frame

    def tail_tick(self, ticks: np.ndarray) -> int | None:
        """One camera period after the last capture, when the camera computes forward flow."""
        if "flow" not in self.spec.outputs or len(ticks) == 0:
            return None
        period = int(ticks[1] - ticks[0]) if len(ticks) > 1 else self._period_ticks()
        return int(ticks[-1]) + max(1, period)

    def _period_ticks(self) -> int:
        w = self.world.spec.world
        if self.spec.rate is None:
            return w.steps_per_frame
        return max(1, int(round(1.0 / (self.spec.rate * w.time_step))))

    def flush(self, tick: int) -> Frame | None:
        """The last frame, its flow computed against the poses one period later."""
        return self._finish_pending(self.current().world_from_camera, world_from_instance(self.world.poses()))


__all__ = ["Camera"]
