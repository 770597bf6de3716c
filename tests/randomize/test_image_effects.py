"""Image effects: light gain and sky, depth haze (Beer-Lambert), camera faults in a rendered episode."""

from __future__ import annotations

import numpy as np
import pytest

import simgen
from simgen.randomize.faults import occlusion_alpha
from simgen.randomize.haze import apply_haze, transmittance
from simgen.randomize.lighting import apply_light, sky_mask


def test_haze_follows_beer_lambert_in_depth():
    rgb = np.full((2, 3, 3), 200, dtype=np.uint8)
    depth = np.array([[1.0, 10.0, 0.0], [5.0, 20.0, 0.5]], dtype=np.float32)
    out = apply_haze(rgb, depth, 0.1, (0.5, 0.5, 0.5))
    t = np.exp(-0.1 * depth)
    t[0, 2] = 0.0  # no surface: pure haze
    expected = np.rint(200 * t + 127.5 * (1 - t))
    assert out[:, :, 0] == pytest.approx(expected, abs=0.51)
    assert transmittance(depth, 0.0)[0, 0] == 1.0
    assert np.all(np.diff(out[0, :2, 0].astype(int)) < 0)  # farther is closer to the haze grey


def test_light_gain_and_sky():
    rgb = np.full((1, 2, 3), 100, dtype=np.uint8)
    depth = np.array([[2.0, 0.0]], dtype=np.float32)
    light = {"intensity": 0.5, "color": (1.0, 0.5, 0.2)}
    out = apply_light(rgb, depth <= 0, light, (0.1, 0.2, 0.3))
    assert out[0, 0].tolist() == [50, 25, 10]
    assert out[0, 1].tolist() == [26, 51, 76]
    same = apply_light(rgb, depth <= 0, {"intensity": 1.0, "color": (1, 1, 1)}, None)
    assert sky_mask(np.array([0.0, 5.0, 49.9999], dtype=np.float32), 50.0).tolist() == [True, False, True]
    assert np.array_equal(same, rgb)


def test_occlusion_blob_covers_about_its_coverage():
    rng = np.random.default_rng(0)
    fractions = []
    for _ in range(20):
        alpha = occlusion_alpha(240, 320, 0.1, rng)
        fractions.append((alpha >= 0.5).mean())
    # blobs near a border are clipped; blobs fully inside cover the requested share
    assert max(fractions) == pytest.approx(0.1, rel=0.05)
    assert all(0 < f <= 0.105 for f in fractions)


SCENARIO = """
name: faults
frames: 9
world: {settle_time: 0, frame_rate: 10, gravity: [0, 0, 0]}
objects:
  - {name: car, class: car, type: box, size: [0.8, 0.8, 0.8],
     behavior: {type: waypoints, points: [[-1.5, 0, 0.4], [1.5, 0, 0.4]], speed: 3}}
labels: {min_visible_pixels: 4}
cameras:
  - {name: cam, width: 48, height: 36, fov_y: 70, position: [0, -4, 2], look_at: [0, 0, 0.2]}
events:
  - {name: freeze, trigger: {type: at, at: 0.15}, actions: [{type: camera_freeze, camera: cam, duration: 0.3}]}
  - {name: drop, trigger: {type: at, at: 0.55}, actions: [{type: frame_drop, duration: 0.1}]}
  - name: dirt
    trigger: {type: at, at: 0.65}
    actions: [{type: lens_occlusion, camera: cam, duration: 0.1, coverage: 0.2},
              {type: timestamp_jitter, duration: 0.2, std: 0.01}, {type: lidar_dropout, duration: 1}]
sensors:  # the LiDAR fault must find a LiDAR; it leaves the camera's frames alone
  - {name: roof, type: lidar, channels: 2, horizontal_resolution: 10, position: [0, -4, 2]}
"""


@pytest.fixture(scope="module")
def frames():
    from simgen.batch.episode import run_episode
    from simgen.sim.client import BulletClient

    spec = simgen.sample(simgen.loads(SCENARIO), 0)
    with BulletClient() as client:
        out = list(run_episode(client, spec, "tiny"))
    return spec, out


def test_freeze_repeats_image_and_labels_and_is_flagged(frames):
    spec, out = frames
    by_index = {f.index: f for f in out}
    live = by_index[1]
    for i in (2, 3, 4):
        f = by_index[i]
        assert np.array_equal(f.rgb, live.rgb)
        assert [lab.bbox for lab in f.labels] == [lab.bbox for lab in live.labels]
        assert f.flags["faults"] == ["camera_freeze"] and f.flags["frozen_from"] == 1
        assert f.time == pytest.approx(i / 10)
    assert not np.array_equal(by_index[5].rgb, live.rgb)  # live again after the window
    assert "faults" not in by_index[5].flags
    # the car really moved: the live frames' boxes differ
    assert by_index[5].labels[0].bbox != live.labels[0].bbox


def test_drop_removes_the_frame_and_occlusion_darkens_a_blob(frames):
    spec, out = frames
    assert [f.index for f in out] == [0, 1, 2, 3, 4, 5, 7, 8]
    f7 = next(f for f in out if f.index == 7)
    assert set(f7.flags["faults"]) == {"lens_occlusion", "timestamp_jitter"}
    assert 0 < f7.flags["occluded_fraction"] <= 0.21
    assert f7.flags["true_time"] == pytest.approx(0.7)
    assert f7.time != pytest.approx(0.7, abs=1e-9)
    assert len(f7.labels) == 1  # labels keep the true scene under the blob


def test_fired_events_are_recorded_with_times(frames):
    spec, _ = frames
    record = spec.to_json()["events_fired"]
    assert [(e["event"], round(e["time"], 6)) for e in record] == [("freeze", 0.15), ("drop", 0.55), ("dirt", 0.65)]
    assert record[2]["actions"] == ["lens_occlusion", "timestamp_jitter", "lidar_dropout"]


def test_rerun_is_identical_including_fault_draws(frames):
    from simgen.batch.episode import run_episode
    from simgen.sim.client import BulletClient

    spec, out = frames
    again = simgen.sample(simgen.loads(SCENARIO), 0)
    with BulletClient() as client:
        out2 = list(run_episode(client, again, "tiny"))
    assert [f.index for f in out2] == [f.index for f in out]
    for a, b in zip(out, out2, strict=True):
        assert a.time == b.time and a.flags == b.flags
        assert a.rgb.tobytes() == b.rgb.tobytes()
    assert again.event_log == spec.event_log


HAZE_SCENE = """
name: haze
world:
  settle_time: 0
  ground: {{type: plane, color: [0.6, 0.4, 0.2]}}
  haze: {{density: {k}, color: [0.8, 0.8, 0.9]}}
cameras:
  - {{name: down, width: 40, height: 30, fov_y: 40, far: 20, position: [0, 0, 5], look_at: [0, 0, 0], up: [0, 1, 0]}}
"""


def test_rendered_haze_matches_beer_lambert_at_the_ground_depth():
    from simgen.batch.episode import run_episode
    from simgen.sim.client import BulletClient

    images = {}
    with BulletClient() as client:
        for k in (0, 0.2):
            spec = simgen.sample(simgen.loads(HAZE_SCENE.format(k=k)), 0)
            (frame,) = run_episode(client, spec, "tiny")
            images[k] = frame
    clear, hazy = images[0], images[0.2]
    depth = hazy.depth  # the ground plane 5 m below, seen straight down: depth 5 m on the axis
    assert depth[15, 20] == pytest.approx(5.0, abs=0.01)
    t = np.exp(-0.2 * depth)[:, :, None]
    expected = clear.rgb.astype(float) * t + np.array([0.8, 0.8, 0.9]) * 255 * (1 - t)
    assert np.abs(hazy.rgb.astype(float) - expected).max() <= 1.0
    assert np.abs(hazy.rgb.astype(float) - clear.rgb).mean() > 20  # the haze is visible
