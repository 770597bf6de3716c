"""BOP of the shipped scenarios: every rigid labelled object has a model and ground truth.

Regression: procedural assets had no model, so six shipped scenarios wrote ``models/``-less BOP
with empty ``scene_gt`` (``conveyor_inspection``: ``{"0": [], "1": []}``). Checked with
bop_toolkit's conventions: PLY models in millimetres, ``cam_R_m2c``/``cam_t_m2c`` mapping model
points into the camera, where they project onto the object's amodal mask.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simgen
from simgen.export.models3d import no_model_reason
from simgen.resources import shipped_scenarios
from tests.export.bop_check import check_bop

SCENARIOS = {p.stem: p for p in shipped_scenarios()}


def render_bop(name: str, out: Path) -> Path:
    scenario = simgen.load(SCENARIOS[name])
    simgen.render(scenario, out, episodes=1, frames=1, renderer="tiny", formats=["bop"], progress=False)
    return out


def rigid_labelled(name: str) -> set[str]:
    """Object types of episode 0 that are labelled and have a rigid model."""
    scenario = simgen.load(SCENARIOS[name])
    spec = simgen.sample(scenario, 0, episodes=1)
    base = Path(spec.base_dir)
    return {o.type for o in spec.objects if o.label != 0 and no_model_reason(o.type, o.shape, base) is None}


def test_conveyor_inspection_brackets_get_models_and_ground_truth(tmp_path):
    out = render_bop("conveyor_inspection", tmp_path / "ds")
    gt = json.loads((out / "bop/train/000000/scene_gt.json").read_text())
    assert any(gt.values()), "the conveyor's parts have 6D ground truth"
    assert check_bop(out) >= 1
    info = json.loads((out / "bop/models/models_info.json").read_text())
    assert {m["name"] for m in info.values()} == {"part"}  # the brackets' class
    assert "bracket" in rigid_labelled("conveyor_inspection")


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_shipped_scenario_has_bop_models_for_its_rigid_objects(tmp_path, name):
    out = render_bop(name, tmp_path / "ds")
    gts = [g for p in (out / "bop").glob("*/*/scene_gt.json") for v in json.loads(p.read_text()).values() for g in v]
    manifest = json.loads((out / "manifest.json").read_text())
    spec = simgen.sample(simgen.load(SCENARIOS[name]), 0, episodes=1)
    # Distorted lenses (sensor_suite's plumb-bob stereo and fisheye) are written as rendered while
    # BOP assumes a pinhole: undistorting them for BOP is its own change, so they are not projected.
    distorted = [c.K for c in spec.cameras if c.distortion is not None and any(c.distortion)]
    if rigid_labelled(name):
        assert gts, f"{name}: rigid labelled objects but empty scene_gt"
        assert check_bop(out, distorted) >= 1
    articulated = {
        o.type
        for o in spec.objects
        if o.label != 0 and no_model_reason(o.type, o.shape, Path(spec.base_dir)) is not None
    }
    notes = " ".join(manifest.get("notes", {}).get("bop", []))
    for kind in articulated:  # only those seen in the frame are noted; a noted kind is named with why
        if kind in notes:
            assert f"{kind} (" in notes
    card = (out / "DATASET_CARD.md").read_text()
    for note in manifest.get("notes", {}).get("bop", []):
        assert note in card
