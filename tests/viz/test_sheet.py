"""Contact sheets draw masks, boxes and captions onto the frames."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.viz.sheet import class_color, contact_sheet, draw_labels


def _frame(make_frame, **kw):
    inst = np.zeros((60, 80), np.int32)
    inst[10:30, 20:50] = 1
    inst[40:55, 5:15] = 2
    return make_frame(inst, **kw)


def test_draw_labels_tints_masks_and_draws_boxes(make_frame) -> None:
    frame = _frame(make_frame)
    out = draw_labels(frame)
    assert out.shape == frame.rgb.shape and out.dtype == np.uint8
    assert frame.rgb is not out and not np.shares_memory(out, frame.rgb)
    changed = (out != frame.rgb).any(axis=2)
    assert changed[frame.instance == 1].mean() > 0.5  # mask tinted
    assert changed[frame.instance == 2].mean() > 0.5
    assert changed[:, 50].sum() > 0 or changed[:, 49].sum() > 0  # right edge of box 1 drawn
    assert not changed[58:, 60:].any()  # background far from every label untouched


def test_draw_labels_without_labels_is_a_copy(make_frame) -> None:
    frame = make_frame(np.zeros((20, 20), np.int32))
    np.testing.assert_array_equal(draw_labels(frame), frame.rgb)


def test_contact_sheet_grid(make_frame) -> None:
    frames = [_frame(make_frame, index=i) for i in range(5)]
    sheet = contact_sheet(frames, columns=2, tile_width=100)
    assert sheet.dtype == np.uint8 and sheet.ndim == 3
    tile_h = 22 + 75  # caption + 80x60 scaled to width 100
    assert sheet.shape == (3 * (tile_h + 8), 2 * (100 + 8), 3)
    assert sheet.std() > 10
    with pytest.raises(ValueError):
        contact_sheet([])


def test_class_colours_are_distinct_and_stable() -> None:
    colours = [class_color(i) for i in range(1, 9)]
    assert len(set(colours)) == 8 and colours == [class_color(i) for i in range(1, 9)]
