"""One clock, many rates: schedules, capture/delivery timestamps, stream files, determinism."""

from __future__ import annotations

import io
import json
import textwrap

import numpy as np

import simgen
from simgen.batch.episode import run_episode
from simgen.scenario.sampling import sample
from simgen.scenario.spec import WorldSpec
from simgen.sensors.clock import capture_ticks, expected_frames
from simgen.sensors.stream import SensorStream


def _world(dt: float, settle: int, spf: int) -> WorldSpec:
    return WorldSpec((0, 0, -9.81), dt, 10, {"type": "none"}, settle, spf)


def test_capture_ticks_rate_phase_and_frame_rate():
    w = _world(1 / 240, 96, 30)  # 8 Hz frames
    assert capture_ticks(w, 4, None, 0.0).tolist() == [96, 126, 156, 186]
    ticks = capture_ticks(w, 4, 200.0, 0.0)
    times = ticks * w.time_step - 0.4
    assert len(ticks) == 100  # 0.5 s window at 200 Hz
    assert np.max(np.abs(times - np.arange(100) / 200)) <= w.time_step / 2 + 1e-12
    assert len(np.unique(ticks)) == len(ticks)
    shifted = capture_ticks(w, 4, 8.0, 0.05)
    assert shifted.tolist() == [108, 138, 168, 198]
    assert capture_ticks(w, 4, 8.0, 1.0).tolist() == []  # phase beyond the window


SUITE = """
version: 1
name: suite
seed: 3
frames: 4
world: {time_step: 0.001, settle_time: 0.1, frame_rate: 10}
classes: [cart, crate]
objects:
  - {name: cart, type: box, class: cart, size: [0.6, 0.4, 0.3], position: [0, 0, 0.15], mass: 10}
  - {name: crate, type: box, class: crate, size: [0.3, 0.3, 0.3], position: [1.5, 0, 0.6], mass: 1}
cameras:
  - {name: main, position: [-2, 0, 1.5], look_at: [1, 0, 0], width: 64, height: 48,
     outputs: [rgb, depth, instance, semantic, flow]}
  - {name: slow, rate: 5, phase: 0.02, latency: 0.03, position: [-2, 1, 1.5], look_at: [1, 0, 0], width: 32, height: 24}
sensors:
  - {name: velo, type: lidar, rate: 10, latency: 0.05, channels: 8, horizontal_resolution: 2,
     mount: {body: cart_0}, position: [0, 0, 0.3]}
  - {name: imu, type: imu, rate: 200, latency: 0.001, mount: {body: cart_0}, accel_noise_density: 0.01}
  - {name: gps, type: gnss, rate: 4, horizontal_noise: 0.3}
"""


def _run(client):
    spec = sample(simgen.loads(textwrap.dedent(SUITE)), 0)
    stream = SensorStream(0)
    frames = list(run_episode(client, spec, "tiny", stream))
    return spec, frames, stream


def test_mixed_rate_sensors_keep_their_own_timestamps(client):
    spec, frames, stream = _run(client)
    t0, window = 0.1, 0.4  # settle time; 4 frames at 10 Hz
    main = [f for f in frames if f.camera.name == "main"]
    slow = [f for f in frames if f.camera.name == "slow"]
    assert [f.index for f in main] == [0, 1, 2, 3]
    assert len(frames) == expected_frames(spec) == 4 + 2
    assert np.allclose([f.time for f in main], t0 + np.arange(4) / 10)
    assert all(f.flow is not None and f.flow.shape == (48, 64, 2) for f in main)
    assert np.allclose([f.time for f in slow], t0 + 0.02 + np.arange(2) / 5)
    assert np.allclose([f.delivery_time - f.time for f in slow], 0.03)
    assert all(f.labels is not None for f in frames)
    imu = stream.arrays("imu")
    assert len(imu["capture_time"]) == 80
    assert np.allclose(np.diff(imu["capture_time"]), 1 / 200)
    assert np.allclose(imu["delivery_time"] - imu["capture_time"], 0.001)
    assert np.all((imu["capture_time"] >= t0) & (imu["capture_time"] < t0 + window))
    lidar = stream.arrays("velo")
    assert np.allclose(lidar["capture_time"], t0 + np.arange(4) / 10)
    assert np.allclose(lidar["delivery_time"], lidar["capture_time"] + 0.05)
    assert lidar["point_offsets"][-1] == len(lidar["range"]) > 0
    gps = stream.arrays("gps")
    assert np.allclose(gps["capture_time"], t0 + np.arange(2) / 4)
    poses = stream.poses.arrays()
    n_ticks = len(poses["times"])
    assert n_ticks >= 400 and np.allclose(np.diff(poses["times"]), 0.001)
    assert list(poses["names"][:2]) == ["cart_0", "crate_0"] and "velo" in list(poses["names"])
    # The LiDAR's pose in the track equals its scan pose at the same tick.
    k = int(np.argmin(np.abs(poses["times"] - lidar["capture_time"][1])))
    j = list(poses["names"]).index("velo")
    assert np.allclose(poses["poses"][k, j, :3], lidar["world_from_sensor"][1][:3, 3])


def test_stream_files_are_deterministic_and_readable(client):
    _, _, a = _run(client)
    _, _, b = _run(client)
    fa, fb = a.files(), b.files()
    assert sorted(fa) == [
        "camera_main.npz",
        "camera_slow.npz",
        "gnss_gps.npz",
        "imu_imu.npz",
        "lidar_velo.npz",
        "poses.npz",
        "stream.json",
    ]
    assert all(fa[k] == fb[k] for k in fa)
    index = json.loads(fa["stream.json"])
    assert {s["name"]: s["count"] for s in index["sensors"]} == {"main": 4, "slow": 2, "velo": 4, "imu": 80, "gps": 2}
    cams = np.load(io.BytesIO(fa["camera_slow.npz"]))
    assert np.allclose(cams["delivery_time"] - cams["capture_time"], 0.03)
    assert cams["world_from_camera"].shape == (2, 4, 4)
    z = np.load(io.BytesIO(fa["imu_imu.npz"]))
    assert z["accel"].shape == (80, 3)


def test_render_writes_sensor_streams(tmp_path):
    sc = simgen.loads(textwrap.dedent(SUITE).replace("frames: 4", "frames: 2"))
    summary = simgen.render(sc, tmp_path / "out", renderer="tiny", progress=False)
    assert summary.images == 2 + 1
    folder = tmp_path / "out" / "raw" / "sensors" / "e000000"
    assert (folder / "stream.json").exists() and (folder / "lidar_velo.npz").exists()
    record = json.loads((tmp_path / "out" / ".simgen" / "episodes" / "e000000.json").read_text())
    assert "raw/sensors/e000000/imu_imu.npz" in record["sensor_stream"]
    assert (tmp_path / "out" / "coco" / "annotations" / "instances_train.json").exists()
