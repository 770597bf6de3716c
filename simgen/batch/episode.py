"""Run one episode on one simulation clock; each sensor fires on its own schedule.

Physics steps at ``time_step``; sensors capture at their rate and phase (see
:mod:`simgen.sensors.clock`).

Cameras yield labeled :class:`Frame` records for the image exporters, in capture order (a
forward-flow camera one capture late). Every other sensor's samples, and the ground-truth pose
of every object and sensor at every tick of the episode window, go into the optional
:class:`SensorStream` for the raw/MCAP exporters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import numpy as np

from simgen.core.transforms import pose_to_vector
from simgen.frame import Frame
from simgen.labels.instances import LabelOptions, label_frame
from simgen.randomize.pipeline import ImageEffects
from simgen.scenario.spec import EpisodeSpec
from simgen.sensors.camera.model import CameraCapture, CameraSpec
from simgen.sensors.camera.runtime import Camera
from simgen.sensors.clock import capture_ticks
from simgen.sensors.geometry import world_from_mount
from simgen.sensors.registry import Sensor, get_sensor, sensor_rng, type_of_record
from simgen.sensors.render import PHOTOREAL, attach, raster_of
from simgen.sensors.stream import PoseTrack, SensorStream
from simgen.sensors.truth import TruthReader
from simgen.sim.client import BulletClient
from simgen.sim.world import World

PRIME, CAPTURE, FLUSH = 0, 1, 2


def build_sensors(world: World, spec: EpisodeSpec, renderer: str) -> list[Sensor]:
    """Runtime sensors of the episode: cameras first (in spec order), then ``spec.sensors``."""
    sensors: list[Sensor] = [Camera(c, world, sensor_rng(spec.seed, c.name), renderer=renderer) for c in spec.cameras]
    for s in spec.sensors:
        sensors.append(get_sensor(s.type)(s, world, sensor_rng(spec.seed, s.name)))
    return sensors


def schedule(sensors: list[Sensor], spec: EpisodeSpec) -> dict[int, list[tuple[int, int]]]:
    """Tick -> [(action, sensor index)]: PRIME (tick before the first capture, or every one), CAPTURE, FLUSH."""
    events: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, s in enumerate(sensors):
        ticks = capture_ticks(spec.world, spec.frames, s.spec.rate, s.spec.phase)
        for t in (ticks if s.prime_each_capture else ticks[:1]).tolist():
            if t > 0:
                events[int(t) - 1].append((PRIME, i))
        for t in ticks.tolist():
            events[t].append((CAPTURE, i))
        tail = s.tail_tick(ticks)
        if tail is not None:
            events[tail].append((FLUSH, i))
    # Within a tick, non-camera sensors capture before cameras so a frame carries the sweep of its own tick.
    order = {i: (isinstance(s, Camera), i) for i, s in enumerate(sensors)}
    return {t: sorted(v, key=lambda e: (e[0], order[e[1]])) for t, v in sorted(events.items())}


def _sensor_pose(s: Sensor) -> np.ndarray:
    spec = s.spec
    if isinstance(s, Camera):
        return s.current().world_from_camera
    return world_from_mount(s.world, spec.mount) @ spec.mount_from_sensor


def _record_poses(track: PoseTrack, world: World, sensors: list[Sensor]) -> None:
    rows = [np.array([*pos, *orn]) for pos, orn in world.poses().values()]
    rows += [pose_to_vector(_sensor_pose(s)) for s in sensors]
    track.times.append(world.time)
    track.poses.append(np.stack(rows) if rows else np.zeros((0, 7)))


def run_episode(
    client: BulletClient, spec: EpisodeSpec, renderer: str, stream: SensorStream | None = None
) -> Iterator[Frame]:
    """Yield every camera's labeled frames in capture order; fill ``stream`` with everything else."""
    attach(client, raster_of(renderer))
    world = World(client, spec)
    if renderer in PHOTOREAL:  # one Blender scene per process, rebuilt once per episode
        from simgen.sensors.blender import RenderSettings, blender_scene

        blender_scene(renderer).build(world, RenderSettings.from_json(spec.render))
    post = FramePipeline(world, spec, raster_of(renderer))
    sensors = build_sensors(world, spec, renderer)
    events = schedule(sensors, spec)
    settle = spec.world.settle_steps
    stops = set(events)
    if stream is not None:
        last = max([*events, settle])
        stops |= set(range(settle, last + 1))
        for c in spec.cameras:
            stream.sensors[c.name] = {"type": "camera", **c.to_json()}
        for s in sensors[len(spec.cameras) :]:
            stream.sensors[s.name] = s.spec.to_json()
        names = [o.name for o in spec.objects if o.instance_id in world.uid_of] + [s.name for s in sensors]
        stream.poses = PoseTrack(names=names)
    for tick in sorted(stops):
        world.step(tick - world.steps)
        if stream is not None and stream.poses is not None and tick >= settle:
            _record_poses(stream.poses, world, sensors)
        for action, i in events.get(tick, ()):
            yield from _handle(sensors[i], action, tick, post, stream)


class FramePipeline:
    """What every camera frame goes through after rendering: ground truth, labels, image effects.

    Per-object truth (visual geometry, link poses, body boxes) is read from the world as data
    (``TruthReader``); labels (amodal silhouettes drawn from that geometry included) follow the
    scenario's filters, then lighting, haze and sensor faults touch the image (a dropped frame
    yields nothing). The newest LiDAR sweep rides along on the frame for KITTI/MCAP, and every
    other sensor record since the last delivered frame for MCAP (``Frame.sensor_records``).
    """

    def __init__(self, world: World, spec: EpisodeSpec, renderer: str) -> None:
        self.world = world
        self.options = LabelOptions.from_json(spec.labels, spec.min_visible_pixels)
        self.truth = TruthReader(world, spec)
        self.effects = ImageEffects(spec)
        self.lidar: Any = None
        self.records: list[Any] = []  # sensor records not yet carried by a delivered frame

    def __call__(self, frame: Frame) -> Frame | None:
        """Label ``frame`` and apply image effects; None when a fault drops it."""
        frame.truth = self.truth.collect(frame.poses)
        if self.lidar is not None and frame.lidar is None:
            frame.lidar = self.lidar
        if self.records and not frame.sensor_records:
            frame.sensor_records = tuple(self.records)
        label_frame(frame, self.options)
        out = self.effects(frame, self.world.light, self.world.active_faults(frame.camera.name))
        if out is not None:
            self.records.clear()
        return out


class FrameCapture:
    """One camera's whole per-frame path outside the episode loop (benchmarks): render, truth, labels, effects.

    Built once per world like :func:`run_episode` builds its sensors and pipeline, so per-episode
    set-up (reading each body's visual geometry) is not counted per frame.
    """

    def __init__(self, world: World, cam: CameraSpec, renderer: str) -> None:
        self.world = world
        self.sensor = Camera(cam, world, sensor_rng(world.spec.seed, cam.name), renderer=renderer)
        self.post = FramePipeline(world, world.spec, renderer)

    def __call__(self, index: int) -> Frame | None:
        """Render the camera now as frame ``index``; the labeled frame, or None when a fault drops it."""
        self.sensor.count = index
        frame = self.sensor.capture(self.world.steps)
        return None if frame is None else self.post(frame)


def _handle(sensor: Sensor, action: int, tick: int, post: FramePipeline, stream: SensorStream | None) -> Iterator[Any]:
    if action == PRIME:
        sensor.prime()
        return
    out = sensor.capture(tick) if action == CAPTURE else sensor.flush(tick)
    if out is None:
        return
    if isinstance(out, Frame):
        if stream is not None:
            cam = out.camera
            assert out.delivery_time is not None  # set by every camera capture
            stream.add(CameraCapture(cam.name, out.index, out.time, out.delivery_time, cam.world_from_camera, cam.K))
        delivered = post(out)
        if delivered is not None:
            yield delivered
    else:
        kind = type_of_record(out)
        if kind is not None and kind.on_frame is not None:
            post.lidar = kind.on_frame(out)  # the newest sweep rides on the frames (Frame.lidar)
        post.records.append(out)
        if stream is not None:
            stream.add(out)
