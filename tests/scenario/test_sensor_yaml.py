"""Sensor sections of scenario YAML validate like the rest: unknown keys, did-you-mean, locations."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

import simgen
from simgen.errors import ScenarioError
from simgen.scenario.sampling import sample

BASE = """
version: 1
name: s
classes: [crate]
objects:
  - {name: crate, type: box, class: crate, size: [1, 1, 1]}
cameras:
  - name: cam
    position: [3, 0, 1]
    look_at: [0, 0, 0]
CAMERA_EXTRA
sensors:
  - name: velo
    type: lidar
    SENSOR_EXTRA
"""


def load(camera_extra: str = "", sensor_extra: str = "channels: 16"):
    text = BASE.replace("CAMERA_EXTRA", camera_extra).replace("SENSOR_EXTRA", sensor_extra)
    return simgen.loads(textwrap.dedent(text), file="s.yaml")


def error(**kw) -> str:
    with pytest.raises(ScenarioError) as info:
        load(**kw)
    return str(info.value)


def test_unknown_sensor_key_has_location_path_and_suggestion():
    msg = error(sensor_extra="chanels: 16")
    assert msg == "s.yaml:15:5: sensors[0].chanels: unknown key 'chanels' (did you mean 'channels'?)"


def test_unknown_sensor_type_suggests_the_closest():
    text = textwrap.dedent(BASE.replace("CAMERA_EXTRA", "").replace("type: lidar", "type: lidr"))
    with pytest.raises(ScenarioError) as info:
        simgen.loads(text.replace("SENSOR_EXTRA", ""), file="s.yaml")
    msg = str(info.value)
    expected = "sensors[0].type: unknown type 'lidr'; expected one of lidar, imu, gnss, radar (did you mean 'lidar'?)"
    assert expected in msg


def test_mount_on_unknown_instance_suggests_one():
    msg = error(sensor_extra="mount: {body: crat_0}")
    assert "sensors[0].mount.body: no object instance named 'crat_0'" in msg
    assert "did you mean 'crate_0'?" in msg
    msg = error(camera_extra="    mount: {body: crate}")
    assert "cameras[0].mount.body" in msg


def test_camera_output_names_are_checked():
    msg = error(camera_extra="    outputs: [rgb, normal]")
    assert msg.startswith("s.yaml:11:20: cameras[0].outputs[1]: input should be 'rgb', 'depth'")
    assert msg.endswith("(did you mean 'normals'?)")


def test_camera_distortion_keys_and_lidar_cross_checks():
    assert "did you mean 'k1'?" in error(camera_extra="    distortion: {k_1: 0.1}")
    assert "sensors[0].vertical_fov: lowest elevation 10 is above highest -10" in error(
        sensor_extra="vertical_fov: [10, -10]"
    )
    assert "sensors[0].min_range" in error(sensor_extra="min_range: 200")
    assert "sensors[0].dropout" in error(sensor_extra="dropout: 1.5")


def test_sensor_names_must_be_unique_across_cameras():
    text = textwrap.dedent(BASE.replace("CAMERA_EXTRA", "").replace("name: velo", "name: cam"))
    with pytest.raises(ScenarioError, match=r"sensors\[0\]\.name: duplicate sensor name 'cam'"):
        simgen.loads(text.replace("SENSOR_EXTRA", ""), file="s.yaml")


def test_surround_and_stereo_rigs_expand():
    sc = load(camera_extra="    surround: 4")
    cams = sample(sc, 0).cameras
    assert [c.name for c in cams] == ["cam_0", "cam_1", "cam_2", "cam_3"]
    for k, c in enumerate(cams[1:], start=1):
        a = math.radians(90 * k)
        rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
        assert np.allclose(c.world_from_camera[:3, :3], rz @ cams[0].world_from_camera[:3, :3])
        assert np.allclose(c.world_from_camera[:3, 3], rz @ cams[0].world_from_camera[:3, 3])
    left, right = sample(load(camera_extra="    stereo: {baseline: 0.3}"), 0).cameras
    assert np.allclose(
        right.world_from_camera[:3, 3] - left.world_from_camera[:3, 3], 0.3 * left.world_from_camera[:3, 0]
    )
    # Each camera knows where its partner is along its own +x (KITTI's P3 baseline term).
    assert (left.stereo_baseline, right.stereo_baseline, cams[0].stereo_baseline) == (0.3, -0.3, None)


def test_mounted_camera_pose_is_relative_to_its_body():
    sc = load(camera_extra="    mount: {body: crate_0}")
    cam = sample(sc, 0).cameras[0]
    assert cam.mount == "crate_0"
    assert np.allclose(cam.mount_from_camera[:3, 3], [3, 0, 1])
    assert np.allclose(cam.world_from_camera[:3, 3], [3, 0, 1])  # the crate starts at the origin


def test_schema_lists_sensor_types():
    from simgen.scenario.schema import scenario_json_schema

    schema = scenario_json_schema()
    assert {"Lidar", "Imu", "Gnss"} <= set(schema["$defs"])
    assert "sensors" in schema["properties"]
