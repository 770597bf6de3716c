"""Scenario transforms of the utility study: size cut, randomization hook, held-out target domain."""

from __future__ import annotations

import sys
import types

import pytest

import simgen
from simgen.batch.runner import resolved_config
from simgen.errors import SimgenError
from simgen.study import domains


def _quickstart(**size: int) -> simgen.Scenario:
    sc = simgen.load(simgen.resources.scenario_path("quickstart"))
    return domains.study_base(sc, width=size.get("width", 96), height=size.get("height", 72), frames=2)


def _is_distribution(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1


def test_nominal_values_of_each_distribution() -> None:
    assert domains.nominal({"uniform": [0.2, 0.6]}) == pytest.approx(0.4)
    assert domains.nominal({"loguniform": [1, 100]}) == pytest.approx(10.0)
    assert domains.nominal({"integer": [1, 4]}) in (2, 3)
    assert domains.nominal({"normal": {"mean": 5, "std": 1, "max": 3}}) == 3
    assert domains.nominal({"choice": [0.1, 0.9]}) == 0.1
    assert domains.nominal({"choice": {"values": ["a", "b"], "weights": [1, 3]}}) == "b"
    assert domains.nominal([0.3, {"uniform": [0, 1]}, "${params.x}"]) == [0.3, 0.5, "${params.x}"]


def test_study_base_keeps_one_camera_at_the_study_size(write_scenario) -> None:
    sc = simgen.load(simgen.resources.scenario_path("sensor_suite"))
    base = domains.study_base(sc, width=80, height=60, frames=3)
    assert len(base.cameras) == 1 and base.cameras[0].stereo is None
    assert (base.cameras[0].width, base.cameras[0].height, base.frames) == (80, 60, 3)
    assert base.sensors == []
    assert base.classes == sc.classes


def test_study_base_scales_intrinsics_and_keeps_a_class_subset(write_scenario) -> None:
    path = write_scenario(
        """\
        version: 1
        name: k
        classes: [crate, ball]
        objects:
          - {name: crate, type: box, class: crate, size: [0.2, 0.2, 0.2], position: [0, 0, 0.1]}
          - {name: ball, type: sphere, class: ball, radius: 0.1, position: [0.3, 0, 0.1]}
        cameras:
          - width: 640
            height: 480
            intrinsics: {fx: 500, fy: 500, cx: 320, cy: 240}
            position: [1, 0, 1]
            look_at: [0, 0, 0]
        """
    )
    base = domains.study_base(simgen.load(path), width=160, height=120, classes=["ball"])
    k = base.cameras[0].intrinsics
    assert (k.fx, k.fy, k.cx, k.cy) == pytest.approx((125, 125, 80, 60))
    assert base.classes == ["ball"] and [o.name for o in base.objects] == ["ball"]
    with pytest.raises(SimgenError, match="'bal' not a class") as err:
        domains.study_base(simgen.load(path), width=16, height=12, classes=["bal"])
    assert "did you mean 'ball'" in str(err.value)


def test_randomization_off_fixes_appearance_and_drops_camera_faults() -> None:
    sc = simgen.load(simgen.resources.scenario_path("sensor_faults"))
    base = domains.study_base(sc, width=96, height=72)
    cfg = resolved_config(domains.with_randomization(base, on=False))
    for obj in cfg["objects"]:
        assert not any(_is_distribution(c) for c in obj.get("color", [])), obj["name"]
    actions = [a["type"] for e in cfg["events"] for a in e["actions"]]
    assert not set(actions) & {"camera_freeze", "frame_drop", "lens_occlusion", "exposure_spike", "timestamp_jitter"}
    assert "haze" not in cfg["world"]


def _without_declared_blocks(sc: simgen.Scenario) -> simgen.Scenario:
    cfg = resolved_config(sc)
    for key in domains.RANDOMIZE_KEYS:
        cfg.pop(key, None)
    return domains.reload(cfg, sc, "plain")


def test_randomization_on_draws_appearance_and_exposure_but_keeps_layout() -> None:
    """The fallback, for scenarios that declare no randomize:/effects: blocks of their own."""
    base = _without_declared_blocks(_quickstart())
    off = domains.with_randomization(base, on=False)
    on = domains.with_randomization(base, on=True)
    cfg = resolved_config(on)
    assert all(_is_distribution(c) for obj in cfg["objects"] for c in obj["color"][:3])
    assert _is_distribution(cfg["world"]["light"]["intensity"]) and "haze" in cfg["world"]
    assert any(a["type"] == "exposure_spike" for e in cfg["events"] for a in e["actions"])
    # Same seed, same layout: the hook changes appearance draws only.
    a, b = simgen.sample(off, 3), simgen.sample(on, 3)
    assert [o.position for o in a.objects] == [o.position for o in b.objects]
    colors = {tuple(o.color) for i in range(4) for o in simgen.sample(on, i).objects}
    assert len(colors) > len(base.objects), "colours must vary between instances and episodes"


def test_declarative_blocks_are_what_the_hook_switches() -> None:
    if not domains.has_declarative_randomization():
        pytest.skip("this scenario language has no randomize:/effects: blocks yet")
    off = resolved_config(domains.with_randomization(_quickstart(), on=False))
    assert all(not off.get(k) for k in domains.RANDOMIZE_KEYS)


def test_target_domain_has_one_fixed_look_unlike_the_source() -> None:
    base = _quickstart()
    target = domains.target_domain(base, shift_seed=7)
    again = domains.target_domain(base, shift_seed=7)
    other = domains.target_domain(base, shift_seed=8)
    cfg, source = resolved_config(target), resolved_config(domains.with_randomization(base, on=False))
    assert cfg == resolved_config(again)
    assert cfg["objects"][0]["color"] != resolved_config(other)["objects"][0]["color"]
    for obj, src in zip(cfg["objects"], source["objects"], strict=True):
        assert not any(_is_distribution(c) for c in obj["color"])
        assert obj["color"] != src.get("color")
    assert cfg["world"]["ground"]["color"] != source["world"]["ground"]["color"]
    assert target.classes == base.classes


def test_photoreal_status_without_bpy_names_the_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "bpy", None)  # `import bpy` raises ImportError
    ok, reason = domains.photoreal_status("cycles")
    assert ok is False
    assert reason.startswith("bpy does not import (ModuleNotFoundError: import of bpy halted")
    assert reason.endswith("install it with pip install 'simgen[blender]'")


def test_photoreal_status_refuses_a_renderer_simgen_does_not_know(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "bpy", types.ModuleType("bpy"))  # importable stand-in
    ok, reason = domains.photoreal_status("raytracer")
    assert ok is False and reason.startswith("renderer 'raytracer' is not accepted by this simgen")


def test_photoreal_status_accepts_cycles_when_bpy_imports(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "bpy", types.ModuleType("bpy"))
    assert domains.photoreal_status("cycles") == (True, "")


@pytest.mark.parametrize("path", simgen.resources.shipped_scenarios(), ids=lambda p: p.stem)
def test_every_shipped_scenario_cuts_to_a_valid_study_scenario(path) -> None:
    """Cutting sensors and cameras also drops the faults and effects that named them."""
    base = domains.study_base(simgen.load(path), width=64, height=48, frames=1)
    for on in (False, True):
        sc = domains.with_randomization(base, on=on)
        assert len(sc.cameras) == 1 and sc.sensors == []
        simgen.sample(sc, 0)


def test_randomized_arm_recolours_every_object_and_shows_plain_objects_too() -> None:
    base = _quickstart()
    declared = resolved_config(base)["randomize"]
    on = resolved_config(domains.with_randomization(base, on=True))["randomize"]
    assert on[0]["type"] == "color" and on[0]["name"] == "study_object_color" and not on[0]["filter"]["classes"]
    assert len(on) == len(declared) + 1
    for mine, theirs in zip(on[1:], declared, strict=True):
        if theirs["type"] == "texture" and theirs["target"] == "objects":
            assert mine["probability"] == domains.STUDY_TEXTURE_PROBABILITY
        else:
            assert mine == theirs
    assert resolved_config(domains.with_randomization(base, on=True))["effects"] == resolved_config(base)["effects"]


def test_ablations_leave_out_one_entry_each() -> None:
    randomized = domains.with_randomization(_quickstart(), on=True)
    cfg = resolved_config(randomized)
    found = domains.ablations(randomized)
    assert len(found) == len(cfg["randomize"]) + len(cfg["effects"])
    assert found[0].slug == "randomize0_color" and found[0].label == "randomize[0] color"
    first = resolved_config(found[0].scenario)
    assert first["randomize"] == cfg["randomize"][1:] and first["effects"] == cfg["effects"]
    last = resolved_config(found[-1].scenario)
    assert last["effects"] == cfg["effects"][:-1] and last["randomize"] == cfg["randomize"]
    assert len({a.slug for a in found}) == len(found)
