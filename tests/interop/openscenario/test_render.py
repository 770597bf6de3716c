"""Imported esmini scenarios render, with every entity present in the episode and labeled in an image."""

from __future__ import annotations

import json

import pytest
import yaml

from simgen.cli import main
from tests.interop.openscenario.conftest import ESMINI
from tests.interop.openscenario.test_importer import SIX


def _render(stem, tmp_path, size=None):
    scenario = tmp_path / "s" / f"{stem}.yaml"
    assert main(["import", str(ESMINI / "xosc" / f"{stem}.xosc"), "-o", str(scenario)]) == 0
    if size is not None:  # cameras are plain YAML entries, adjustable after the import
        data = yaml.safe_load(scenario.read_text())
        for cam in data["cameras"]:
            cam["width"], cam["height"] = size
        scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    args = ["render", str(scenario), "--out", str(out), "--episodes", "1", "--frames", "1", "--no-progress"]
    assert main([*args, "--formats", "coco"]) == 0
    coco = json.loads((out / "coco" / "annotations" / "instances_train.json").read_text())
    episode = json.loads((out / ".simgen" / "episodes" / "e000000.json").read_text())
    present = {o["source"]: o["class_name"] for o in episode["spec"]["objects"]}
    labeled = {a["object"].rsplit("_", 1)[0] for a in coco["annotations"] if not a["iscrowd"]}
    return present, labeled


def _check(stem, present, labeled):
    entities = SIX[stem]
    assert {k: present[k] for k in entities} == entities  # every entity built, with its class
    assert set(entities) <= labeled  # and annotated in the front or overview image


def test_cut_in_renders_small(tmp_path):
    present, labeled = _render("cut-in_simple", tmp_path, size=(160, 120))
    _check("cut-in_simple", present, labeled)
    assert {"scene_asphalt", "scene_markings"} <= set(present)  # the road meshes are in the world


@pytest.mark.slow
@pytest.mark.parametrize("stem", sorted(SIX))
def test_six_esmini_examples_render_every_entity_labeled(stem, tmp_path):
    _check(stem, *_render(stem, tmp_path))
