"""The body a camera rides on is that camera's ego: an ignore region by default, never an object.

Regression: in sensor_suite, cameras mounted on cart_0 labeled cart_0 in their own images (a
box at the camera's feet, 3D centre 0 m in front of the lens, truncated 60 %).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import simgen
from simgen.batch.episode import run_episode
from simgen.batch.runner import render_dataset
from simgen.errors import ScenarioError
from simgen.sensors.stream import SensorStream
from simgen.sim.client import BulletClient

EGO = """
name: ego
frames: 1
world: {time_step: 0.004, settle_time: 0.1, frame_rate: 10}
classes: [cart, crate]
objects:
  - {name: cart, type: box, class: cart, size: [0.8, 0.5, 0.3], position: [0, 0, 0.15], mass: 20,
     color: [0.2, 0.2, 0.25]}
  - {name: crate, type: box, class: crate, size: [0.3, 0.3, 0.3], position: [-1.6, 0, 0.15], mass: 0,
     color: [0.8, 0.4, 0.2]}
cameras:
  - name: dash                         # on the cart, looking back over its own deck at the crate
    width: 96
    height: 72
    fov_y: 80
    mount: {body: cart_0}
    position: [0.35, 0, 0.5]
    rpy: [0, 35, 180]
  - name: overview                     # fixed in the world: the cart is an object like any other here
    width: 96
    height: 72
    fov_y: 60
    position: [2.5, -2.5, 2]
    look_at: [-0.5, 0, 0]
sensors:
  - {name: velo, type: lidar, channels: 8, vertical_fov: [-60, 0], horizontal_resolution: 5,
     mount: {body: cart_0}, position: [0, 0, 0.5]}
labels: {min_visible_pixels: 4, amodal: false}
"""


def _scenario(ego: str | None = None) -> simgen.Scenario:
    text = EGO if ego is None else EGO.replace("labels: {", f"labels: {{ego: {ego}, ")
    return simgen.loads(text)


def _frames(ego: str | None = None) -> dict[str, object]:
    spec = simgen.sample(_scenario(ego), 0)
    with BulletClient() as client:
        return {f.camera.name: f for f in run_episode(client, spec, "tiny")}


def _cart(frame) -> list:
    return [lab for lab in frame.labels if lab.object_name == "cart_0"]


def test_the_ego_is_in_view_of_its_own_camera():
    """The premise: the mounted camera sees a good part of the cart it rides on, and the crate."""
    frame = _frames()["dash"]
    cart = next(o.label for o in frame.objects if o.name == "cart_0")
    crate = next(o.label for o in frame.objects if o.name == "crate_0")
    assert np.count_nonzero(frame.instance == cart) > 200
    assert np.count_nonzero(frame.instance == crate) > 20


def test_default_ego_is_an_ignore_region_without_object_fields():
    frames = _frames()
    (ego,) = _cart(frames["dash"])
    assert ego.ignore and ego.area > 200
    assert ego.R_obj_cam is None and ego.center_cam is None and ego.box_size is None
    assert [lab.object_name for lab in frames["dash"].labels if not lab.ignore] == ["crate_0"]
    (seen,) = _cart(frames["overview"])  # another camera's view: an ordinary object
    assert not seen.ignore and seen.R_obj_cam is not None


def test_exclude_drops_the_ego_entirely():
    frames = _frames("exclude")
    assert _cart(frames["dash"]) == []
    assert [lab.object_name for lab in frames["dash"].labels] == ["crate_0"]
    assert len(_cart(frames["overview"])) == 1


def test_label_keeps_the_ego_as_an_object():
    frames = _frames("label")
    (ego,) = _cart(frames["dash"])
    assert not ego.ignore and ego.R_obj_cam is not None and ego.class_name == "cart"


def test_unknown_ego_policy_is_a_located_error():
    with pytest.raises(ScenarioError) as err:
        _scenario("ignor")
    (issue,) = err.value.issues
    assert issue.path == "labels.ego" and issue.hint == "did you mean 'ignore'?"


def test_lidar_points_on_its_mount_carry_no_label():
    spec = simgen.sample(_scenario(), 0)
    stream = SensorStream(0)
    with BulletClient() as client:
        list(run_episode(client, spec, "tiny", stream))
    cart = next(o for o in spec.objects if o.name == "cart_0")
    (scan,) = stream.samples["velo"]
    assert len(scan.range) > 100 and np.any(scan.instance != 0)  # it sees the crate and the floor
    assert not np.any(scan.instance == cart.instance_id)
    assert not np.any(scan.semantic == cart.category_id)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ego") / "ds"
    formats = ["coco", "kitti", "yolo", "voc"]
    render_dataset(_scenario(), out, episodes=1, renderer="tiny", formats=formats, progress=False)
    return out


def test_coco_marks_the_ego_iscrowd_in_its_own_camera_only(dataset):
    (path,) = (dataset / "coco" / "annotations").glob("instances_*.json")
    doc = json.loads(path.read_text())
    camera = {im["id"]: im["camera"] for im in doc["images"]}
    carts = {camera[a["image_id"]]: a for a in doc["annotations"] if a["object"] == "cart_0"}
    assert carts["dash"]["iscrowd"] == 1 and "box3d" not in carts["dash"] and "pose" not in carts["dash"]
    assert carts["overview"]["iscrowd"] == 0 and "box3d" in carts["overview"]


def _kitti_kinds(dataset: Path, camera: str) -> list[str]:
    frames = json.loads((dataset / "kitti" / "frames.json").read_text())["frames"]
    ids = {f["stem"]: f["id"] for f in frames}
    (stem,) = [s for s in ids if s.endswith(f"_{camera}")]
    text = (dataset / "kitti" / "training" / "label_2" / f"{ids[stem]}.txt").read_text()
    return sorted(line.split()[0] for line in text.splitlines())


def test_kitti_yolo_voc_have_no_ego_object_in_its_own_camera(dataset):
    assert _kitti_kinds(dataset, "dash") == ["DontCare", "crate"]
    assert _kitti_kinds(dataset, "overview") == ["cart", "crate"]
    (yolo,) = (dataset / "yolo" / "labels").rglob("*_dash.txt")
    assert [line.split()[0] for line in yolo.read_text().splitlines()] == ["1"]  # crate; cart is class 0
    (voc,) = (dataset / "voc" / "Annotations").glob("*_dash.xml")
    objects = {o.findtext("name"): o.findtext("difficult") for o in ET.parse(voc).getroot().iter("object")}
    assert objects == {"cart": "1", "crate": "0"}
