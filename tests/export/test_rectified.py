"""KITTI and BOP of cameras with a lens: rectified images whose labels agree with P2 / cam_K.

COCO keeps the lens as rendered (its boxes are the distorted image's).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import simgen

SCENE = """
name: lenses
seed: 3
episodes: 1
frames: 2
classes: [crate, ball]
world: {settle_time: 0.05}
objects:
  - {name: crate, type: box, class: crate, count: 3, size: [0.5, 0.5, 0.5], behavior: {type: static},
     placement: {region: disc, center: [-2.5, 0, 0], radius: 1.6}}
  - {name: ball, type: sphere, class: ball, count: 2, radius: 0.2, behavior: {type: static},
     placement: {region: disc, center: [-2.5, 0, 0], radius: 1.4}}
cameras:
  - name: fish
    width: 160
    height: 120
    intrinsics: {fx: 95, fy: 95, cx: 79.5, cy: 59.5}
    distortion: {model: fisheye, k1: 0.03, k2: -0.005, k3: 0.0, k4: 0.0}
    position: [0, 0, 1.2]
    look_at: [-2.5, 0, 0]
  - name: bob
    width: 160
    height: 120
    fov_y: 60
    distortion: {k1: -0.3, k2: 0.08}
    position: [0, 0.3, 1.2]
    look_at: [-2.5, 0, 0]
"""


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lenses")
    simgen.render(simgen.loads(SCENE), root, renderer="tiny", formats=["kitti", "bop", "coco"], progress=False)
    return root


def _calib(path: Path) -> dict[str, np.ndarray]:
    return {k: np.array(v.split(), float) for k, v in (ln.split(":", 1) for ln in path.read_text().splitlines())}


def _kitti_box_pixels(fields: list[str], p2: np.ndarray) -> np.ndarray:
    """(8, 2) pixels of a KITTI label's 3D box corners projected with P2."""
    h, w, length = (float(v) for v in fields[8:11])
    loc = np.array(fields[11:14], float)
    ry = float(fields[14])
    xs = np.array([1, 1, -1, -1] * 2) * length / 2
    ys = np.array([0] * 4 + [-h] * 4)
    zs = np.array([1, -1, -1, 1] * 2) * w / 2
    rot = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    corners = (rot @ np.stack([xs, ys, zs])).T + loc
    uvw = (p2.reshape(3, 4) @ np.c_[corners, np.ones(8)].T).T
    return uvw[:, :2] / uvw[:, 2:]


def test_kitti_2d_boxes_lie_where_p2_projects_the_3d_boxes(out):
    root = out / "kitti"
    frames = json.loads((root / "frames.json").read_text())["frames"]
    checked = 0
    for fr in frames:
        t = root / "training"
        p2 = _calib(t / "calib" / f"{fr['id']}.txt")["P2"]
        height, width = cv2.imread(str(t / "image_2" / f"{fr['id']}.png")).shape[:2]
        for line in (t / "label_2" / f"{fr['id']}.txt").read_text().splitlines():
            f = line.split()
            if f[0] == "DontCare" or float(f[1]) > 0:  # truncated boxes are clipped: compare whole ones
                continue
            x0, y0, x1, y1 = (float(v) for v in f[4:8])
            uv = _kitti_box_pixels(f, p2)
            u0, v0 = np.clip(uv.min(axis=0), 0, [width - 1, height - 1])
            u1, v1 = np.clip(uv.max(axis=0), 0, [width - 1, height - 1])
            # the object's silhouette lies inside its 3D box's projection ...
            assert u0 - 1.5 <= x0 and y0 >= v0 - 1.5 and x1 <= u1 + 1.5 and y1 <= v1 + 1.5, (fr["stem"], line)
            inter = max(0.0, min(x1, u1) - max(x0, u0)) * max(0.0, min(y1, v1) - max(y0, v0))
            iou = inter / ((x1 - x0) * (y1 - y0) + (u1 - u0) * (v1 - v0) - inter)
            # ... and fills most of it (a sphere's disc in its cube's outline: about 0.45 and up)
            assert iou > 0.4, (fr["stem"], line, iou)
            checked += 1
    assert checked >= 8


def test_kitti_and_bop_say_they_wrote_rectified_frames(out):
    summary = json.loads((out / "manifest.json").read_text())
    text = json.dumps(summary)
    assert "kitti: 4 frame(s) from cameras with a lens" in text
    assert "bop: 4 frame(s) from cameras with a lens" in text


def _model_corners(info: dict) -> np.ndarray:
    """(8, 3) corners (mm, model frame) of a BOP model's box from ``models_info.json``."""
    lo = np.array([info["min_x"], info["min_y"], info["min_z"]])
    size = np.array([info["size_x"], info["size_y"], info["size_z"]])
    return np.array([lo + size * np.array([i, j, k]) for i in (0, 1) for j in (0, 1) for k in (0, 1)])


def test_bop_object_centres_and_boxes_project_where_cam_k_says(out):
    models = json.loads((out / "bop" / "models" / "models_info.json").read_text())
    checked = 0
    for scene in sorted((out / "bop").glob("*/0*")):
        cams = json.loads((scene / "scene_camera.json").read_text())
        gts = json.loads((scene / "scene_gt.json").read_text())
        infos = json.loads((scene / "scene_gt_info.json").read_text())
        for im, entries in gts.items():
            k = np.array(cams[im]["cam_K"]).reshape(3, 3)
            for gt, info in zip(entries, infos[im], strict=True):
                uvw = k @ np.array(gt["cam_t_m2c"])
                u, v = uvw[:2] / uvw[2]
                x, y, w, h = info["bbox_obj"]
                assert x <= u <= x + w and y <= v <= y + h, (scene.name, im, gt, info)
                r = np.array(gt["cam_R_m2c"]).reshape(3, 3)
                c = (k @ (_model_corners(models[str(gt["obj_id"])]) @ r.T + gt["cam_t_m2c"]).T).T
                uv = c[:, :2] / c[:, 2:]
                # whole in the image: the projected box holds it (x + w is one past the last pixel centre,
                # and the visible mask was resampled nearest-neighbour: up to 2 px)
                if x > 0 and y > 0 and x + w < 159 and y + h < 119:
                    assert uv[:, 0].min() - 2 <= x and x + w <= uv[:, 0].max() + 2, (scene.name, im, info)
                    assert uv[:, 1].min() - 2 <= y and y + h <= uv[:, 1].max() + 2, (scene.name, im, info)
                checked += 1
    assert checked >= 8


def test_rectified_images_differ_from_the_rendered_lens_which_coco_keeps(out):
    coco = json.loads(next((out / "coco" / "annotations").glob("instances_*.json")).read_text())
    fish = [im for im in coco["images"] if "fish" in im["file_name"]]
    assert fish
    rendered = cv2.imread(str(out / "coco" / "images" / "train" / fish[0]["file_name"]))
    frames = json.loads((out / "kitti" / "frames.json").read_text())["frames"]
    fid = next(fr["id"] for fr in frames if fr["stem"] in fish[0]["file_name"])
    rectified = cv2.imread(str(out / "kitti" / "training" / "image_2" / f"{fid}.png"))
    assert rendered.shape == rectified.shape
    assert np.abs(rendered.astype(int) - rectified.astype(int)).mean() > 1.0
