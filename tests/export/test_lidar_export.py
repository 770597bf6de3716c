"""LiDAR sweeps reach the datasets: KITTI velodyne files whose points land inside their objects' 3D boxes."""

from __future__ import annotations

import json

import numpy as np

import simgen

SCENE = """
version: 1
name: lidar_boxes
seed: 3
episodes: 1
frames: 2
classes: [crate]
world: {settle_time: 0.0, frame_rate: 10}
objects:
  - {name: near, type: box, class: crate, size: [0.6, 0.8, 0.6], position: [3.0, 0.5, 0.3], rpy: [0, 0, 20], mass: 0}
  - {name: far, type: box, class: crate, size: [0.5, 0.5, 1.0], position: [5.0, -1.2, 0.5], mass: 0}
cameras:
  - {name: cam, width: 160, height: 120, fov_y: 60, position: [0, 0, 0.8], look_at: [4, 0, 0.4]}
sensors:
  - {name: lidar, type: lidar, rate: 10, channels: 32, vertical_fov: [-20, 10], horizontal_resolution: 0.5,
     max_range: 30, position: [0.1, 0.0, 0.9]}
"""


def _calib(path):
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            key, values = line.split(":", 1)
            out[key] = np.array(values.split(), dtype=float)
    return out


def test_velodyne_points_fall_inside_their_kitti_boxes(tmp_path):
    out = tmp_path / "ds"
    simgen.render(simgen.loads(SCENE), out, renderer="tiny", formats=["kitti", "coco"], progress=False)
    velodyne = sorted((out / "kitti/training/velodyne").glob("*.bin"))
    labels = sorted((out / "kitti/training/label_2").glob("*.txt"))
    assert len(velodyne) == len(labels) == 2
    coco = json.loads((out / "coco/annotations/instances_train.json").read_text())
    images = sorted(coco["images"], key=lambda im: im["id"])
    checked = 0
    for k, (vel, lab) in enumerate(zip(velodyne, labels, strict=True)):
        inside_total = 0
        pts = np.fromfile(vel, dtype=np.float32).reshape(-1, 4)
        assert len(pts) > 1000 and np.all((pts[:, 3] >= 0) & (pts[:, 3] <= 1))
        calib = _calib(out / "kitti/training/calib" / lab.name)
        tr = np.vstack([calib["Tr_velo_to_cam"].reshape(3, 4), [0, 0, 0, 1]])
        r0 = np.eye(4)
        r0[:3, :3] = calib["R0_rect"].reshape(3, 3)
        cam = (r0 @ tr @ np.hstack([pts[:, :3], np.ones((len(pts), 1))]).T).T[:, :3]
        for line in lab.read_text().splitlines():
            f = line.split()
            if f[0] != "crate":
                continue
            h, w, length, x, y, z, ry = map(float, f[8:15])
            c, s = np.cos(ry), np.sin(ry)
            rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
            local = (cam - np.array([x, y - h / 2, z])) @ rot  # box frame: x along length, y down, z along width
            margin = 0.03
            inside = (
                (np.abs(local[:, 0]) <= length / 2 + margin)
                & (local[:, 1] >= -h / 2 - margin)
                & (local[:, 1] <= h / 2 - 0.02)  # not the ground under the box (camera y points down)
                & (np.abs(local[:, 2]) <= w / 2 + margin)
            )
            assert inside.sum() > 20, f"{lab.name}: no LiDAR points inside the box {f[8:15]}"
            inside_total += int(inside.sum())
            checked += 1
        # Every point the simulator labelled as hitting a crate lies inside a crate's KITTI box.
        labelled = sum(a.get("lidar_points", 0) for a in coco["annotations"] if a["image_id"] == images[k]["id"])
        assert labelled > 40
        assert abs(inside_total - labelled) <= 0.05 * labelled, (inside_total, labelled)
    assert checked >= 4
