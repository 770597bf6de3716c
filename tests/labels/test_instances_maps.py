"""Labels from synthetic instance maps (no simulator): boxes, areas, RLE, visibility threshold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as mask_utils

from simgen.labels.instances import encode_masks, instance_map, label_instances, semantic_map
from tests.conftest import fake_objects


def test_box_area_and_mask_of_rectangles() -> None:
    inst = np.zeros((20, 30), np.int32)
    inst[2:7, 3:11] = 1  # rows 2..6, cols 3..10
    inst[10:20, 25:30] = 3  # touches the bottom-right border
    labels = label_instances(inst, fake_objects(), min_pixels=1)
    assert [lab.instance_id for lab in labels] == [1, 3]
    a, b = labels
    assert a.bbox == (3.0, 2.0, 8.0, 5.0) and a.area == 40
    assert b.bbox == (25.0, 10.0, 5.0, 10.0) and b.area == 50
    assert a.class_name == "crate" and a.category_id == 1 and a.object_name == "crate_0"
    np.testing.assert_array_equal(mask_utils.decode(a.rle).astype(bool), inst == 1)
    assert isinstance(a.rle["counts"], str) and a.rle["size"] == [20, 30]


def test_single_pixel_and_split_mask() -> None:
    inst = np.zeros((8, 8), np.int32)
    inst[5, 6] = 2
    inst[0, 0] = 1
    inst[7, 7] = 1  # two separate blobs of the same object: one box around both
    labels = {lab.instance_id: lab for lab in label_instances(inst, fake_objects(), 1)}
    assert labels[2].bbox == (6.0, 5.0, 1.0, 1.0) and labels[2].area == 1
    assert labels[1].bbox == (0.0, 0.0, 8.0, 8.0) and labels[1].area == 2


def test_min_visible_pixels_drops_small_objects() -> None:
    inst = np.zeros((10, 10), np.int32)
    inst[0:2, 0:2] = 1  # 4 px
    inst[5:10, 5:10] = 2  # 25 px
    assert [lab.instance_id for lab in label_instances(inst, fake_objects(), 5)] == [2]
    assert [lab.instance_id for lab in label_instances(inst, fake_objects(), 4)] == [1, 2]
    assert label_instances(inst, fake_objects(), 26) == []
    assert label_instances(np.zeros((4, 4), np.int32), fake_objects(), 1) == []
    assert label_instances(inst, (), 1) == []


def test_instance_map_from_body_uids() -> None:
    # body uid -> instance id lookup; -1 (nothing) and the ground (uid 0 -> 0) are background.
    instance_of_uid = np.array([0, 2, 1, 0], np.int32)
    uid = np.array([[-1, 0, 1], [2, 2, 3]], np.int32)
    np.testing.assert_array_equal(instance_map(uid, instance_of_uid), [[0, 0, 2], [1, 1, 0]])
    big = np.array([[7]], np.int32)  # uid beyond the table (e.g. a debug body) is background
    np.testing.assert_array_equal(instance_map(big, instance_of_uid), [[0]])


def test_semantic_map_uses_category_ids() -> None:
    inst = np.array([[0, 1, 2, 3]], np.int32)
    sem = semantic_map(inst, fake_objects())
    assert sem.dtype == np.uint16
    np.testing.assert_array_equal(sem, [[0, 1, 2, 1]])


@settings(max_examples=40, deadline=None)
@given(arrays(np.int32, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=st.integers(0, 3)))
def test_labels_round_trip_any_instance_map(inst: np.ndarray) -> None:
    labels = label_instances(inst, fake_objects(), 1)
    assert [lab.instance_id for lab in labels] == sorted(set(np.unique(inst).tolist()) - {0})
    for lab in labels:
        truth = inst == lab.instance_id
        decoded = mask_utils.decode(lab.rle).astype(bool)
        np.testing.assert_array_equal(decoded, truth)
        ys, xs = np.nonzero(truth)
        assert lab.bbox == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
        assert lab.area == truth.sum()


@pytest.mark.parametrize("k", [1, 3])
def test_encode_masks_stack(k: int) -> None:
    rng = np.random.default_rng(0)
    masks = rng.random((9, 7, k)) > 0.5
    rles = encode_masks(masks)
    assert len(rles) == k
    for j, r in enumerate(rles):
        np.testing.assert_array_equal(mask_utils.decode({**r, "counts": r["counts"].encode()}), masks[:, :, j])
