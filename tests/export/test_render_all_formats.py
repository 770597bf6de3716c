"""End to end: a tiny scene rendered through the batch runner into every format at 160x120."""

from __future__ import annotations

import json

import numpy as np
import pytest

import simgen
from simgen.labels.geometry import kitti_corners

SCENE = """
version: 1
name: tiny
seed: 5
episodes: 2
frames: 2
classes: [crate, ball, duck]
world: {settle_time: 0.3, frame_rate: 8}
objects:
  - {name: crate, type: box, class: crate, count: 2, size: [0.2, 0.15, 0.12], mass: 1,
     position: [{uniform: [-0.3, 0.3]}, {uniform: [-0.3, 0.3]}, 0.1], rpy: [0, 0, {uniform: [0, 360]}]}
  - {name: ball, type: sphere, class: ball, radius: 0.07, position: [{uniform: [-0.3, 0.3]}, 0.2, 0.3]}
  - {name: duck, type: urdf, class: duck, path: "pybullet_data:duck_vhacd.urdf", position: [0.1, 0.1, 0.2],
     rpy: [90, 0, 30]}
cameras:
  - {name: front, width: 160, height: 120, fov_y: 50, position: [1.2, -0.9, 0.9], look_at: [0, 0, 0.05]}
labels: {min_visible_pixels: 10, ignore_regions: true}
output: {splits: {train: 0.5, val: 0.5}}
"""
FORMATS = ["coco", "yolo", "yolo-seg", "kitti", "voc", "bop", "mcap", "raw"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("render") / "ds"
    summary = simgen.render(simgen.loads(SCENE), out, renderer="tiny", formats=FORMATS, progress=False)
    return out, summary


def test_every_format_is_written(dataset):
    out, summary = dataset
    assert summary.images == 4
    for name in FORMATS:
        assert (out / name).is_dir()
    assert len(list((out / "kitti/training/image_2").iterdir())) == 4
    assert len(list((out / "mcap").rglob("*.mcap"))) == 2
    assert (out / "yolo/data.yaml").read_text().count("images/") == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["formats"] == FORMATS


def test_class_ids_agree_across_formats(dataset):
    out, _ = dataset
    coco = json.loads((out / "coco/annotations/instances_train.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["crate", "ball", "duck"]
    yolo = (out / "yolo/data.yaml").read_text()
    assert '0: "crate"' in yolo and '2: "duck"' in yolo
    voc = (out / "voc/labelmap.txt").read_text().splitlines()
    assert [line.split(":")[0] for line in voc[2:]] == ["crate", "ball", "duck"]
    models = json.loads((out / "bop/models/models_info.json").read_text())
    assert {models[k]["name"] for k in models} <= {"crate", "ball", "duck"}
    assert all(models[k]["name"] == ["crate", "ball", "duck"][models[k]["category_id"] - 1] for k in models)


def test_rendered_kitti_boxes_project_onto_2d_boxes_for_unoccluded_crates(dataset):
    out, _ = dataset
    checked = 0
    for label in sorted((out / "kitti/training/label_2").iterdir()):
        calib = {}
        for line in (out / "kitti/training/calib" / label.name).read_text().splitlines():
            k, v = line.split(":", 1)
            calib[k] = np.array(v.split(), dtype=float)
        p2 = calib["P2"].reshape(3, 4)
        for fields in (line.split() for line in label.read_text().splitlines()):
            if fields[0] != "crate" or fields[2] != "0" or float(fields[1]) > 0:
                continue
            x0, y0, x1, y1 = map(float, fields[4:8])
            h, w, length, x, y, z, ry = map(float, fields[8:15])
            uvw = np.hstack([kitti_corners(np.array([x, y, z]), np.array([h, w, length]), ry), np.ones((8, 1))]) @ p2.T
            uv = uvw[:, :2] / uvw[:, 2:3] + 0.5
            assert np.allclose([*uv.min(axis=0), *uv.max(axis=0)], [x0, y0, x1, y1], atol=2.0)
            checked += 1
    assert checked >= 2


@pytest.mark.slow
def test_every_format_is_byte_identical_for_one_or_two_workers(dataset, tmp_path):
    out1, _ = dataset
    out2 = tmp_path / "two"
    simgen.render(simgen.loads(SCENE), out2, renderer="tiny", formats=FORMATS, workers=2, progress=False)
    files1 = sorted(p.relative_to(out1) for p in out1.rglob("*") if p.is_file() and ".simgen" not in p.parts)
    files2 = sorted(p.relative_to(out2) for p in out2.rglob("*") if p.is_file() and ".simgen" not in p.parts)
    assert files1 == files2
    for rel in files1:
        if rel.as_posix() == "manifest.json":
            continue  # creation time
        assert (out1 / rel).read_bytes() == (out2 / rel).read_bytes(), rel


def test_bop_models_agree_with_the_simulated_geometry(dataset):
    """Each model's box, posed by scene_gt, is the simulator's 3D box; its points land on the object's mask.

    The duck is a URDF whose centre of mass is off its mesh origin: a model in the wrong frame
    shows up here as an offset box.
    """
    import cv2
    import trimesh

    out, _ = dataset
    info = json.loads((out / "bop/models/models_info.json").read_text())
    assert {m["name"] for m in info.values()} == {"crate", "ball", "duck"}
    checked = 0
    for scene in sorted(p for split in ("train", "val") for p in (out / "bop" / split).iterdir()):
        episode = int(scene.name)
        gt = json.loads((scene / "scene_gt.json").read_text())
        cams = json.loads((scene / "scene_camera.json").read_text())
        split = scene.parent.name
        for im_id, gts in gt.items():
            stem = f"e{episode:06d}_f{int(im_id):06d}_front"
            raw = json.loads((out / "raw" / split / stem / "labels.json").read_text())
            k = np.reshape(cams[im_id]["cam_K"], (3, 3))
            for gt_id, g in enumerate(gts):
                (lab,) = [la for la in raw["labels"] if np.allclose(np.array(la["t_obj_cam"]) * 1000, g["cam_t_m2c"])]
                m = info[str(g["obj_id"])]
                assert m["name"] == lab["class_name"]
                mesh = trimesh.load(out / "bop/models" / f"obj_{g['obj_id']:06d}.ply", process=False)
                r = np.reshape(g["cam_R_m2c"], (3, 3))
                t = np.asarray(g["cam_t_m2c"])
                assert np.allclose(mesh.bounds[0], [m["min_x"], m["min_y"], m["min_z"]], atol=1e-3)
                assert np.allclose(mesh.extents, np.array(lab["box_size"]) * 1000, atol=0.05)
                centre = r @ mesh.bounds.mean(axis=0) + t
                assert np.allclose(centre, np.array(lab["center_cam"]) * 1000, atol=0.05)
                mask = cv2.imread(str(scene / "mask" / f"{int(im_id):06d}_{gt_id:06d}.png"), cv2.IMREAD_UNCHANGED)
                mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0  # the rasteriser's edge rule
                tri = mesh.vertices[mesh.faces]  # points inside every face, not only its corners
                weights = np.array([[1 / 3, 1 / 3, 1 / 3], [0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.2, 0.6]])
                samples = np.einsum("wk,fkd->fwd", weights, tri).reshape(-1, 3) @ r.T + t
                uv = samples @ k.T
                px = np.floor(uv[:, :2] / uv[:, 2:] + 0.5).astype(int)
                inside = (px[:, 0] >= 0) & (px[:, 0] < 160) & (px[:, 1] >= 0) & (px[:, 1] < 120)
                on_mask = mask[px[inside, 1], px[inside, 0]].mean()
                assert on_mask >= 0.97, (m["name"], on_mask)
                checked += 1
    assert checked >= 8
