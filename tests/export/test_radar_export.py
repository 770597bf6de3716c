"""Radar scans reach MCAP (Foxglove PointCloud, decoded with protobuf from the file's own schema) and raw."""

from __future__ import annotations

import numpy as np
import pytest

import simgen

SCENE = """
version: 1
name: radar_export
seed: 3
episodes: 1
frames: 3
classes: [car]
world: {gravity: [0, 0, 0], settle_time: 0.1, frame_rate: 10}
objects:
  - {name: car, type: box, class: car, size: [4, 1.8, 1.4], position: [12, 1, 0.7], mass: 0,
     behavior: {type: waypoints, points: [[12, 1, 0.7], [2, 1, 0.7]], speed: 6}}
cameras:
  - {name: cam, width: 64, height: 48, fov_y: 60, position: [0, 0, 1], look_at: [5, 0, 0.5]}
sensors:
  - {name: front, type: radar, rate: 20, horizontal_fov: 40, vertical_fov: 10, ray_resolution: 0.5,
     position: [0, 0, 0.7]}
"""


def _decode(schema, data):
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    pool = descriptor_pool.DescriptorPool()
    for fd in descriptor_pb2.FileDescriptorSet.FromString(schema.data).file:
        pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(schema.name)).FromString(data)


def test_radar_detections_in_mcap_match_the_raw_stream(tmp_path):
    from mcap.reader import make_reader

    out = tmp_path / "ds"
    simgen.render(simgen.loads(SCENE), out, renderer="tiny", formats=["mcap"], progress=False)
    raw = np.load(out / "raw/sensors/e000000/radar_front.npz")
    (path,) = list((out / "mcap").rglob("*.mcap"))
    with open(path, "rb") as stream:
        msgs = [(s, m) for s, _, m in make_reader(stream).iter_messages(topics=["/front/detections"])]
    # 20 Hz over three 10 Hz frames (0.1, 0.2, 0.3 s): MCAP has every scan up to the last frame, once.
    assert len(raw["scan_index"]) == 6
    assert len(msgs) == 5
    offsets = raw["detection_offsets"]
    for k, (schema, m) in enumerate(msgs):
        assert schema.name == "foxglove.PointCloud"
        cloud = _decode(schema, m.data)
        assert m.log_time == int(round(raw["capture_time"][k] * 1e9))
        fields = {f.name: f.offset for f in cloud.fields}
        assert set(fields) == {"x", "y", "z", "velocity", "rcs", "range", "instance", "class"}
        buf = np.frombuffer(cloud.data, dtype=np.uint8).reshape(-1, cloud.point_stride)
        a, b = offsets[k], offsets[k + 1]
        assert len(buf) == b - a > 0

        def col(name, dtype, buf=buf, fields=fields):
            o = fields[name]
            return buf[:, o : o + 4].copy().view(dtype).reshape(-1)

        assert np.array_equal(col("velocity", "<f4"), raw["velocity"][a:b])
        assert np.array_equal(col("rcs", "<f4"), raw["rcs"][a:b])
        assert np.array_equal(col("x", "<f4"), raw["xyz"][a:b, 0])
        assert np.array_equal(col("instance", "<i4"), raw["instance"][a:b])
        assert np.all(col("class", "<i4")[col("instance", "<i4") == 1] == 1)
        car = raw["instance"][a:b] == 1
        # The car is a kinematic actor driving at 6 m/s towards the radar (velocity from its poses).
        assert car.any() and np.all(raw["velocity"][a:b][car] < -4) and np.all(raw["velocity"][a:b][car] > -6.01)
        pose = cloud.pose.position
        assert (pose.x, pose.y, pose.z) == pytest.approx((0.0, 0.0, 0.7))


def test_radar_at_the_physics_rate_still_sees_kinematic_velocities(tmp_path):
    text = SCENE.replace("frame_rate: 10}", "frame_rate: 10, time_step: 0.005}").replace("rate: 20,", "rate: 200,")
    out = tmp_path / "ds"
    simgen.render(simgen.loads(text), out, renderer="tiny", formats=["coco"], progress=False)
    raw = np.load(out / "raw/sensors/e000000/radar_front.npz")
    assert len(raw["scan_index"]) == 60  # every physics tick of the 0.3 s window
    offsets = raw["detection_offsets"]
    for k in range(len(raw["scan_index"])):
        a, b = offsets[k], offsets[k + 1]
        car = raw["instance"][a:b] == 1
        assert car.any() and np.all(raw["velocity"][a:b][car] < -4), k
