"""Labels from a hand-made instance map and ground truth, checked against exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.frame import Frame, ObjectTruth
from simgen.labels.instances import LabelOptions, decode_mask, label_frame, label_instances
from simgen.scenario.spec import ObjectInstance
from simgen.sensors.camera.model import CameraSpec


def _obj(iid: int, cls: str, cat: int) -> ObjectInstance:
    return ObjectInstance(
        iid, f"{cls}_{iid}", cls, cls, cat, "box", {}, (0, 0, 0), (0, 0, 0, 1), (0, 0, 0), 1.0, None, 0.5, 0.0, 0.0, 0.0
    )


OBJS = (_obj(1, "crate", 1), _obj(2, "crate", 1), _obj(3, "ball", 2))
K = np.array([[50.0, 0, 19.5], [0, 50.0, 14.5], [0, 0, 1]])


def _frame() -> Frame:
    inst = np.zeros((30, 40), np.int32)
    inst[5:15, 5:15] = 1  # object 1: a 10x10 square, its right half hidden behind object 2
    inst[5:20, 10:25] = 2  # object 2: 15x15 in front
    inst[25:27, 30:31] = 3  # object 3: 2 pixels
    truth = {
        1: ObjectTruth(np.zeros(3), np.array([0.2, 0.2, 0.2]), amodal=np.ones((10, 10), bool), amodal_offset=(5, 5)),
        2: ObjectTruth(np.zeros(3), np.array([0.3, 0.3, 0.3]), amodal=np.ones((15, 15), bool), amodal_offset=(10, 5)),
        3: ObjectTruth(np.zeros(3), np.array([0.1, 0.1, 0.1]), amodal=np.ones((2, 1), bool), amodal_offset=(30, 25)),
    }
    cam = CameraSpec("c", 40, 30, K, 0.05, 10.0, np.eye(4))
    poses = {
        1: ((0.0, 0.0, 2.0), (0.0, 0.0, 0.0, 1.0)),
        2: ((0.1, 0.0, 1.5), (0.0, 0.0, 0.0, 1.0)),
        3: ((0.5, 0.4, 3.0), (0.0, 0.0, np.sin(0.25), np.cos(0.25))),
    }
    return Frame(
        0,
        0,
        0.0,
        "train",
        cam,
        np.zeros((30, 40, 3), np.uint8),
        np.full((30, 40), 2.0, np.float32),
        inst,
        inst.astype(np.uint16),
        OBJS,
        poses,
        ("crate", "ball"),
        truth=truth,
    )


def test_visible_and_amodal_boxes_visibility_and_occlusion():
    f = label_frame(_frame(), LabelOptions(min_visible_pixels=1))
    a, b, c = f.labels
    assert a.bbox == (5.0, 5.0, 5.0, 10.0) and a.area == 50
    assert a.amodal_bbox == (5.0, 5.0, 10.0, 10.0) and a.amodal_area == 100
    assert a.visibility == 0.5 and a.occlusion == 1
    assert b.visibility == 1.0 and b.occlusion == 0
    assert np.array_equal(decode_mask(a.amodal_rle)[5:15, 5:15], np.ones((10, 10), bool))
    assert decode_mask(a.rle).sum() == 50


def test_pose_and_3d_box_in_camera_and_world():
    f = label_frame(_frame(), LabelOptions(min_visible_pixels=1))
    c = f.labels[2]
    assert np.allclose(c.t_obj_cam, (0.5, 0.4, 3.0)) and np.allclose(c.center_cam, (0.5, 0.4, 3.0))
    rz = np.array([[np.cos(0.5), -np.sin(0.5), 0], [np.sin(0.5), np.cos(0.5), 0], [0, 0, 1]])
    assert np.allclose(c.R_obj_cam, rz) and np.allclose(c.R_world, rz)
    assert c.box_size == (0.1, 0.1, 0.1)
    assert c.truncation == 0.0


def test_filters_min_pixels_min_visibility_ignore_classes_and_ignore_regions():
    f = _frame()
    ids = lambda labs: [(lab.instance_id, lab.ignore) for lab in labs]  # noqa: E731
    assert ids(label_instances(f.instance, OBJS, LabelOptions(min_visible_pixels=5), f)) == [(1, False), (2, False)]
    opts = LabelOptions(min_visible_pixels=5, min_visibility=0.6)
    assert ids(label_instances(f.instance, OBJS, opts, f)) == [(2, False)]
    opts = LabelOptions(min_visible_pixels=5, min_visibility=0.6, ignore_regions=True)
    assert ids(label_instances(f.instance, OBJS, opts, f)) == [(1, True), (2, False), (3, True)]
    opts = LabelOptions(min_visible_pixels=1, ignore_classes=("ball",))
    assert ids(label_instances(f.instance, OBJS, opts, f)) == [(1, False), (2, False)]


def test_without_truth_only_2d_labels_and_unknown_occlusion():
    f = _frame()
    labs = label_instances(f.instance, OBJS, 1)
    assert [lab.amodal_bbox for lab in labs] == [None, None, None]
    assert [lab.occlusion for lab in labs] == [3, 3, 3]


def test_keypoint_visibility_flags():
    f = _frame()
    f.truth[2].links = np.array([[0.1, 0.0, 1.5], [-0.75, 0.0, 3.0], [5.0, 0.0, 1.0]])  # seen, hidden, outside
    f.truth[2].link_names = ("a", "b", "c")
    f.depth[:] = 2.0
    lab = label_frame(f, LabelOptions(min_visible_pixels=1)).labels[1]
    u = 50 * 0.1 / 1.5 + 19.5
    assert lab.keypoints[0] == [pytest.approx(u, abs=1e-3), pytest.approx(14.5), 2]
    assert lab.keypoints[1][2] == 1  # in the image, behind another object's nearer surface
    assert lab.keypoints[2] == [0.0, 0.0, 0]
    assert lab.keypoint_names == ("a", "b", "c")


def test_unknown_ignore_class_is_a_located_error():
    import simgen
    from simgen.errors import SimgenError

    text = (
        "version: 1\nname: t\nobjects:\n  - {name: a, type: box, class: crate, size: [1, 1, 1]}\n"
        "cameras: [{name: c, position: [3, 0, 1], look_at: [0, 0, 0]}]\n"
        "labels:\n  ignore_classes: [crates]\n"
    )
    with pytest.raises(SimgenError) as err:
        simgen.loads(text, file="s.yaml")
    msg = str(err.value)
    assert "s.yaml:7:" in msg and "labels.ignore_classes[0]" in msg and "did you mean 'crate'" in msg


def test_empty_or_off_image_amodal_crop_leaves_the_visible_mask_as_amodal():
    f = _frame()
    f.truth[3].amodal, f.truth[3].amodal_offset = np.zeros((0, 0), bool), (0, 0)  # nothing rendered
    f.truth[2].amodal, f.truth[2].amodal_offset = np.ones((4, 4), bool), (60, 40)  # wholly outside the image
    a, b, c = label_frame(f, LabelOptions(min_visible_pixels=1)).labels
    assert (c.amodal_area, c.amodal_bbox, c.visibility) == (2, c.bbox, 1.0)
    assert (b.amodal_area, b.amodal_bbox, b.visibility) == (b.area, b.bbox, 1.0)


def test_amodal_crop_partly_outside_the_image_is_clipped():
    f = _frame()
    f.truth[3].amodal, f.truth[3].amodal_offset = np.ones((6, 20), bool), (30, 25)  # 10 columns, 5 rows inside
    c = label_frame(f, LabelOptions(min_visible_pixels=1)).labels[2]
    assert c.amodal_bbox == (30.0, 25.0, 10.0, 5.0) and c.amodal_area == 50
    assert c.visibility == round(2 / 50, 6) and c.occlusion == 2


def test_visibility_is_visible_over_amodal_pixels_with_no_edge_tolerance():
    f = _frame()
    # object 2's amodal silhouette one pixel larger all round: 64 of its 289 pixels are hidden
    f.truth[2].amodal, f.truth[2].amodal_offset = np.ones((17, 17), bool), (9, 4)
    lab = label_frame(f, LabelOptions(min_visible_pixels=1)).labels[1]
    assert lab.amodal_area == 17 * 17 and lab.area == 15 * 15
    assert lab.visibility == round(225 / 289, 6)
    assert lab.visibility == round(decode_mask(lab.rle).sum() / decode_mask(lab.amodal_rle).sum(), 6)


def test_amodal_labels_can_be_switched_off_in_the_options():
    f = _frame()
    lab = label_frame(f, LabelOptions(min_visible_pixels=1, amodal=False)).labels[1]
    assert lab.amodal_rle is None and lab.visibility is None and lab.occlusion == 3


def test_window_rle_equals_the_rle_of_the_whole_image():
    """Amodal RLEs are encoded from each object's window; they must be the whole image's RLE."""
    from simgen.labels.instances import encode_masks, encode_window

    rng = np.random.default_rng(7)
    for _ in range(500):
        height, width = (int(v) for v in rng.integers(1, 12, 2))
        h, w = int(rng.integers(0, height + 1)), int(rng.integers(0, width + 1))
        y0, x0 = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
        mask = rng.random((h, w)) < rng.random()
        full = np.zeros((height, width), bool)
        full[y0 : y0 + h, x0 : x0 + w] = mask
        assert encode_window(mask, x0, y0, height, width) == encode_masks(full[:, :, None])[0]
