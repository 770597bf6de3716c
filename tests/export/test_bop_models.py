"""BOP object models: one PLY per model in millimetres, in the frame cam_R_m2c/cam_t_m2c use.

Regression: there was no ``models/`` folder, ``models_info.json`` sat at the dataset root and no
``obj_XXXXXX.ply`` existed, so BOP pose evaluation and training code could not run.
"""

from __future__ import annotations

import json

import fake
import numpy as np
import pytest

from tests.export.bop_check import read_ply


@pytest.fixture(scope="module")
def bop(tmp_path_factory):
    out = tmp_path_factory.mktemp("bop")
    frames = fake.frames()
    fake.export(out, ["bop"], frames)
    return out / "bop", frames


def test_models_folder_layout(bop):
    root, _ = bop
    models = sorted(p.name for p in (root / "models").iterdir())
    info = json.loads((root / "models" / "models_info.json").read_text())
    assert models == sorted([*(f"obj_{int(k):06d}.ply" for k in info), "models_info.json"])
    for name in models:  # the evaluation models are the same files
        assert (root / "models_eval" / name).read_bytes() == (root / "models" / name).read_bytes()
    assert not (root / "models_info.json").exists()


def test_models_info_matches_the_primitives_sizes_in_mm(bop):
    root, frames = bop
    info = json.loads((root / "models" / "models_info.json").read_text())
    gt = json.loads((root / "train" / "000000" / "scene_gt.json").read_text())
    by_id = {}
    rigid = [lab for lab in frames[0].labels if lab.R_obj_cam is not None and lab.keypoints is None]
    for g, lab in zip(gt["0"], rigid, strict=True):
        by_id[g["obj_id"]] = lab
    assert by_id
    for obj_id, lab in by_id.items():
        m = info[str(obj_id)]
        size = np.array(fake.SIZES[lab.instance_id]) * 1000
        assert np.allclose([m["size_x"], m["size_y"], m["size_z"]], size, atol=1e-3)
        assert np.allclose([m["min_x"], m["min_y"], m["min_z"]], -size / 2, atol=1e-3)
        assert np.isclose(m["diameter"], np.linalg.norm(size), atol=1e-3)
        pts, _ = read_ply(root / "models" / f"obj_{obj_id:06d}.ply")
        assert np.allclose(pts.min(axis=0), -size / 2, atol=1e-3) and np.allclose(pts.max(axis=0), size / 2, atol=1e-3)
        # Symmetries of a box: 3 half-turns; a box with two equal sides 7; a cube 23.
        n_equal = len(size) - len(set(np.round(size, 6)))
        assert len(m["symmetries_discrete"]) == {0: 3, 1: 7, 2: 23}[n_equal]
        for flat in m["symmetries_discrete"]:
            t = np.reshape(flat, (4, 4))
            moved = pts @ t[:3, :3].T + t[:3, 3]
            assert np.allclose(np.sort(moved, axis=0), np.sort(pts, axis=0), atol=1e-3)


def test_model_points_projected_with_the_stored_pose_land_on_the_object(bop):
    import cv2

    root, frames = bop
    checked = 0
    for episode, split in ((0, "train"), (1, "val")):
        scene = root / split / f"{episode:06d}"
        gt = json.loads((scene / "scene_gt.json").read_text())
        info = json.loads((scene / "scene_gt_info.json").read_text())
        cams = json.loads((scene / "scene_camera.json").read_text())
        for im_id, gts in gt.items():
            k = np.reshape(cams[im_id]["cam_K"], (3, 3))
            for gt_id, (g, gi) in enumerate(zip(gts, info[im_id], strict=True)):
                pts, faces = read_ply(root / "models" / f"obj_{g['obj_id']:06d}.ply")
                r = np.reshape(g["cam_R_m2c"], (3, 3))
                cam = pts @ r.T + np.asarray(g["cam_t_m2c"])  # mm, camera frame
                uv = cam @ k.T
                uv = uv[:, :2] / uv[:, 2:]
                # Every vertex lies inside the amodal box, to the one pixel the fake painter rounds off.
                x, y, w, h = gi["bbox_obj"]
                assert (uv[:, 0] >= x - 1.5).all() and (uv[:, 1] >= y - 1.5).all()
                assert (uv[:, 0] <= x + w + 0.5).all() and (uv[:, 1] <= y + h + 0.5).all()
                # Points of the visible part (inside the image) fall on the amodal mask's pixels.
                mask = cv2.imread(str(scene / "mask" / f"{int(im_id):06d}_{gt_id:06d}.png"), cv2.IMREAD_UNCHANGED)
                mask = cv2.dilate(mask, np.ones((3, 3), np.uint8)) > 0  # the painter's rounding, again
                face_centres = pts[faces].mean(axis=1) @ r.T + np.asarray(g["cam_t_m2c"])
                uvc = face_centres @ k.T
                px = np.floor(uvc[:, :2] / uvc[:, 2:] + 0.5).astype(int)
                inside = (px[:, 0] >= 0) & (px[:, 0] < fake.W) & (px[:, 1] >= 0) & (px[:, 1] < fake.H)
                assert mask[px[inside, 1], px[inside, 0]].all()
                checked += 1
    assert checked >= 10


def test_obj_ids_follow_first_appearance_and_are_one_per_geometry(bop):
    root, _ = bop
    info = json.loads((root / "models" / "models_info.json").read_text())
    assert sorted(int(k) for k in info) == list(range(1, len(info) + 1))
    assert {m["name"] for m in info.values()} <= set(fake.CLASSES)
    sizes = {(m["size_x"], m["size_y"], m["size_z"], m["name"]) for m in info.values()}
    assert len(sizes) == len(info)


def test_bodies_without_a_rigid_model_are_named_in_the_notes(tmp_path):
    from simgen.export.base import get_exporter

    records = fake.export(tmp_path, ["bop"])["bop"]
    notes = get_exporter("bop")(fake.info(tmp_path)).notes(records)
    # The fake robot is a box with moving links (keypoints): left out, and the note says why.
    assert notes == [
        "bop: no rigid model, so no 6D ground truth, for box (a body with moving links changes shape between frames)"
    ]
    assert get_exporter("bop")(fake.info(tmp_path)).notes([{**r, "left_out": {}} for r in records]) == []
