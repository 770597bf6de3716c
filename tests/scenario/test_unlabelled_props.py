"""Unlabelled props (``instance_ids: none``) need no ``class``; labelled objects still do."""

from __future__ import annotations

import pytest

import simgen
from simgen.errors import ScenarioError

CAM = "cameras: [{width: 16, height: 12, position: [3, 3, 3], look_at: [0, 0, 0]}]\n"


def test_an_unlabelled_prop_needs_no_class(tmp_path):
    sc = simgen.loads(
        "name: t\nobjects:\n"
        "  - {name: wall, type: box, size: [1, 1, 1], position: [0, 0, 0.5], instance_ids: none,"
        " behavior: {type: static}}\n"
        "  - {name: c, class: crate, type: box, size: [0.2, 0.2, 0.2], position: [1, 0, 0.1]}\n" + CAM
    )
    assert sc.class_names == ["crate"]
    wall = simgen.sample(sc, 0).objects[0]
    assert wall.label == 0 and wall.category_id == 0
    summary = simgen.render(sc, tmp_path / "o", episodes=1, frames=1, renderer="tiny", formats=["coco"], progress=False)
    assert summary.episodes == 1


def test_a_labelled_object_without_class_is_a_located_error():
    with pytest.raises(ScenarioError, match=r"<string>:3:5: objects\[0\]: 'class' is required"):
        simgen.loads("name: t\nobjects:\n  - {name: wall, type: box, size: [1, 1, 1]}\n" + CAM)
