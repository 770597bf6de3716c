"""MCAP: one ``mcap/<split>/e<episode>.mcap`` per episode, Foxglove schemas, opens in Foxglove.

Messages are Foxglove protobuf schemas (``foxglove-sdk``'s message classes) written with the
official ``mcap`` writer (chunked, LZ4, CRCs on chunks and data). Log and publish times are the
simulated time in nanoseconds, so files are byte-identical between runs. Topics, per camera
``<cam>``:

- ``/<cam>/image`` CompressedImage (PNG), ``/<cam>/depth`` CompressedImage (16-bit PNG, mm),
  ``/<cam>/calibration`` CameraCalibration (K, P and the lens: ``plumb_bob`` with D = [k1, k2,
  p1, p2, k3], all zero for an undistorted camera, or ``kannala_brandt`` with D = [k1, k2, k3, k4]
  for a fisheye),
- ``/<cam>/annotations`` ImageAnnotations: visible 2D boxes (line loops) and class texts, plus a
  ``faults: ...`` text (names and values of :func:`simgen.export.encode.fault_flags`) on frames
  a camera fault touched,
- ``/<cam>/boxes`` SceneUpdate: labeled objects' 3D boxes (CubePrimitive, world frame),
- ``/tf`` FrameTransform: world -> camera and world -> each object,
- ``/<lidar>/points`` PointCloud (x, y, z, reflectance float32, instance int32) when present,
- every other sensor record the frame carries (``Frame.sensor_records``) on the topics its
  sensor type's ``mcap`` encoding gives, stamped at its capture time, once per episode: e.g.
  ``/<radar>/detections`` PointCloud per radar scan (x, y, z, velocity, rcs, range float32,
  instance int32, class int32; velocity is the radial velocity in m/s, positive moving apart;
  rcs the RCS proxy in m^2). A sensor type without an encoding gets a one-line notice per
  process (its records stay in ``raw/sensors/``), never silence.

A worker keeps the episode's writer open across frames (a temp file) and renames it into place
in ``end_episode``; ``finish`` checks that every episode's file exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simgen.core.fileio import AtomicFile
from simgen.core.foxglove import nanoseconds, point_cloud, quaternion, vector
from simgen.core.foxglove import pose as _pose
from simgen.core.foxglove import stamp as _stamp
from simgen.core.notices import notice
from simgen.export.base import Exporter, Record, register_exporter
from simgen.export.encode import depth_png, encoded_rgb, fault_flags
from simgen.frame import Frame


def _messages() -> Any:
    import foxglove.messages as fm

    return fm


def _lens(cam: Any) -> tuple[str, list[float]]:
    """Foxglove's (distortion_model, D) of a camera: plumb_bob (5 coefficients) or kannala_brandt (4)."""
    if cam.distortion is None:
        return "plumb_bob", [0.0] * 5
    name = "kannala_brandt" if cam.distortion_model == "fisheye" else "plumb_bob"
    return name, [float(v) for v in cam.distortion]


class _EpisodeFile:
    """An open MCAP writer for one episode, with schema and channel ids by topic."""

    def __init__(self, final: Path) -> None:
        from mcap.writer import CompressionType, Writer

        self.final = final
        self.file = AtomicFile(final)
        self.writer = Writer(self.file.stream, compression=CompressionType.LZ4, enable_data_crcs=True)
        self.writer.start(profile="", library="simgen")
        self.schemas: dict[str, int] = {}
        self.channels: dict[str, int] = {}
        self.count = 0
        self.sequence = 0

    def write(self, topic: str, msg: Any, t_ns: int) -> None:
        schema = type(msg).get_schema()
        if schema.name not in self.schemas:
            self.schemas[schema.name] = self.writer.register_schema(schema.name, schema.encoding, bytes(schema.data))
        if topic not in self.channels:
            self.channels[topic] = self.writer.register_channel(topic, "protobuf", self.schemas[schema.name])
        self.sequence += 1
        self.writer.add_message(self.channels[topic], t_ns, msg.encode(), t_ns, sequence=self.sequence)
        self.count += 1

    def close(self) -> None:
        self.writer.finish()
        self.file.commit()

    def abort(self) -> None:
        self.file.abort()


@register_exporter
class McapExporter(Exporter):
    """One MCAP recording per episode with every stream on its own topic."""

    name = "mcap"
    summary = "MCAP per episode: images, depth, calibration, 2D/3D boxes, TF (Foxglove schemas)"

    def __init__(self, info: Any) -> None:
        super().__init__(info)
        self.open: dict[int, _EpisodeFile] = {}
        self.lidar_written: set[tuple[int, str, int]] = set()
        self.records_written: set[tuple[int, str, int]] = set()
        self.ticks: set[tuple[int, int]] = set()

    def path(self, split: str, episode: int) -> Path:
        """Final path of an episode's recording."""
        return self.root / split / f"e{episode:06d}.mcap"

    def add(self, frame: Frame) -> Record:
        """Append the frame's messages to its episode's recording, one topic after the other."""
        fm = _messages()
        f = self.open.get(frame.episode)
        if f is None:
            f = self.open[frame.episode] = _EpisodeFile(self.path(frame.split, frame.episode))
        before = f.count
        t_ns = int(round(frame.time * 1e9))
        ts = _stamp(fm, t_ns)
        c = frame.camera.name
        f.write(f"/{c}/image", _image(fm, ts, frame), t_ns)
        f.write(f"/{c}/depth", _depth(fm, ts, frame), t_ns)
        f.write(f"/{c}/calibration", _calibration(fm, ts, frame), t_ns)
        f.write("/tf", _transform(fm, ts, c, frame.camera.world_from_camera), t_ns)
        f.write(f"/{c}/annotations", _annotations(fm, ts, frame), t_ns)
        f.write(f"/{c}/boxes", _boxes(fm, ts, frame), t_ns)
        # Object poses are the same for every camera of a tick: write them once per tick.
        tick = (frame.episode, t_ns)
        if tick not in self.ticks:
            for tf in _object_transforms(fm, ts, frame):
                f.write("/tf", tf, t_ns)
        self.ticks.add(tick)
        lidar = frame.lidar
        if lidar is not None and (frame.episode, lidar.name, t_ns) not in self.lidar_written:
            self.lidar_written.add((frame.episode, lidar.name, t_ns))
            f.write(f"/{lidar.name}/points", _lidar_cloud(fm, ts, lidar), t_ns)
        for record in frame.sensor_records:
            self._record(f, fm, frame.episode, record)
        return {"split": frame.split, "episode": frame.episode, "messages": f.count - before}

    def _record(self, f: _EpisodeFile, fm: Any, episode: int, record: Any) -> None:
        """Write one sensor record once per episode, through its sensor type's MCAP encoding."""
        from simgen.sensors.registry import type_of_record

        kind = type_of_record(record)
        if kind is None:
            _not_written(type(record).__name__, "it belongs to no registered sensor type")
            return
        if kind.mcap is None:
            if kind.on_frame is None:  # on_frame types ride on the frame (Frame.lidar), written above
                _not_written(kind.name, kind.mcap_note)
            return
        t_ns = nanoseconds(record.capture_time)
        if (episode, record.sensor, t_ns) in self.records_written:
            return
        self.records_written.add((episode, record.sensor, t_ns))
        for topic, message in kind.mcap(fm, record):
            f.write(topic, message, t_ns)

    def end_episode(self, episode: int) -> None:
        """Finish and rename the episode's recording."""
        f = self.open.pop(episode, None)
        if f is not None:
            f.close()

    def abort(self, episode: int) -> None:
        """Drop the episode's unfinished recording (its temporary file goes)."""
        f = self.open.pop(episode, None)
        if f is not None:
            f.abort()

    def finish(self, records: list[Record]) -> None:
        """Check every episode's recording is in place."""
        for split, episode in sorted({(r["split"], r["episode"]) for r in records}):
            if not self.path(split, episode).exists():
                raise FileNotFoundError(f"MCAP recording of episode {episode} is missing: {self.path(split, episode)}")


def _image(fm: Any, ts: Any, frame: Frame) -> Any:
    """``/<cam>/image``: the RGB image as PNG."""
    return fm.CompressedImage(timestamp=ts, frame_id=frame.camera.name, data=encoded_rgb(frame, "png"), format="png")


def _depth(fm: Any, ts: Any, frame: Frame) -> Any:
    """``/<cam>/depth``: depth in millimetres as a 16-bit PNG."""
    return fm.CompressedImage(timestamp=ts, frame_id=frame.camera.name, data=depth_png(frame), format="png")


def _calibration(fm: Any, ts: Any, frame: Frame) -> Any:
    """``/<cam>/calibration``: K, P (no rectification) and the lens model with its coefficients."""
    cam = frame.camera
    h, w = frame.instance.shape
    k = [float(v) for v in cam.K.ravel()]
    model, dist = _lens(cam)
    p = [k[0], k[1], k[2], 0.0, k[3], k[4], k[5], 0.0, k[6], k[7], k[8], 0.0]
    return fm.CameraCalibration(
        timestamp=ts,
        frame_id=cam.name,
        width=w,
        height=h,
        distortion_model=model,
        D=dist,
        K=k,
        R=[1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0],
        P=p,
    )


def _transform(fm: Any, ts: Any, child: str, world_from_child: Any) -> Any:
    """``/tf``: world -> ``child`` from a 4x4 pose matrix."""
    return fm.FrameTransform(
        timestamp=ts,
        parent_frame_id="world",
        child_frame_id=child,
        translation=vector(fm, world_from_child[:3, 3]),
        rotation=quaternion(fm, world_from_child[:3, :3]),
    )


def _annotations(fm: Any, ts: Any, frame: Frame) -> Any:
    """``/<cam>/annotations``: each label's 2D box as a line loop with its class text, and the faults text."""
    points, texts = [], []
    for lab in frame.labels:
        x, y, bw, bh = lab.bbox
        corners = [
            fm.Point2(x=x, y=y),
            fm.Point2(x=x + bw, y=y),
            fm.Point2(x=x + bw, y=y + bh),
            fm.Point2(x=x, y=y + bh),
        ]
        color = fm.Color(r=1.0, g=0.3 if lab.ignore else 0.8, b=0.1, a=1.0)
        points.append(
            fm.PointsAnnotation(
                timestamp=ts, type=fm.PointsAnnotationType.LineLoop, points=corners, outline_color=color, thickness=1.0
            )
        )
        texts.append(
            fm.TextAnnotation(
                timestamp=ts,
                position=fm.Point2(x=x, y=y),
                text=f"{lab.class_name} #{lab.instance_id}",
                font_size=10.0,
                text_color=color,
            )
        )
    faults = fault_flags(frame)
    if faults:
        texts.append(_faults_text(fm, ts, faults))
    return fm.ImageAnnotations(points=points, texts=texts)


def _faults_text(fm: Any, ts: Any, faults: dict[str, Any]) -> Any:
    """The faults a frame shows, in the image panel, e.g. ``faults: camera_freeze frozen_from=3``."""
    detail = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in faults.items() if k != "faults")
    return fm.TextAnnotation(
        timestamp=ts,
        position=fm.Point2(x=4.0, y=4.0),
        text=f"faults: {' '.join(faults['faults'])} {detail}".strip(),
        font_size=12.0,
        text_color=fm.Color(r=1.0, g=0.1, b=0.1, a=1.0),
        background_color=fm.Color(r=0.0, g=0.0, b=0.0, a=0.6),
    )


def _boxes(fm: Any, ts: Any, frame: Frame) -> Any:
    """``/<cam>/boxes``: the labeled objects' 3D boxes in the world frame."""
    entities = []
    for lab in frame.labels:
        if lab.center_world is None or lab.R_world is None or lab.box_size is None:
            continue
        sx, sy, sz = lab.box_size
        cube = fm.CubePrimitive(
            pose=_pose(fm, lab.center_world, lab.R_world),
            size=fm.Vector3(x=sx, y=sy, z=sz),
            color=fm.Color(r=0.1, g=0.8, b=0.3, a=0.4),
        )
        entities.append(
            fm.SceneEntity(timestamp=ts, frame_id="world", id=f"{lab.object_name}", frame_locked=False, cubes=[cube])
        )
    return fm.SceneUpdate(entities=entities)


def _object_transforms(fm: Any, ts: Any, frame: Frame) -> list[Any]:
    """``/tf``: world -> each posed object, by instance id."""
    transforms = []
    for iid in sorted(frame.poses):
        pos, quat = frame.poses[iid]
        name = next((o.name for o in frame.objects if o.instance_id == iid), str(iid))
        transforms.append(
            fm.FrameTransform(
                timestamp=ts,
                parent_frame_id="world",
                child_frame_id=name,
                translation=fm.Vector3(x=pos[0], y=pos[1], z=pos[2]),
                rotation=fm.Quaternion(x=quat[0], y=quat[1], z=quat[2], w=quat[3]),
            )
        )
    return transforms


def _lidar_cloud(fm: Any, ts: Any, lidar: Any) -> Any:
    """``/<lidar>/points``: x, y, z, reflectance (float32) and instance (int32) per point."""
    pts = lidar.points
    columns = [("x", pts[:, 0]), ("y", pts[:, 1]), ("z", pts[:, 2]), ("reflectance", pts[:, 3])]
    return point_cloud(fm, ts, lidar.world_from_lidar, columns, [("instance", lidar.instance)])


_NOTICED: set[str] = set()


def _not_written(kind: str, note: str | None) -> None:
    """Say once per process that records of sensor type ``kind`` have no MCAP encoding, and where they are."""
    if kind in _NOTICED:
        return
    _NOTICED.add(kind)
    where = note or "its records are in raw/sensors/ (stream NPZ)"
    notice(f"mcap: sensor type '{kind}' has no MCAP encoding; {where}", kind="mcap_sensor_not_written")
