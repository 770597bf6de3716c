"""Labels stay exact on procedural assets: a vehicle, a person and an animal (160x120 TinyRenderer)."""

from __future__ import annotations

import numpy as np
import pytest

import simgen
from simgen.assets.cache import asset_mesh, half_extents
from simgen.batch.episode import run_episode
from simgen.core.transforms import project
from simgen.labels.geometry import box_corners
from simgen.labels.instances import decode_mask
from simgen.sim.client import BulletClient
from simgen.sim.quiet import quiet_stdout

OBJECTS = {
    "vehicle": (
        "{name: car, class: car, type: sedan, height: 1.45, position: [0, 0, 0.724], rpy: [0, 0, 25], "
        "behavior: {type: static}}",
        (7.0, -5.5, 3.0),
    ),
    "person": (
        "{name: person, class: person, type: humanoid, height: 1.7, position: [0, 0, 0.85], rpy: [0, 0, 40], "
        "behavior: {type: static}}",
        (3.0, -2.4, 1.6),
    ),
    "animal": (
        "{name: deer, class: deer, type: deer, height: 1.0, position: [0, 0, 0.834], rpy: [0, 0, -30], "
        "behavior: {type: static}}",
        (4.0, -3.0, 1.8),
    ),
}


def _frame(kind: str):
    obj, eye = OBJECTS[kind]
    text = (
        "version: 1\nname: t\nworld: {settle_time: 0.05}\n"
        f"objects:\n  - {obj}\n"
        f"cameras: [{{name: cam, width: 160, height: 120, fov_y: 50, position: {list(eye)}, look_at: [0, 0, 0.7]}}]\n"
        "labels: {min_visible_pixels: 1}\n"
    )
    spec = simgen.sample(simgen.loads(text), 0)
    with quiet_stdout(), BulletClient() as client:
        (frame,) = list(run_episode(client, spec, "tiny"))
    return frame, spec


@pytest.mark.parametrize("kind", sorted(OBJECTS))
def test_boxes_masks_and_3d_box_are_exact(kind):
    frame, spec = _frame(kind)
    (lab,) = frame.labels
    visible = decode_mask(lab.rle)
    ys, xs = np.nonzero(visible)
    # 2D box: the tight box of the visible mask, pixel corners
    assert tuple(lab.bbox) == (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min())
    assert lab.area == visible.sum() > 200
    amodal = decode_mask(lab.amodal_rle)
    assert (visible & amodal).sum() / (visible | amodal).sum() > 0.97 and lab.occlusion == 0
    # 3D box: centred on the body and, for a rigid asset, exactly the generated mesh's extents
    (obj,) = spec.objects
    assert np.allclose(lab.center_world[:2], obj.position[:2], atol=0.02)
    if "params" in obj.shape:
        assert np.allclose(lab.box_size, 2 * half_extents(asset_mesh(obj.type, obj.shape["params"])), atol=1e-6)
    # every visible pixel lies inside the projected 3D box (the box encloses the silhouette)
    corners = box_corners(np.array(lab.center_cam), np.array(lab.box_size), np.array(lab.R_cam))
    uv = project(frame.camera.K, corners)
    x0, y0 = uv.min(axis=0) - 1.0
    x1, y1 = uv.max(axis=0) + 1.0
    assert x0 <= xs.min() + 0.5 and xs.max() + 0.5 <= x1 and y0 <= ys.min() + 0.5 and ys.max() + 0.5 <= y1


def test_articulated_assets_report_every_link_origin_as_a_keypoint():
    frame, spec = _frame("vehicle")
    (lab,) = frame.labels
    mesh = asset_mesh("sedan", spec.objects[0].shape["params"])
    assert lab.keypoints is not None and len(lab.keypoints) == len(mesh.parts)  # base + one link per part
