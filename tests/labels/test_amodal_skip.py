"""Objects nothing can occlude skip their object-alone render, with the same labels as rendering it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pybullet")

import simgen  # noqa: E402
from simgen.batch.episode import run_episode  # noqa: E402
from simgen.labels import truth as truth_mod  # noqa: E402
from simgen.labels.instances import decode_mask  # noqa: E402
from simgen.sim.client import BulletClient  # noqa: E402
from simgen.sim.quiet import quiet_stdout  # noqa: E402

CAMERA = "cameras: [{name: cam, width: 160, height: 120, fov_y: 50, position: [1.6, -1.2, 1.0], look_at: [0, 0, 0.1]}]"
APART = (
    "  - {name: a, type: box, class: a, size: [0.2, 0.2, 0.2], mass: 0, position: [-0.4, 0.3, 0.1]}\n"
    "  - {name: b, type: sphere, class: b, radius: 0.1, mass: 0, position: [0.4, -0.3, 0.1]}"
)
# c stands between the camera and d: their projected boxes overlap, and d lies wholly behind c.
OVERLAPPING = (
    "  - {name: c, type: box, class: a, size: [0.2, 0.2, 0.4], mass: 0, position: [0.2, -0.05, 0.2]}\n"
    "  - {name: d, type: box, class: a, size: [0.2, 0.2, 0.2], mass: 0, position: [-0.25, 0.2, 0.1]}"
)


def _labels(objects: str, monkeypatch: pytest.MonkeyPatch, *, force_render: bool, ground: str = "plane"):
    """Labels of one frame, and the instance ids rendered alone."""
    rendered: list[int] = []
    real = truth_mod.TruthCollector._render_alone

    def spy(self, view, lens, iid, pose, window):
        rendered.append(iid)
        return real(self, view, lens, iid, pose, window)

    monkeypatch.setattr(truth_mod.TruthCollector, "_render_alone", spy)
    if force_render:
        monkeypatch.setattr(truth_mod.TruthCollector, "_unoccludable", lambda *a: False)
    text = (
        f"version: 1\nname: t\nframes: 1\nworld: {{settle_time: 0.05, ground: {{type: {ground}}}}}\n"
        f"objects:\n{objects}\n{CAMERA}\nlabels: {{min_visible_pixels: 1}}\n"
    )
    spec = simgen.sample(simgen.loads(text), 0)
    with quiet_stdout(), BulletClient() as client:
        (frame,) = list(run_episode(client, spec, "tiny"))
    monkeypatch.undo()
    return frame.labels, sorted(rendered)


def _summary(labels):
    return [(lab.instance_id, lab.amodal_area, lab.visibility, lab.amodal_bbox, lab.occlusion) for lab in labels]


def test_objects_apart_are_not_rendered_alone_and_label_as_fully_visible(monkeypatch):
    labels, rendered = _labels(APART, monkeypatch, force_render=False)
    assert rendered == [] and len(labels) == 2
    for lab in labels:
        assert lab.visibility == 1.0 and lab.occlusion == 0
        assert lab.amodal_area == lab.area and lab.amodal_bbox == lab.bbox
        assert np.array_equal(decode_mask(lab.amodal_rle), decode_mask(lab.rle))
    forced, rendered = _labels(APART, monkeypatch, force_render=True)
    assert rendered == [1, 2]
    assert _summary(forced) == _summary(labels)


def test_only_the_object_behind_is_rendered_alone(monkeypatch):
    labels, rendered = _labels(OVERLAPPING, monkeypatch, force_render=False)
    assert rendered == [2]  # d, behind c: c lies wholly in front of it, nothing can hide c
    front, back = sorted(labels, key=lambda lab: lab.instance_id)
    assert front.visibility == 1.0 and front.amodal_area == front.area
    assert back.visibility < 0.9 and back.amodal_area > back.area
    forced, rendered = _labels(OVERLAPPING, monkeypatch, force_render=True)
    assert rendered == [1, 2] and _summary(forced) == _summary(labels)


def test_objects_overlapping_in_image_and_depth_are_both_rendered_alone(monkeypatch):
    # a long bar across the view and a post touching its far side: their depth ranges overlap
    crossing = (
        "  - {name: bar, type: box, class: a, size: [0.9, 0.1, 0.2], mass: 0, position: [0, 0, 0.1], rpy: [0,0,-37]}\n"
        "  - {name: post, type: box, class: a, size: [0.1, 0.1, 0.4], mass: 0, position: [0.05, 0.12, 0.2]}"
    )
    labels, rendered = _labels(crossing, monkeypatch, force_render=False)
    assert rendered == [1, 2]
    forced, _ = _labels(crossing, monkeypatch, force_render=True)
    assert _summary(forced) == _summary(labels)


def test_an_object_sunk_into_the_ground_is_rendered_alone(monkeypatch):
    sunk = "  - {name: a, type: box, class: a, size: [0.2, 0.2, 0.2], mass: 0, position: [0, 0, 0.05]}"
    labels, rendered = _labels(sunk, monkeypatch, force_render=False)
    assert rendered == [1]
    assert labels[0].visibility < 1.0  # the ground hides its lower 5 cm
    _, rendered = _labels(sunk, monkeypatch, force_render=False, ground="none")
    assert rendered == []
