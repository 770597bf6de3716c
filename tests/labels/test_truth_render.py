"""Ground truth from real pybullet renders (160x120 TinyRenderer) against analytic geometry."""

from __future__ import annotations

import numpy as np
import pytest

import simgen
from simgen.batch.episode import run_episode
from simgen.core.transforms import project
from simgen.labels.geometry import box_corners
from simgen.labels.instances import decode_mask
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout

CAMERA = "cameras: [{name: cam, width: 160, height: 120, fov_y: 50, position: [1.3, -0.9, 0.8], look_at: [0, 0, 0.1]}]"


def _frames(objects: str, labels: str = "{min_visible_pixels: 1}", frames: int = 1, renderer: str = "tiny"):
    head = f"version: 1\nname: t\nframes: {frames}\nworld: {{settle_time: 0.05}}\n"
    text = f"{head}objects:\n{objects}\n{CAMERA}\nlabels: {labels}\n"
    sc = simgen.loads(text)
    spec = simgen.sample(sc, 0)
    with quiet_stdout(), BulletClient() as client:
        return list(run_episode(client, spec, renderer)), spec


def _projected_box(frame, lab) -> np.ndarray:
    corners = box_corners(np.array(lab.center_cam), np.array(lab.box_size), np.array(lab.R_cam))
    uv = project(frame.camera.K, corners)
    x0, y0 = np.maximum(uv.min(axis=0) + 0.5, 0)
    x1, y1 = np.minimum(uv.max(axis=0) + 0.5, [frame.camera.width, frame.camera.height])
    return np.array([x0, y0, x1 - x0, y1 - y0])


def test_unoccluded_box_amodal_equals_visible_and_3d_box_matches_pose():
    (frame,), spec = _frames(
        "  - {name: a, type: box, class: a, size: [0.3, 0.2, 0.1], mass: 0, position: [0, 0, 0.05], rpy: [0, 0, 30]}"
    )
    (lab,) = frame.labels
    visible, amodal = decode_mask(lab.rle), decode_mask(lab.amodal_rle)
    assert (visible & amodal).sum() / (visible | amodal).sum() > 0.98
    assert lab.visibility > 0.98 and lab.occlusion == 0 and lab.truncation == 0.0
    assert np.allclose(lab.box_size, (0.3, 0.2, 0.1), atol=1e-9)
    cam_from_world = np.linalg.inv(frame.camera.world_from_camera)
    assert np.allclose(lab.center_cam, cam_from_world[:3, :3] @ [0, 0, 0.05] + cam_from_world[:3, 3], atol=1e-4)
    assert np.allclose(lab.center_world, (0, 0, 0.05), atol=1e-4)
    yaw = np.radians(30)
    assert np.allclose(np.array(lab.R_world)[:, 0], [np.cos(yaw), np.sin(yaw), 0], atol=1e-4)
    assert np.allclose(lab.R_obj_cam, cam_from_world[:3, :3] @ np.array(lab.R_world), atol=1e-9)
    # The projected 3D box of a box is its silhouette's box.
    assert np.allclose(_projected_box(frame, lab), lab.bbox, atol=1.5)


def test_occluded_box_amodal_mask_and_visibility():
    (frame,), _ = _frames(
        "  - {name: back, type: box, class: a, size: [0.2, 0.2, 0.2], mass: 0, position: [-0.25, 0.2, 0.1]}\n"
        "  - {name: front, type: box, class: a, size: [0.2, 0.2, 0.4], mass: 0, position: [0.2, -0.05, 0.2]}"
    )
    back = next(lab for lab in frame.labels if lab.object_name == "back_0")
    assert back.amodal_area > back.area and 0 < back.visibility < 0.95 and back.occlusion in (1, 2)
    assert np.allclose(_projected_box(frame, back), back.amodal_bbox, atol=1.5)
    assert (decode_mask(back.rle) & ~decode_mask(back.amodal_rle)).sum() == 0


def test_urdf_mesh_box_contains_its_amodal_mask():
    (frame,), _ = _frames(
        "  - {name: duck, type: urdf, class: duck, path: 'pybullet_data:duck_vhacd.urdf', scale: 3.0, mass: 0,"
        " position: [0, 0, 0.0], rpy: [90, 0, 40]}"
    )
    (lab,) = frame.labels
    x, y, w, h = _projected_box(frame, lab)
    ax, ay, aw, ah = lab.amodal_bbox
    assert ax >= x - 1 and ay >= y - 1 and ax + aw <= x + w + 1 and ay + ah <= y + h + 1
    assert aw > 0.6 * w and ah > 0.6 * h  # the box hugs the duck
    import pybullet_data
    import trimesh

    mesh = trimesh.load(f"{pybullet_data.getDataPath()}/duck.obj", force="mesh")
    assert np.allclose(lab.box_size, mesh.extents * 0.05 * 3.0, rtol=1e-6)


def test_articulated_body_keypoints_are_link_origins():
    (frame,), _ = _frames(
        "  - {name: arm, type: urdf, class: arm, path: 'pybullet_data:kuka_iiwa/model.urdf', scale: 0.4,"
        " fixed_base: true, position: [0, 0, 0]}"
    )
    (lab,) = frame.labels
    assert len(lab.keypoints) == 8 and lab.keypoint_names[1] == "lbr_iiwa_link_1"
    assert all(kp[2] in (1, 2) for kp in lab.keypoints)
    assert sum(kp[2] == 2 for kp in lab.keypoints) >= 4
    x, y, w, h = lab.amodal_bbox
    for u, v, _ in lab.keypoints:
        assert x - 2 <= u <= x + w + 2 and y - 2 <= v <= y + h + 2


def test_amodal_pass_can_be_switched_off():
    (frame,), _ = _frames(
        "  - {name: a, type: box, class: a, size: [0.3, 0.2, 0.1], mass: 0, position: [0, 0, 0.05]}",
        labels="{min_visible_pixels: 1, amodal: false}",
    )
    (lab,) = frame.labels
    assert lab.amodal_rle is None and lab.occlusion == 3 and lab.box_size is not None


def test_egl_images_are_not_taken_over_by_the_amodal_pass():
    """Regression: loading the EGL plugin into the shadow client made the main images show its world."""
    from simgen.errors import SimgenError
    from simgen.sensors.render import resolve_renderer

    try:
        if resolve_renderer("egl") != "egl":
            pytest.skip("EGL unavailable")
        objects = (
            "  - {name: back, type: box, class: a, size: [0.2, 0.2, 0.2], mass: 0, position: [-0.25, 0.2, 0.1]}\n"
            "  - {name: front, type: box, class: a, size: [0.2, 0.2, 0.4], mass: 0, position: [0.2, -0.05, 0.2]}"
        )
        frames, _ = _frames(objects, frames=2, renderer="egl")
    except SimgenError:
        pytest.skip("EGL unavailable")
    for frame in frames:
        front = next(lab for lab in frame.labels if lab.object_name == "front_0")
        back = next(lab for lab in frame.labels if lab.object_name == "back_0")
        assert front.visibility == 1.0 and front.occlusion == 0
        assert 0 < back.visibility < 0.95
        assert (frame.instance > 0).sum() > 400  # both boxes are in the image, not only one
